"""A registration import through a real task worker process (``manage.py jobs_worker``
on the test database, database backend): queued by the page, run by the worker, the
worker SIGKILLed in the middle → reaped as 失败 with a Chinese message, every batch it
had committed withdrawn, then 重新执行 by a new worker to the end."""

from __future__ import annotations

import os
import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from xueji.audit.models import AuditEntry
from xueji.jobs import services as job_services
from xueji.jobs.models import Job, JobStatus
from xueji.jobs.testing import DATABASE_TASKS, children_of, start_worker, wait_for
from xueji.registration.models import Registration, Upload, UploadStatus
from xueji.registration.testing import workbook_bytes
from xueji.students.models import IdentityClaim
from xueji.workflow.models import Business

pytestmark = pytest.mark.django_db(transaction=True)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS = 3000
SLOW = {"XUEJI_POPULATION_REGISTRY": "xueji.registration.tests.slow_registry.SlowPopulationRegistry",
        "XUEJI_TEST_REGISTRY_DELAY": "0.8"}


@pytest.fixture
def database_backend(settings):
    settings.TASKS = DATABASE_TASKS


def test_killed_worker_leaves_nothing_and_the_import_runs_again(client, reg, database_backend, tmp_path):
    content = workbook_bytes("primary-resident", [reg.row(i) for i in range(1, ROWS + 1)])
    client.force_login(reg.users.school_registrar)
    response = client.post(reverse("registration:upload", args=["primary-resident"]),
                           {"file": SimpleUploadedFile("新生.xlsx", content, content_type=XLSX)})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    # queued: the request returned at once; nothing is imported until a worker runs it
    assert job.status == JobStatus.QUEUED and job.task_id
    assert DBTaskResult.objects.filter(id=job.task_id, status="READY").exists()
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="job-status">排队中<' in page and "jobs/progress.js" in page
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.PROCESSING and not Registration.objects.exists()
    detail = client.get(reverse("registration:upload_detail", args=[upload.pk])).content.decode()
    assert f'href="/jobs/{job.pk}/" data-testid="upload-job"' in detail  # not empty totals

    worker = start_worker(env=SLOW, log=tmp_path / "worker1.log")
    try:
        # wait until batches are committed and reported, then kill the worker mid-import
        wait_for(lambda: Job.objects.filter(pk=job.pk, done__gt=0).exists(), what="a reported batch")
        running = Job.objects.get(pk=job.pk)
        assert running.status == JobStatus.RUNNING and running.worker_pid == worker.pid
        status = client.get(reverse("jobs:status", args=[job.pk])).json()
        assert status["status_name"] == "进行中" and status["done"] > 0 and status["total"] == ROWS
        readers = children_of(worker.pid)  # the forked child reading and checking the sheet
        assert readers
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    # the reading child does not outlive its worker (it would block on the pipe forever)
    wait_for(lambda: not any(job_services.process_alive(pid) for pid in readers), what="the reader's exit")
    assert Registration.objects.filter(upload=upload).exists()  # batches were committed before the kill
    assert Registration.objects.filter(upload=upload).count() < ROWS

    # reading its status reaps it: the worker's process is gone
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["status"] == "failed" and status["status_name"] == "失败"
    assert "后台任务进程意外终止" in status["message"] and "本次导入已撤回" in status["message"]
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED and "本次导入已撤回" in upload.message
    assert not Registration.objects.exists() and not IdentityClaim.objects.exists() and not Business.objects.exists()
    assert DBTaskResult.objects.get(id=job.task_id).status == "FAILED"
    assert AuditEntry.objects.filter(action="jobs.failed").exists()
    assert AuditEntry.objects.filter(action="registration.upload_undone").exists()
    assert job_services.reap_dead_jobs() == 0  # once only
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "重新执行" in page and "后台任务进程意外终止" in page

    # 重新执行: a new upload of the same file, a new job, run by a new worker to the end
    response = client.post(reverse("jobs:rerun", args=[job.pk]))
    again = Job.objects.exclude(pk=job.pk).get()
    assert response["Location"] == f"/jobs/{again.pk}/" and again.rerun_of_id == job.pk
    assert again.status == JobStatus.QUEUED
    assert client.post(reverse("jobs:rerun", args=[job.pk])).status_code == 302  # refused: already run again
    assert Job.objects.count() == 2
    worker = start_worker(log=tmp_path / "worker2.log")
    try:
        assert worker.wait(timeout=300) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    again.refresh_from_db()
    assert again.status == JobStatus.DONE, again.message
    second = Upload.objects.get(pk=again.params["upload"])
    assert second.pk != upload.pk and second.file.name == upload.file.name
    assert (second.status, second.total_rows, second.passed_rows, second.failed_rows) == (
        UploadStatus.DONE, ROWS, ROWS, 0)
    assert Registration.objects.filter(upload=second).count() == ROWS
    assert again.done == again.total == ROWS
    response = client.get(reverse("jobs:detail", args=[again.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("registration:upload_detail",
                                                                            args=[second.pk])
