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


def database() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"{connection.vendor} {cursor.fetchone()[0]}"
