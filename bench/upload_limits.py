"""What the upload bounds of the streaming reader cost (issue 7 §6), and what they save.

- the row count before reading (``xlsx_reader._count_rows``) against a full read, on a
  sheet of N rows × 50 shared-string cells (the shape of a filled registration template);
- how fast a million empty rows and a 45 MB shared string (each a small file) are turned
  away, with the reader's traced peak memory.

    python bench/upload_limits.py [--rows 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xueji.common import xlsx_reader as X  # noqa: E402
from xueji.common.tests.test_xlsx_limits import (  # noqa: E402
    empty_rows_workbook,
    huge_string_workbook,
    workbook,
)

COLUMNS = [bytes([65 + c]) if c < 26 else b"A" + bytes([65 + c - 26]) for c in range(50)]


def filled(rows: int) -> bytes:
    def sheet():
        for r in range(2, rows + 2):
            yield (b'<row r="%d" spans="1:72">' % r) + b"".join(
                b'<c r="%s%d" s="1" t="s"><v>%d</v></c>' % (col, r, c) for c, col in enumerate(COLUMNS)
            ) + b"</row>"
    return workbook(sheet(), [b"<si><t>x%d</t></si>" % i for i in range(60)])


def timed(call, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def refused(data: bytes, limits: X.Limits) -> tuple[float, int, str]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        X.open_first_sheet(data, limits).close()
        message = "(accepted)"
    except X.LimitError as error:
        message = error.message
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak, message


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = filled(args.rows)
    zf = zipfile.ZipFile(io.BytesIO(data))
    part = "xl/worksheets/sheet1.xml"
    size = zf.getinfo(part).file_size

    def inflate():
        with zf.open(part) as stream:
            while stream.read(1 << 20):
                pass

    count = timed(lambda: X._count_rows(zf, part, 10**9), args.repeat)
    only_inflate = timed(inflate, args.repeat)
    read = timed(lambda: sum(1 for _ in X.iter_rows(data)), args.repeat)
    print(f"sheet: {args.rows:,} rows, {len(data) / 1e6:.1f} MB file, {size / 1e6:.1f} MB XML")
    print(f"  row count before reading: {count * 1000:.0f} ms (inflate alone {only_inflate * 1000:.0f} ms)")
    print(f"  full read of the rows:    {read * 1000:.0f} ms  → the count adds {count / read:.0%} to the reading")

    million = empty_rows_workbook(1_000_000)
    elapsed, peak, message = refused(million, X.Limits(max_rows=200_000))
    print(f"1,000,000 empty rows ({len(million) / 1e6:.1f} MB file): refused in {elapsed * 1000:.0f} ms, "
          f"peak {peak / 1e6:.1f} MB — {message}")
    huge = huge_string_workbook(45)
    elapsed, peak, message = refused(huge, X.DEFAULT_LIMITS)
    print(f"45 MB shared string ({len(huge) / 1e3:.0f} KB file): refused in {elapsed * 1000:.0f} ms, "
          f"peak {peak / 1e6:.1f} MB — {message}")


if __name__ == "__main__":
    main()
