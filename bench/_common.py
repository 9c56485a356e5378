"""Helpers shared by the benchmarks of bench/ (not a benchmark itself: run.py lists the
benchmarks it runs)."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup(var_dir: str, *, migrate: bool = True) -> None:
    """Django on a throwaway database under ``var_dir`` (SQLite), or on ``DATABASE_URL``;
    with ``migrate``, also the schema and the national division list."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("XUEJI_ENV", "test")
    os.environ["XUEJI_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xueji.settings_test")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_divisions", verbosity=0)


def percentiles(samples_ms: list[float]) -> dict:
    samples = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3),
        "max_ms": round(samples[-1], 3),
        "n": len(samples),
    }


def time_calls(fn, arguments) -> dict:
    """p50/p99 in ms of ``fn(argument)`` for each of ``arguments`` (one call each)."""
    samples = []
    for argument in arguments:
        start = time.perf_counter()
        fn(argument)
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def _status_mb(field: str) -> float | None:
    """A memory figure of /proc/self/status (``VmRSS``, ``VmHWM`` …) in MB; None where
    there is no /proc."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def max_rss_mb() -> float:
    """Peak resident set size of this process so far: VmHWM of /proc/self/status (the
    high-water mark of this address space). Not ``ru_maxrss``: Linux carries that over
    ``execve`` from the process that started this one — a benchmark child started by
    a parent that built 100,000 rows in memory would report the parent's peak."""
    peak = _status_mb("VmHWM")
    return peak if peak is not None else round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def worker_max_rss_mb() -> float:
    """Peak RSS of the largest child process this one has waited for (the import's
    worker, xueji.common.parallel, forked — not exec'd — so its own high-water mark,
    counting the pages it shares with this process); 0 when there was none."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    rss = _status_mb("VmRSS")
    return rss if rss is not None else float("nan")


def machine() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            mem_gib = round(int(meminfo.readline().split()[1]) / 1024 / 1024)
        mem = f", {mem_gib} GiB"
    except (OSError, ValueError, IndexError):
        mem = ""
    return f"{platform.machine()} {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo``), "" where unknown."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def yardstick() -> float:
    """Seconds one core takes for a fixed piece of pure Python (the best of three runs of
    summing 10,000,000 squares): the machine's speed next to a benchmark's figures, since
    the same command on machines called alike ran up to twice as fast (docs/PERFORMANCE.md,
    会话 9). Smaller is faster."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        sum(i * i for i in range(10_000_000))
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def database() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"{connection.vendor} {cursor.fetchone()[0]}"


def insert_students(school_id: int, grade_id: int, klass_id: int | None, count: int, base: int, *,
                    status: str = "10", birth_date: str = "2012-01-01", gender: str | None = "1") -> None:
    """``count`` minimal records in one class, inserted by SQL (one INSERT … SELECT over a
    generated series: benchmarks build millions of records this way, not through the one
    writer, whose own speed bench/record_writer.py measures): 学籍号 ``L`` + the 18-digit
    ``base + n`` (n = 1 … count), 姓名 ``学生{base + n}``, ``gender`` ("1"/"2"; None:
    alternating, 男 for odd n), the other text items empty."""
    from django.db import connection

    from xueji.students.models import Student

    if count <= 0:
        return
    sqlite = connection.vendor == "sqlite"
    serial = f"({base} + n)" if sqlite else f"({base} + n)::bigint"
    number = f"'L' || printf('%018d', {serial})" if sqlite else f"'L' || lpad({serial}::text, 18, '0')"
    name = f"'学生' || {serial}"
    fixed = {"number_kind": "L", "status": status, "suspected_dropout": False, "birth_date": birth_date,
             "id_type": "9", "id_number": "", "nationality": "CHN", "hmt": "00"}
    if gender is not None:
        fixed["gender"] = gender
    blanks = [f.column for f in Student._meta.concrete_fields
              if f.get_internal_type() == "CharField" and not f.null and f.column not in fixed
              and f.column not in ("national_number", "name", "gender")]
    blanks.append("photo")
    blanks = list(dict.fromkeys(blanks))
    columns = ["national_number", "name", "gender", "school_id", "grade_id", "klass_id", "registered_at",
               "updated_at", *(c for c in fixed if c != "gender"), *blanks]
    values = [number, name, "%s" if gender is not None else "CASE WHEN n %% 2 = 1 THEN '1' ELSE '2' END",
              str(school_id), str(grade_id), "NULL" if klass_id is None else str(klass_id), "%s", "%s",
              *["%s"] * (len(fixed) - (gender is not None)), *["''"] * len(blanks)]
    params = ([gender] if gender is not None else []) + ["2025-01-01 00:00:00+00", "2025-01-01 00:00:00+00",
                                                         *(v for k, v in fixed.items() if k != "gender")]
    series = (f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count})" if sqlite
              else f"WITH seq(n) AS (SELECT generate_series(1, {count}))")
    with connection.cursor() as cursor:
        cursor.execute(f"{series} INSERT INTO {Student._meta.db_table} ({', '.join(columns)})"
                       f" SELECT {', '.join(values)} FROM seq", params)
