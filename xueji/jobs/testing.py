"""Test helpers: a real task worker (``manage.py jobs_worker``) in a subprocess on the
test database, and the database backend for the test process, so end-to-end tests see
jobs queued, run, killed and reaped as in production."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def database_url() -> str:
    """The test database as a DATABASE_URL for another process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = quote(s.get("USER") or "")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{s['NAME']}"


def start_worker(*, batch: bool = True, env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    """``manage.py jobs_worker`` on the test database with the database backend."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "xueji.settings_test", "DATABASE_URL": database_url(),
                   "XUEJI_TEST_TASKS_BACKEND": "django_tasks_db.DatabaseBackend", "XUEJI_LOG_LEVEL": "INFO",
                   **(env or {})}
    command = [sys.executable, str(BASE_DIR / "manage.py"), "jobs_worker", "--interval", "0.2"]
    if batch:
        command.append("--batch")
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(command, cwd=BASE_DIR, env=environment, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log:
            out.close()


def wait_for(predicate, *, timeout: float = 120, every: float = 0.05, what: str = "condition"):
    """Poll ``predicate`` until it returns something true (bounded: a limit, not a timing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} not reached within {timeout} s")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found
