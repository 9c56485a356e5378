"""锚点文件 (audit anchors): the chains' heads written down outside the database.

A chain's head row can't be rewound by whoever lacks the audit key, but an *authentic*
older head (copied back from a backup, together with the entries up to it) makes a
shortened chain look whole. The anchors catch that: signed lines, appended to a file that
is not in the database (``settings.XUEJI_AUDIT_ANCHOR_PATH``; in production on another
volume or host, append-only), each naming a chain, a seq and that entry's hash. Anchors
only grow, so ``verify_audit`` requires every chain to still reach its newest anchor with
the anchored hash.

Lines are written

- after ``record_event``'s transaction commits, by the process that wrote the entry, at
  most once every ``XUEJI_AUDIT_ANCHOR_EVERY`` entries or ``XUEJI_AUDIT_ANCHOR_SECONDS``
  per chain (no file write per entry on the hot path; the first entry of a chain in a
  process is always anchored);
- by ``manage.py verify_audit`` after a clean check, and by ``manage.py audit_anchor``
  (for a scheduler).

Format: ``time<TAB>chain<TAB>seq<TAB>hash<TAB>signature`` (``rules.Anchor.line``),
signed with ``settings.XUEJI_AUDIT_ANCHOR_KEY`` (default: derived from the audit key).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import rules

try:  # POSIX: serialise appenders of several processes
    import fcntl
except ImportError:  # pragma: no cover - not on the supported platforms
    fcntl = None

logger = logging.getLogger(__name__)


def anchor_path() -> Path:
    return Path(settings.XUEJI_AUDIT_ANCHOR_PATH)


def anchor_key() -> str | bytes:
    return (getattr(settings, "XUEJI_AUDIT_ANCHOR_KEY", "")
            or rules.derive_anchor_key(settings.XUEJI_AUDIT_KEY))


def now_text() -> str:
    """The anchor's time: local, to the second, with its offset."""
    return timezone.localtime(timezone.now()).isoformat(timespec="seconds")


@dataclass
class AnchorFile:
    """What the anchor file says: the newest anchor of each chain, and its bad lines."""

    path: Path
    exists: bool
    latest: dict[str, rules.Anchor] = field(default_factory=dict)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    lines: int = 0


def read_anchors(path: Path | None = None) -> AnchorFile:
    """Read the anchor file line by line (constant memory besides one anchor per chain).

    A last line without its newline is being written right now by another process and
    is left out; every other line must parse and carry a valid signature."""
    path = anchor_path() if path is None else Path(path)
    result = AnchorFile(path=path, exists=path.exists())
    if not result.exists:
        return result
    key = anchor_key()
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith("\n"):
                break
            result.lines = number
            try:
                anchor = rules.parse_anchor_line(line, key)
            except rules.AnchorLineError as error:
                result.bad_lines.append((number, str(error)))
                continue
            if anchor is None:
                continue
            known = result.latest.get(anchor.chain)
            if known is None or anchor.seq > known.seq:
                result.latest[anchor.chain] = anchor
            elif anchor.seq == known.seq and anchor.entry_hash != known.entry_hash:
                result.bad_lines.append((number, f"与前面的锚点矛盾(链 {anchor.chain} 第 {anchor.seq} 条)"))
    return result


def append_anchors(anchors: Iterable[rules.Anchor], path: Path | None = None) -> int:
    """Append ``anchors`` in one write (O_APPEND, under an exclusive lock), creating the
    file and its directory when missing. Returns the number of lines written."""
    anchors = list(anchors)
    if not anchors:
        return 0
    path = anchor_path() if path is None else Path(path)
    key = anchor_key()
    data = "".join(anchor.line(key) for anchor in anchors).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    return len(anchors)


# --- the hot path: after record_event commits --------------------------------------------
_last: dict[tuple[str, str], tuple[int, float]] = {}
_last_lock = threading.Lock()


def _due(path: Path, chain: str, seq: int) -> bool:
    every = int(getattr(settings, "XUEJI_AUDIT_ANCHOR_EVERY", 100))
    seconds = float(getattr(settings, "XUEJI_AUDIT_ANCHOR_SECONDS", 60))
    now = time.monotonic()
    key = (str(path), chain)
    with _last_lock:
        last = _last.get(key)
        if last is not None and seq - last[0] < every and now - last[1] < seconds:
            return False
        _last[key] = (max(seq, last[0]) if last else seq, now)
    return True


def entry_committed(chain: str, seq: int, entry_hash: str) -> None:
    """``transaction.on_commit`` callback of ``record_event``: anchor this entry when the
    chain is due in this process. Never raises: the entry is committed already, and a
    failed anchor write (disk full, volume missing) must not turn a done operation into an
    error page; it is logged, and ``verify_audit`` reports chains without anchors."""
    try:
        path = anchor_path()
        if not _due(path, chain, seq):
            return
        append_anchors([rules.Anchor(now_text(), chain, seq, entry_hash)], path)
    except Exception:  # noqa: BLE001 - see above
        logger.exception("审计日志锚点写入失败(链 %s 第 %s 条)", chain, seq)


def forget_schedule() -> None:
    """Forget when each chain was last anchored (tests)."""
    with _last_lock:
        _last.clear()
