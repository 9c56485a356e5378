"""Pure decisions about jobs: progress figures, how a duration reads, and whether a
running job's worker is gone. No database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    """What the progress bar shows: ``percent`` (None while the total is unknown), rows per
    second and the estimated seconds left (None when it can't be said yet)."""

    done: int
    total: int | None
    percent: int | None
    rate: float | None
    seconds_left: int | None
    elapsed: int


def progress_figures(done: int, total: int | None, started_at: dt.datetime | None, now: dt.datetime,
                     finished_at: dt.datetime | None = None) -> Figures:
    done = max(0, int(done or 0))
    total = int(total) if total else None
    end = finished_at or now
    elapsed = max(0.0, (end - started_at).total_seconds()) if started_at else 0.0
    percent = min(100, done * 100 // total) if total else None
    rate = done / elapsed if elapsed >= 0.5 and done else None
    left = None
    if total and rate and not finished_at:
        left = max(0, round((total - done) / rate))
    return Figures(done, total, percent, round(rate, 1) if rate is not None else None, left, round(elapsed))


def format_duration(seconds: int | None) -> str:
    """``95`` → ``1分35秒``; ``None`` → ``''``."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    if seconds < 1:
        return "不到1秒"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes}分"
    if minutes:
        return f"{minutes}分{secs}秒" if secs else f"{minutes}分"
    return f"{secs}秒"


def worker_gone(*, heartbeat_at: dt.datetime | None, now: dt.datetime, stale_after: float,
                same_host: bool, process_alive: bool | None) -> bool:
    """Whether a running job's worker is gone: its process no longer exists (known only on
    the worker's own host), or it has not reported for ``stale_after`` seconds (any host;
    covers a reused process id and a lost machine)."""
    if same_host and process_alive is False:
        return True
    if heartbeat_at is None:
        return False
    return (now - heartbeat_at).total_seconds() > stale_after
