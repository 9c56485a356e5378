"""``make run``'s server: scripts/serve.py starts gunicorn and the task worker on the test
database; pages and static files are served, an import queued by a page is run by the
worker, and one SIGINT (Ctrl-C) stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xueji.jobs.models import Job, JobStatus
from xueji.jobs.services import process_alive
from xueji.jobs.testing import BASE_DIR, DATABASE_TASKS, children_of, database_url, wait_for
from xueji.registration import services
from xueji.registration.models import Upload, UploadStatus
from xueji.registration.testing import workbook_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()
    except OSError:
        return 0, "", ""


def test_serve_runs_gunicorn_and_the_worker_and_stops_both(reg, settings, tmp_path):
    settings.TASKS = DATABASE_TASKS
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xueji.settings_test", "DATABASE_URL": database_url(),
           "XUEJI_TEST_TASKS_BACKEND": "django_tasks_db.DatabaseBackend", "XUEJI_WEB_WORKERS": "1"}
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, str(BASE_DIR / "scripts" / "serve.py"), "--bind", f"127.0.0.1:{port}"],
                              cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(base + "/accounts/login/")[0] == 200, timeout=60, every=0.3, what="the server")
        status, kind, page = _get(base + "/accounts/login/")
        assert "登录" in page and "text/html" in kind
        status, kind, _ = _get(base + "/static/bootstrap/css/bootstrap.min.css")
        assert status == 200 and "text/css" in kind
        status, _, page = _get(base + "/no/such/page/")
        assert status == 404 and "未找到" in page and "URLconf" not in page

        job = services.submit_upload(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                                     SimpleUploadedFile("新生.xlsx", workbook_bytes("primary-resident",
                                                                                  [reg.row(1), reg.row(2)])))
        assert job.status == JobStatus.QUEUED
        wait_for(lambda: Job.objects.filter(pk=job.pk, status=JobStatus.DONE).exists(), timeout=120, every=0.2,
                 what="the job run by the server's worker")
        upload = Upload.objects.get(pk=job.params["upload"])
        assert upload.status == UploadStatus.DONE and upload.passed_rows == 2
        kids = children_of(server.pid)
        assert len(kids) == 2  # gunicorn's master and the worker
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=60) == 0
        assert not any(process_alive(pid) for pid in kids)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
    assert _get(base + "/accounts/login/")[0] == 0  # nothing listens any more
    text = (tmp_path / "serve.log").read_text()
    assert "学籍已启动" in text and "正在停止" in text and '"GET /accounts/login/ HTTP/1.1" 200' in text
