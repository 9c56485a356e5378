"""首次数据采集 through a real task worker process (``manage.py jobs_worker`` on the test
database): started from the page, the worker SIGKILLed after a batch was committed →
reaped as 失败 with a Chinese message and every record, problem group, membership and
class the load created taken back; run again by a new worker, the end state equals a
clean run's (same records, no duplicates, no stray problem groups)."""

from __future__ import annotations

import os
import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.jobs import services as job_services
from xueji.jobs.models import Job, JobStatus
from xueji.jobs.testing import DATABASE_TASKS, start_worker, wait_for
from xueji.registration import collection
from xueji.registration.models import CollectionBatch, CollectionRun, CollectionStatus
from xueji.students.models import Student

from .collection_scenario import book, prepare, rows, state

pytestmark = pytest.mark.django_db(transaction=True)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS = 3000  # two batches of collection.BATCH_SIZE (2,000) and 1,000
SLOW = {"XUEJI_POPULATION_REGISTRY": "xueji.registration.tests.slow_registry.SlowPopulationRegistry",
        "XUEJI_TEST_REGISTRY_DELAY": "3"}


@pytest.fixture
def database_backend(settings):
    settings.TASKS = DATABASE_TASKS


def _stop(worker):
    if worker.poll() is None:
        worker.kill()
        worker.wait()


def test_killed_worker_leaves_nothing_and_the_collection_runs_again_as_a_clean_run(client, reg, database_backend,
                                                                                  tmp_path):
    assert collection.BATCH_SIZE == 2000
    prepare(reg)
    file_rows = rows(reg, plain=ROWS - 6)
    content = book(file_rows)
    with transaction.atomic():  # what a clean run leaves, rolled back
        clean_report = collection.collect(reg.world.th_school, reg.users.th_registrar, content, filename="采集.xlsx")
        clean = state()
        transaction.set_rollback(True)
    assert clean_report.created == ROWS and len(clean["records"]) == ROWS + 3
    before = state()

    client.force_login(reg.users.th_registrar)
    response = client.post(reverse("registration:initial_collection"), {
        "school_code": reg.world.th_school.code, "create_classes": "on",
        "file": SimpleUploadedFile("采集.xlsx", content, content_type=XLSX)})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.QUEUED

    worker = start_worker(env=SLOW, log=tmp_path / "worker1.log")
    try:
        wait_for(lambda: Job.objects.filter(pk=job.pk, done__gt=0).exists(), what="a reported batch")
        run = CollectionRun.objects.get(job=job)
        assert CollectionBatch.objects.filter(run=run).count() == 1  # the first batch is committed
        assert Student.objects.count() == len(before["records"]) + 2000
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        _stop(worker)
    assert Student.objects.count() == len(before["records"]) + 2000  # the second batch never committed

    # reading its status reaps it: failed, in Chinese, and what the load created is gone
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["status"] == "failed" and status["status_name"] == "失败"
    assert status["message"].startswith("后台任务进程意外终止,已撤回本次采集建立的2000条学籍、")
    assert status["message"].endswith(",请重新执行")
    assert state() == before
    run.refresh_from_db()
    assert run.status == CollectionStatus.WITHDRAWN and not CollectionBatch.objects.filter(run=run).exists()
    assert AuditEntry.objects.filter(action="registration.initial_collection_withdrawn").count() == 1
    assert AuditEntry.objects.filter(action="jobs.failed").exists()
    assert job_services.reap_dead_jobs() == 0  # once only

    # 重新执行 by a new worker (normal speed) to the end: the same as a clean run
    response = client.post(reverse("jobs:rerun", args=[job.pk]))
    again = Job.objects.exclude(pk=job.pk).get()
    assert response["Location"] == f"/jobs/{again.pk}/" and again.rerun_of_id == job.pk
    worker = start_worker(log=tmp_path / "worker2.log")
    try:
        assert worker.wait(timeout=300) == 0
    finally:
        _stop(worker)
    again.refresh_from_db()
    assert again.status == JobStatus.DONE, again.message
    assert again.result["created"] == ROWS and again.result["failed_count"] == 0
    assert again.result["groups"] == clean_report.groups_by_label
    assert state() == clean
    # no pupil twice: the file's rows once each, the no-ID pupil once beside the earlier one
    assert Student.objects.filter(school=reg.world.th_school).count() == ROWS + 1
    assert Student.objects.filter(name="无证同名", id_type="Z").count() == 2
    assert CollectionRun.objects.get(job=again).status == CollectionStatus.DONE
    response = client.get(reverse("jobs:detail", args=[again.pk]))
    assert response.status_code == 302 and response["Location"] == (
        reverse("registration:initial_collection") + f"?job={again.pk}")
