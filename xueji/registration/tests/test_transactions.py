"""Every write of 学籍注册 and its audit entry share one transaction: when the audit entry
can't be written, the effect is rolled back (start_upload, process_upload, report,
withdraw), and an import job whose end fails is undone."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xueji.jobs.models import Job, JobStatus
from xueji.registration import services
from xueji.registration.models import Registration, RowError, Upload, UploadStatus
from xueji.registration.testing import workbook_bytes
from xueji.students.models import IdentityClaim
from xueji.workflow import services as workflow_services
from xueji.workflow.models import Business, BusinessStatus


class AuditDown(RuntimeError):
    pass


def _failing(real, *, action=None, after_calls=0):
    """``record_event`` that raises for ``action`` (any when None) after ``after_calls`` calls."""
    calls = {"n": 0}

    def record_event(**kwargs):
        if action is None or kwargs.get("action") == action:
            calls["n"] += 1
            if calls["n"] > after_calls:
                raise AuditDown(kwargs.get("action"))
        return real(**kwargs)

    return record_event


def _file(reg, rows):
    return SimpleUploadedFile("新生.xlsx", workbook_bytes("primary-resident", rows))


def _register(reg, rows):
    return services.register_rows(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                                  list(enumerate(rows, start=2))).passed


def _fresh(regs):
    return list(Registration.objects.filter(pk__in=[r.pk for r in regs]).select_related("business"))


def test_start_upload_rolls_back_without_its_audit_entry(reg, monkeypatch):
    monkeypatch.setattr(services, "record_event", _failing(services.record_event))
    with pytest.raises(AuditDown):
        services.start_upload(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                              _file(reg, [reg.row(1)]))
    assert not Upload.objects.exists()


def test_submit_upload_rolls_back_upload_and_job_together(reg, monkeypatch):
    from xueji.jobs import services as job_services

    monkeypatch.setattr(job_services, "record_event", _failing(job_services.record_event))
    with pytest.raises(AuditDown):
        services.submit_upload(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                               _file(reg, [reg.row(1)]))
    assert not Upload.objects.exists() and not Job.objects.exists()


def test_process_upload_does_not_finish_without_its_audit_entry(reg, monkeypatch):
    upload = services.start_upload(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                                   _file(reg, [reg.row(1), reg.row(2, 出生日期="20150230")]))
    monkeypatch.setattr(services, "record_event",
                        _failing(services.record_event, action="registration.upload_processed"))
    with pytest.raises(AuditDown):
        services.process_upload(upload)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.PROCESSING and upload.total_rows == 0 and upload.finished_at is None
    assert not RowError.objects.exists()


def test_an_import_job_whose_end_fails_is_undone(reg, monkeypatch):
    monkeypatch.setattr(services, "record_event",
                        _failing(services.record_event, action="registration.upload_processed"))
    job = services.submit_upload(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                                 _file(reg, [reg.row(1), reg.row(2)]))
    assert job.status == JobStatus.FAILED and "本次导入已撤回(撤回2条注册申请)" in job.message
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.FAILED and "本次导入已撤回" in upload.message
    assert not Registration.objects.exists() and not IdentityClaim.objects.exists() and not Business.objects.exists()
    assert not RowError.objects.exists()


def test_report_rolls_back_without_its_audit_entry(reg, monkeypatch):
    pending = _register(reg, [reg.row(3), reg.row(4)])
    services.school_review(pending, reg.users.school_leader, True, "")
    monkeypatch.setattr(services, "record_event", _failing(services.record_event, action="registration.reported"))
    with pytest.raises(AuditDown):
        services.report(_fresh(pending), reg.users.school_registrar)
    assert {r.business.hold for r in _fresh(pending)} == {services.HOLD_REPORT}


def test_withdraw_is_all_or_nothing(reg, monkeypatch):
    pending = _register(reg, [reg.row(5), reg.row(6)])
    monkeypatch.setattr(workflow_services, "record_event",
                        _failing(workflow_services.record_event, action="workflow.withdrawn", after_calls=1))
    with pytest.raises(AuditDown):
        services.withdraw(_fresh(pending), reg.users.school_registrar)
    assert {r.business.status for r in _fresh(pending)} == {BusinessStatus.OPEN}
    assert IdentityClaim.objects.count() == 2
