"""学籍 benchmarks: ``make bench`` runs every benchmark here and prints its figures.

Figures go into docs/PERFORMANCE.md with the command, data size, machine and date.
They are never asserted in the test suite: these machines are shared and noisy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("organisation scope reads (200,000 schools, 1,000,000 accounts)", ["org_scope.py", "--schools", "200000"]),
]


def main() -> int:
    status = 0
    for title, argv in BENCHMARKS:
        print(f"== {title}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / argv[0]), *argv[1:], *sys.argv[1:]])
    return status


if __name__ == "__main__":
    raise SystemExit(main())
