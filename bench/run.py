"""学籍 benchmarks: ``make bench`` runs every benchmark here and prints its figures.

Figures go into docs/PERFORMANCE.md with the command, data size, machine and date.
They are never asserted in the test suite: these machines are shared and noisy.

    python bench/run.py                 the default set (about 10 minutes on 2 cores)
    python bench/run.py --full          also the long runs (100,000-row import, …)
    python bench/run.py --only dedup    only the benchmarks whose file name contains "dedup"

Any other argument is passed on to every benchmark run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("organisation scope reads (200,000 schools, 1,000,000 accounts)", ["org_scope.py", "--schools", "200000"]),
    ("registration Excel import, 10,000 rows, and the naive import of the same rows",
     ["registration_import.py", "--rows", "10000", "--repeat", "3"]),
    ("查重 against 1,000,000 records (single lookups, 10,000-key batches)",
     ["dedup.py", "--records", "1000000"]),
    ("audit log: record_event, two writers in one chain / two regions, verify_audit of 1,000,000 entries",
     ["audit.py"]),
    ("the record writer: create_records of 10,000 records and 首次数据采集 of 10,000 rows",
     ["record_writer.py", "--rows", "10000", "--repeat", "3"]),
    ("upload bounds: the row count before reading, a million empty rows, a 45 MB shared string",
     ["upload_limits.py", "--rows", "10000"]),
    ("全部审核 of 5,000 registrations (set-based, records created at the last step)",
     ["batch_approval.py", "--count", "5000"]),
    ("学籍卡: 1,000 record cards through the job (zip and one document)", ["record_cards.py", "--students", "1000"]),
    ("在校生查询 over a province of 1,000,000 students: first pages, export of 100,000, 50 concurrent users",
     ["student_query.py"]),
    ("学生学籍转移 of a 2,000-pupil grade, confirmed and applied in one call", ["record_transfer.py", "--count", "2000"]),
]
#: Only with --full (each takes longer than the whole default set on 2 cores).
FULL_BENCHMARKS = [
    ("registration Excel import, 100,000 rows (peak memory)", ["registration_import.py", "--rows", "100000"]),
]


def main(argv: list[str]) -> int:
    full = "--full" in argv
    argv = [a for a in argv if a != "--full"]
    only = None
    if "--only" in argv:
        at = argv.index("--only")
        only = argv[at + 1]
        del argv[at:at + 2]
    status = 0
    for title, command in BENCHMARKS + (FULL_BENCHMARKS if full else []):
        if only and only not in command[0]:
            continue
        print(f"== {title}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / command[0]), *command[1:], *argv])
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
