"""Benchmark (PostgreSQL only): the 升级 work of bench/promotion.py with and without the
indexes students 0006 dropped, interleaved on one cluster and one data set, so that a
shared machine's load drifts over both alike.

Builds ``--students`` records once (bench/promotion.py's setup), then for each round and
each variant: puts the indexes in that state (``with``: the six recreated as before
students 0006; ``without``: as migrated), ``VACUUM ANALYZE``, runs the promotion job's
work (``promotion.services.run_job``, timed), checks everybody was promoted once, resets.
Beside the wall time it reports the CPU seconds of the PostgreSQL server's processes
(postmaster, its live children and its reaped children — from /proc, so the user running
the benchmark must see the cluster's processes) and of this process: the CPU figure moves
much less with the machine's load than the wall time.

    bash scripts/pg-throwaway run -- .venv/bin/python bench/promotion_indexes.py --students 1000000 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
import promotion  # noqa: E402

#: the indexes students 0006 dropped (what the ``with`` variant recreates)
DROPPED = {
    "students_student": [
        "CREATE INDEX students_student_school_id_be4a7ab9 ON students_student (school_id)",
        "CREATE INDEX students_student_status_1ae1bb8e_like ON students_student (status varchar_pattern_ops)",
        "CREATE INDEX students_student_national_number_1383712f_like ON students_student"
        " (national_number varchar_pattern_ops)",
    ],
    "students_recordevent": [
        "CREATE INDEX students_recordevent_student_id_66eab8b5 ON students_recordevent (student_id)",
        "CREATE INDEX students_recordevent_school_id_d8d3ff83 ON students_recordevent (school_id)",
        "CREATE INDEX students_recordevent_business_id_a3b0caf5 ON students_recordevent (business_id)",
    ],
}


def _server_cpu() -> float | None:
    """CPU seconds used so far by the cluster's server processes (None: not visible)."""
    try:
        directory = os.environ["PG_THROWAWAY_DIR"]
        with open(f"{directory}/data/postmaster.pid") as pid_file:
            postmaster = int(pid_file.readline())
    except (KeyError, OSError, ValueError):
        return None

    def stat(pid):
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()

    ticks = sum(int(x) for x in stat(postmaster)[11:15])  # utime stime cutime cstime
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                fields = stat(pid)
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _set(variant: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table, statements in DROPPED.items():
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
            present = {row[0] for row in cursor.fetchall()}
            for sql in statements:
                name = sql.split()[2]
                if variant == "with" and name not in present:
                    cursor.execute(sql)
                if variant == "without" and name in present:
                    cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute(f"VACUUM ANALYZE {table}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    _common.django_setup(tempfile.mkdtemp(prefix="xueji-bench-promotion-indexes-"))
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: bash scripts/pg-throwaway run -- .venv/bin/python bench/promotion_indexes.py")
    promotion._setup(args.students)
    runs = {"with": [], "without": []}
    for round_ in range(args.rounds):
        for variant in runs:
            _set(variant)
            load, cpu, own = os.getloadavg()[0], _server_cpu(), os.times()
            seconds = promotion._work()
            after, own_after = _server_cpu(), os.times()
            check = promotion._check(args.students)
            run = {"round": round_, "indexes": variant, "seconds": round(seconds, 2), "load": round(load, 2),
                   "server_cpu_s": None if cpu is None else round(after - cpu, 1),
                   "python_cpu_s": round(own_after.user + own_after.system - own.user - own.system, 1),
                   "once_each": check["promoted"] == args.students and check["promoted_twice"] == 0}
            runs[variant].append(run)
            print(json.dumps(run), flush=True)
            promotion._reset()
    print(json.dumps({variant: {"median_s": statistics.median(r["seconds"] for r in rs),
                                "median_server_cpu_s": (statistics.median(r["server_cpu_s"] for r in rs)
                                                        if rs[0]["server_cpu_s"] is not None else None)}
                      for variant, rs in runs.items()}))


if __name__ == "__main__":
    main()
