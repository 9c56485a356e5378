"""后台任务: start, progress, finish, failure and its compensation, cancel, rerun, dead
workers, and who may see a job (pages and API)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from xueji.audit.models import AuditEntry
from xueji.jobs import registry, rules, selectors, services
from xueji.jobs.models import Job, JobStatus
from xueji.testing import api_client

T0 = dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)


# --- rules ----------------------------------------------------------------------------------------

def test_progress_figures():
    f = rules.progress_figures(500, 2000, T0, T0 + dt.timedelta(seconds=10))
    assert (f.percent, f.rate, f.seconds_left, f.elapsed) == (25, 50.0, 30, 10)
    unknown = rules.progress_figures(500, None, T0, T0 + dt.timedelta(seconds=10))
    assert unknown.percent is None and unknown.seconds_left is None and unknown.rate == 50.0
    assert rules.progress_figures(0, 100, None, T0).rate is None
    assert rules.progress_figures(0, 0, T0, T0).percent is None  # an empty total is no total
    done = rules.progress_figures(100, 100, T0, T0 + dt.timedelta(hours=1), finished_at=T0 + dt.timedelta(seconds=4))
    assert done.percent == 100 and done.seconds_left is None and done.elapsed == 4 and done.rate == 25.0
    assert rules.progress_figures(150, 100, T0, T0 + dt.timedelta(seconds=1)).percent == 100
    assert rules.progress_figures(-5, 100, T0, T0).done == 0


@pytest.mark.parametrize("seconds,text", [
    (None, ""), (0, "不到1秒"), (-3, "不到1秒"), (1, "1秒"), (59, "59秒"), (60, "1分"), (95, "1分35秒"),
    (3600, "1小时0分"), (7384, "2小时3分"),
])
def test_format_duration(seconds, text):
    assert rules.format_duration(seconds) == text


def test_worker_gone():
    now = T0 + dt.timedelta(seconds=100)
    fresh, stale = T0 + dt.timedelta(seconds=95), T0
    assert rules.worker_gone(heartbeat_at=fresh, now=now, stale_after=60, same_host=True, process_alive=False)
    assert not rules.worker_gone(heartbeat_at=fresh, now=now, stale_after=60, same_host=True, process_alive=True)
    assert rules.worker_gone(heartbeat_at=stale, now=now, stale_after=60, same_host=True, process_alive=True)
    # another host: its process can't be seen from here, only the heartbeat tells
    assert not rules.worker_gone(heartbeat_at=fresh, now=now, stale_after=60, same_host=False, process_alive=None)
    assert rules.worker_gone(heartbeat_at=stale, now=now, stale_after=60, same_host=False, process_alive=None)
    assert not rules.worker_gone(heartbeat_at=None, now=now, stale_after=60, same_host=False, process_alive=None)


def test_process_alive():
    assert services.process_alive(os.getpid()) is True
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert services.process_alive(child.pid) is False
    assert services.process_alive(None) is None


# --- a job kind for the tests ---------------------------------------------------------------------

CALLS: list = []


def _run_counting(job, progress):
    progress.set_total(job.params["rows"])
    for _ in range(job.params["rows"]):
        progress.advance(1)
    if job.params.get("refuse"):
        raise ValidationError("文件中没有可导入的数据")
    if job.params.get("crash"):
        raise RuntimeError("boom")
    return {"summary": [f"共{job.params['rows']}行"]}


def _undo_counting(job, reason):
    CALLS.append((job.pk, reason))
    return "已撤回测试数据"


@pytest.fixture
def kind():
    CALLS.clear()
    registry.register("test.count", name="测试任务", run=_run_counting, on_failure=_undo_counting)
    yield "test.count"
    registry._KINDS.pop("test.count", None)


def _start(user, kind="test.count", **params):
    return services.start_job(kind, user=user, params={"rows": 3, **params}, school=user.school)


def test_a_job_runs_to_done(world, kind):
    user = world.users.school_registrar
    job = _start(user, rows=2500)
    assert job.status == JobStatus.DONE and (job.done, job.total) == (2500, 2500)
    assert job.result == {"summary": ["共2500行"]} and job.finished_at and job.started_at
    assert job.worker_pid == os.getpid() and job.worker_host == socket.gethostname()[:100]
    assert job.task_id and job.title == "测试任务" and job.owner == user and job.school == world.th_school
    entry = AuditEntry.objects.get(action="jobs.started")
    assert entry.actor_username == user.username and "测试任务" in entry.summary
    assert not CALLS


def test_a_refusal_fails_the_job_with_its_message_and_undoes(world, kind):
    job = _start(world.users.school_registrar, refuse=True)
    assert job.status == JobStatus.FAILED and job.message.startswith("文件中没有可导入的数据")
    assert "已撤回测试数据" in job.message and CALLS == [(job.pk, "文件中没有可导入的数据")]
    assert AuditEntry.objects.filter(action="jobs.failed", object_id=str(job.pk)).exists()


def test_a_crash_fails_the_job_with_a_chinese_message(world, kind):
    job = _start(world.users.school_registrar, crash=True)
    assert job.status == JobStatus.FAILED and job.message.startswith(services.JOB_ERROR)
    assert "boom" not in job.message and len(CALLS) == 1


def test_an_unknown_kind_is_refused(world):
    with pytest.raises(ValueError):
        services.start_job("no.such.kind", user=world.users.school_registrar)
    assert not Job.objects.exists()


def test_the_job_and_its_audit_entry_are_one_transaction(world, kind, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(services, "record_event", broken)
    with pytest.raises(RuntimeError):
        _start(world.users.school_registrar)
    assert not Job.objects.exists()


def test_progress_writes_at_most_once_per_interval(world, kind):
    job = Job.objects.create(kind=kind, owner=world.users.school_registrar, status=JobStatus.RUNNING, title="x")
    progress = services.Progress(job, interval=3600)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(10_000):
            progress.advance(1)
    assert len(queries) == 1  # the first rows are shown at once, then never one UPDATE per row
    with CaptureQueriesContext(connection) as queries:
        progress.flush()
    assert len(queries) == 1
    job.refresh_from_db()
    assert job.done == 10_000 and job.heartbeat_at is not None
    progress = services.Progress(job, interval=0)
    with CaptureQueriesContext(connection) as queries:
        progress.advance(5)
    assert len(queries) == 1


def test_progress_stops_a_cancelled_job(world, kind):
    job = Job.objects.create(kind=kind, owner=world.users.school_registrar, status=JobStatus.RUNNING, title="x")
    services.cancel_job(job, world.users.school_registrar)
    assert Job.objects.get(pk=job.pk).cancel_requested
    with pytest.raises(services.JobStopped):
        services.Progress(job).flush()
    with pytest.raises(services.JobStopped):
        services.Progress(job).finish({})


def test_cancel_a_queued_job(world, kind):
    user = world.users.school_registrar
    job = Job.objects.create(kind=kind, owner=user, title="x", school=world.th_school)
    with pytest.raises(Exception, match="发起人"):
        services.cancel_job(job, world.users.school_leader)
    job = services.cancel_job(job, user)
    assert job.status == JobStatus.CANCELLED and CALLS == [(job.pk, services.CANCELLED)]
    assert services.execute(job.pk) == JobStatus.CANCELLED  # the worker then does nothing
    with pytest.raises(ValidationError):
        services.cancel_job(job, user)
    assert AuditEntry.objects.filter(action="jobs.cancelled").count() == 1


def test_rerun(world, kind):
    user = world.users.school_registrar
    failed = _start(user, refuse=True)
    with pytest.raises(Exception, match="发起人"):
        services.rerun_job(failed, world.users.school_leader)
    again = services.rerun_job(failed, user)
    assert again.rerun_of == failed and again.kind == failed.kind and again.params == failed.params
    with pytest.raises(ValidationError, match="已重新执行过"):
        services.rerun_job(failed, user)
    done = _start(user)
    with pytest.raises(ValidationError, match="只有失败或已取消"):
        services.rerun_job(done, user)
    assert AuditEntry.objects.filter(action="jobs.rerun").count() == 1


def _running(world, kind, *, pid, host=None, beat=None):
    return Job.objects.create(kind=kind, owner=world.users.school_registrar, title="x", status=JobStatus.RUNNING,
                              worker_pid=pid, worker_host=host or socket.gethostname(), started_at=timezone.now(),
                              heartbeat_at=beat or timezone.now(), school=world.th_school)


def test_reap_dead_jobs(world, kind):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = _running(world, kind, pid=gone.pid)
    alive = _running(world, kind, pid=os.getpid())
    stale = _running(world, kind, pid=os.getpid(), beat=timezone.now() - dt.timedelta(minutes=10))
    elsewhere = _running(world, kind, pid=1, host="another-host")
    lost = _running(world, kind, pid=1, host="another-host", beat=timezone.now() - dt.timedelta(minutes=10))
    assert services.reap_dead_jobs() == 3
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses[dead.pk] == statuses[stale.pk] == statuses[lost.pk] == JobStatus.FAILED
    assert statuses[alive.pk] == statuses[elsewhere.pk] == JobStatus.RUNNING
    dead.refresh_from_db()
    assert dead.message == f"{services.WORKER_DIED},已撤回测试数据" and dead.finished_at
    assert sorted(pk for pk, _ in CALLS) == sorted([dead.pk, stale.pk, lost.pk])
    assert services.reap_dead_jobs() == 0
    # a queued job that never reached its queue
    never = Job.objects.create(kind=kind, owner=world.users.school_registrar, title="x")
    Job.objects.filter(pk=never.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    assert services.reap_if_dead(Job.objects.get(pk=never.pk)).status == JobStatus.FAILED


# --- who may see a job --------------------------------------------------------------------------

def _denied():
    return AuditEntry.objects.filter(action="scope.denied").count()


def _api(user):
    return api_client(user)


def test_scope_of_jobs_for_every_role(world, kind, client):
    u = world.users
    job = _start(u.school_registrar)
    county = services.start_job(kind, user=u.th_registrar, params={"rows": 1}, authority=world.tree.tianhe)
    allowed = {u.school_registrar, u.school_leader}
    for user in vars(u).values():
        visible = set(selectors.jobs_for(user).values_list("pk", flat=True))
        assert (job.pk in visible) == (user in allowed), user.username
        assert (county.pk in visible) == (user in {u.th_registrar, u.th_admin, u.th_admin2}), user.username
    for user in vars(u).values():
        client.force_login(user)
        before = _denied()
        codes = [client.get(reverse(name, args=[job.pk])).status_code for name in ("jobs:detail", "jobs:status")]
        api = _api(user).get(f"/api/v1/jobs/{job.pk}/").status_code
        if user in allowed:
            assert codes == [200, 200] and api == 200, user.username
            assert _denied() == before
        else:
            assert codes == [404, 404] and api == 404, user.username
            assert _denied() == before + 3, user.username
    client.force_login(u.school_registrar)
    for bad in ("abc", "1.5", "-1", "９"):
        assert client.get(f"/jobs/{bad}/").status_code == 404
        assert client.get(f"/jobs/{bad}/status/").status_code == 404
        assert _api(u.school_registrar).get(f"/api/v1/jobs/{bad}/").status_code == 404
    assert client.get("/jobs/99999999/").status_code == 404
    assert client.get("/jobs/").status_code == 200
    assert APIClient().get(f"/api/v1/jobs/{job.pk}/").status_code == 401
    client.logout()
    assert client.get(f"/jobs/{job.pk}/status/").status_code == 302  # to the login page


def test_only_the_owner_cancels_or_reruns_through_the_pages(world, kind, client):
    u = world.users
    job = _start(u.school_registrar, refuse=True)
    client.force_login(u.school_leader)  # sees the job (same school) but did not start it
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "重新执行" not in page
    assert client.post(reverse("jobs:rerun", args=[job.pk])).status_code == 403
    assert client.get(reverse("jobs:rerun", args=[job.pk])).status_code == 405
    client.force_login(u.school_registrar)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "重新执行" in page and "文件中没有可导入的数据" in page and 'data-testid="job-status">失败<' in page
    response = client.post(reverse("jobs:rerun", args=[job.pk]))
    assert response.status_code == 302 and Job.objects.count() == 2


def test_status_json_and_progress_page(world, kind, client):
    user = world.users.school_registrar
    job = Job.objects.create(kind=kind, owner=user, title="测试导入", status=JobStatus.RUNNING, school=world.th_school,
                             total=1000, done=250, started_at=timezone.now() - dt.timedelta(seconds=10),
                             heartbeat_at=timezone.now(), worker_pid=os.getpid(), worker_host=socket.gethostname())
    client.force_login(user)
    body = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert body["status_name"] == "进行中" and body["percent"] == 25 and body["total"] == 1000
    assert body["rate"] == pytest.approx(25, rel=0.3) and body["time_left"].endswith("秒")
    assert body["kind_name"] == "测试任务" and not body["finished"]
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'data-testid="job-done">250<' in page and "jobs/progress.js" in page and "<script>" not in page
    assert "取消任务" in page
    listing = client.get(reverse("jobs:list")).content.decode()
    assert "测试导入" in listing and "进行中" in listing


def _run_reaped_meanwhile(job, progress):
    """A run that goes on after it was taken for dead (its heartbeat was lost)."""
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, message=services.WORKER_DIED)
    CALLS.append((job.pk, "late write"))
    progress.flush()  # notices it no longer runs


def test_a_run_reaped_while_it_still_ran_undoes_its_late_writes(world, kind):
    registry.register("test.late", name="测试任务", run=_run_reaped_meanwhile, on_failure=_undo_counting)
    try:
        job = services.start_job("test.late", user=world.users.school_registrar)
    finally:
        registry._KINDS.pop("test.late", None)
    assert job.status == JobStatus.FAILED and job.message == services.WORKER_DIED
    assert CALLS == [(job.pk, "late write"), (job.pk, services.WORKER_DIED)]
