"""An initial data collection that does not finish is taken back exactly
(``collection.withdraw_run``): the records its committed batches created, with their
family members, numbers and identity claims, the problem groups it opened and the
memberships it wrote, the classes it created — and nothing else. A record that got a
business or a decision meanwhile is kept and named. Run again, the load ends as a clean
run does. The same undo runs for the job (``on_failure``) and the command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from xueji.audit.models import AuditEntry
from xueji.problems.models import ProblemGroup, ProblemKind
from xueji.registration import collection
from xueji.registration.models import CollectionBatch, CollectionRun, CollectionStatus
from xueji.students import services as student_services
from xueji.students.models import IdentityClaim, Student
from xueji.workflow import services as workflow

from .collection_scenario import book, prepare, rows, state


class Boom(RuntimeError):
    pass


@pytest.fixture
def suspend_opens():
    """休学 as a business that can start (its effect is a later feature's)."""
    from xueji.workflow import payloads, registry

    saved = dict(registry._TYPES)
    registry.set_handlers("suspend", on_complete=lambda business, decision, user: None,
                          payload=payloads.Schema("休学申请", (payloads.Field("reason", "原因", required=False),)))
    yield
    registry._TYPES.clear()
    registry._TYPES.update(saved)


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of three rows; ``fail_at(n)`` makes the n-th batch raise before it writes."""
    monkeypatch.setattr(collection, "BATCH_SIZE", 3)
    real = collection._load_batch
    calls = {"n": 0, "fail": None}

    def load(run, batch, today):
        calls["n"] += 1
        if calls["n"] == calls["fail"]:
            raise Boom("注入的故障")
        return real(run, batch, today)

    monkeypatch.setattr(collection, "_load_batch", load)

    def fail_at(n):
        calls["n"], calls["fail"] = 0, n

    return fail_at


def _clean_state(reg, content) -> dict:
    """What a clean run of ``content`` leaves (run inside a savepoint, rolled back)."""
    with transaction.atomic():
        report = collection.collect(reg.world.th_school, reg.users.th_registrar, content, filename="采集.xlsx")
        after = state()
        transaction.set_rollback(True)
    return {"state": after, "created": report.created, "groups": report.groups_by_label}


def _failing_run(reg, content, small_batches, at: int = 3) -> CollectionRun:
    run = collection.start_run(reg.world.th_school, reg.users.th_registrar, "采集.xlsx")
    small_batches(at)
    with pytest.raises(Boom):
        collection.collect(reg.world.th_school, reg.users.th_registrar, content, filename="采集.xlsx", run=run)
    small_batches(None)
    return run


def test_an_unfinished_load_is_taken_back_exactly_and_runs_again_as_a_clean_run(reg, small_batches):
    prepare(reg)
    content = book(rows(reg))
    clean = _clean_state(reg, content)
    assert clean["groups"] == {"身份证件号错误": 3, "身份证件号重复": 1, "无身份证件号姓名性别出生日期重复": 1}
    before = state()

    run = _failing_run(reg, content, small_batches)
    # two batches (six rows, every kind of write) were committed before the third failed
    assert CollectionBatch.objects.filter(run=run).count() == 2
    assert Student.objects.count() == len(before["records"]) + 6
    assert state()["classes"] != before["classes"]
    hz_group = ProblemGroup.objects.filter(kind=ProblemKind.ID_DUPLICATE,
                                           members__student__school=reg.world.hz_school).distinct().get()
    assert hz_group.members.count() == 3  # the load joined the earlier group

    note = collection.withdraw_run(run, "注入的故障")
    assert note == "已撤回本次采集建立的6条学籍、5组历史问题学籍、1个新建班级"
    assert state() == before  # nothing of the load is left, nothing else was touched
    assert hz_group.members.count() == 2
    run.refresh_from_db()
    assert run.status == CollectionStatus.WITHDRAWN and run.kept == [] and "注入的故障" in run.message
    assert not CollectionBatch.objects.filter(run=run).exists()
    entry = AuditEntry.objects.get(action="registration.initial_collection_withdrawn")
    assert "6条学籍" in entry.summary and len(entry.after["removed"]) == 6

    # taking it back again finds nothing; the withdrawn run writes nothing more
    assert collection.withdraw_run(run, "再来一次") == ""
    assert AuditEntry.objects.filter(action="registration.initial_collection_withdrawn").count() == 1
    with pytest.raises(ValidationError, match="已撤回"):
        collection.collect(reg.world.th_school, reg.users.th_registrar, content, filename="采集.xlsx", run=run)
    assert state() == before

    # run again: the same end state as a clean run (no 重复导入, no duplicate no-ID pupil)
    report = collection.collect(reg.world.th_school, reg.users.th_registrar, content, filename="采集.xlsx")
    assert (report.created, report.failed, report.groups_by_label) == (clean["created"], [], clean["groups"])
    assert state() == clean["state"]


def test_a_record_that_got_a_business_or_a_decision_meanwhile_is_kept(reg, small_batches, suspend_opens):
    prepare(reg)
    content = book(rows(reg))
    file_rows = rows(reg)
    run = _failing_run(reg, content, small_batches)
    first = Student.objects.get(name=file_rows[0]["姓名"])
    unverified = Student.objects.get(name=file_rows[2]["姓名"])
    twin = Student.objects.get(name=file_rows[1]["姓名"])
    business = workflow.initiate(kind="suspend", school=reg.world.th_school, applicant=reg.users.school_registrar,
                                 student=first, stage="1", summary="休学申请", payload={"reason": "病"})
    student_services.change_status([unverified], "11", reason="休学", date=dt.date.today())

    note = collection.withdraw_run(run, "后台任务进程意外终止")
    assert "已撤回本次采集建立的4条学籍" in note and "2条学籍已有其他业务或引用,予以保留" in note
    assert f"{first.name}({first.national_number}):已有业务" in note
    assert f"{unverified.name}({unverified.national_number}):学籍状态已有变动" in note
    # the kept records stay whole: family, numbers, claim, their groups
    kept = set(Student.objects.filter(pk__in=[first.pk, unverified.pk]).values_list("pk", flat=True))
    assert kept == {first.pk, unverified.pk}
    assert first.family.count() == 1 and first.numbers.count() == 1
    assert IdentityClaim.objects.filter(student=first).exists()
    assert ProblemGroup.objects.filter(kind=ProblemKind.ID_ERROR, members__student=unverified).exists()
    duplicate = ProblemGroup.objects.get(kind=ProblemKind.ID_DUPLICATE, members__student=first)
    assert list(duplicate.members.values_list("student_id", flat=True)) == [first.pk]  # the twin left it
    assert not Student.objects.filter(pk=twin.pk).exists()
    business.refresh_from_db()
    assert business.student_id == first.pk
    run.refresh_from_db()
    assert [(k[0], k[3]) for k in run.kept] == [(first.pk, "已有业务"), (unverified.pk, "学籍状态已有变动")]
    entry = AuditEntry.objects.get(action="registration.initial_collection_withdrawn")
    assert [k[1] for k in entry.after["kept"]] == ["已有业务", "学籍状态已有变动"]

    # run again: the kept pupils are the school's already (重复导入), the others load again
    report = collection.collect(reg.world.th_school, reg.users.th_registrar, content, filename="采集.xlsx")
    refused = {f.row for f in report.failed}
    assert refused == {2, 4} and all("不能重复导入" in f.messages[0] for f in report.failed)
    assert Student.objects.filter(name=twin.name).count() == 1


def test_the_command_takes_back_a_load_that_fails_midway(reg, small_batches, tmp_path, capsys):
    prepare(reg)
    before = state()
    path = tmp_path / "采集.xlsx"
    path.write_bytes(book(rows(reg)))
    small_batches(3)
    with pytest.raises(Boom):  # an unexpected error: taken back, then raised as it is (its traceback)
        call_command("initial_collection", "--school", reg.world.th_school.code, "--user", "th_registrar",
                     str(path), stdout=io.StringIO())
    assert "首次数据采集出错;已撤回本次采集建立的6条学籍" in capsys.readouterr().err
    assert state() == before
    assert CollectionRun.objects.filter(filename="采集.xlsx").get().status == CollectionStatus.WITHDRAWN


def test_the_command_takes_back_a_load_whose_file_breaks_off(reg, small_batches, tmp_path, monkeypatch):
    from xueji.students import excel

    prepare(reg)
    before = state()
    real = collection.read_rows

    def breaking(source, **kw):
        for n, row in enumerate(real(source, **kw)):
            if n == 7:
                raise excel.ExcelFormatError("文件内容不完整")
            yield row

    monkeypatch.setattr(collection, "read_rows", breaking)
    path = tmp_path / "采集.xlsx"
    path.write_bytes(book(rows(reg)))
    with pytest.raises(CommandError, match="文件内容不完整;已撤回本次采集建立的6条学籍"):
        call_command("initial_collection", "--school", reg.world.th_school.code, "--user", "th_registrar",
                     str(path), stdout=io.StringIO())
    assert state() == before


def test_a_finished_run_is_never_taken_back(reg):
    content = book(rows(reg, plain=0))
    collection.collect(reg.world.th_school, reg.users.th_registrar, content, filename="采集.xlsx")
    run = CollectionRun.objects.get()
    after = state()
    assert run.status == CollectionStatus.DONE and not CollectionBatch.objects.filter(run=run).exists()
    assert collection.withdraw_run(run, "误调用") == ""
    assert state() == after


def test_the_job_undo_takes_back_its_runs(reg, small_batches):
    """The job kind's ``on_failure``: the runs of that job, and only those."""
    from xueji.jobs.models import Job
    from xueji.registration import jobs

    prepare(reg)
    before = state()
    job = Job.objects.create(kind=jobs.COLLECTION_JOB, owner=reg.users.th_registrar, title="采集",
                             authority=reg.users.th_registrar.authority)
    other = collection.start_run(reg.world.th_school, reg.users.th_registrar, "别的.xlsx")
    run = collection.start_run(reg.world.th_school, reg.users.th_registrar, "采集.xlsx", job=job)
    small_batches(3)
    with pytest.raises(Boom):
        collection.collect(reg.world.th_school, reg.users.th_registrar, book(rows(reg)), run=run)
    assert jobs.undo_collection(job, "后台任务进程意外终止") == (
        "已撤回本次采集建立的6条学籍、5组历史问题学籍、1个新建班级,请重新执行")
    assert state() == before
    other.refresh_from_db()
    assert other.status == CollectionStatus.RUNNING
    assert jobs.undo_collection(job, "后台任务进程意外终止") == ""


def test_the_command_withdraws_a_run_left_by_a_killed_command(reg, small_batches):
    """A command killed outright cannot take its load back: ``--withdraw`` does, by the
    run's id, for a user who may collect for the school."""
    prepare(reg)
    before = state()
    run = _failing_run(reg, book(rows(reg)), small_batches)  # as a killed command leaves it: 进行中
    with pytest.raises(CommandError, match="数据范围"):
        call_command("initial_collection", "--withdraw", str(run.pk), "--user", "hz_registrar", stdout=io.StringIO())
    with pytest.raises(CommandError, match="不存在"):
        call_command("initial_collection", "--withdraw", "999999", "--user", "th_registrar", stdout=io.StringIO())
    out = io.StringIO()
    call_command("initial_collection", "--withdraw", str(run.pk), "--user", "th_registrar", stdout=out)
    assert "已撤回本次采集建立的6条学籍" in out.getvalue() and state() == before
    with pytest.raises(CommandError, match="只能撤回进行中的采集"):
        call_command("initial_collection", "--withdraw", str(run.pk), "--user", "th_registrar", stdout=io.StringIO())
    with pytest.raises(CommandError, match="学校标识码"):
        call_command("initial_collection", "--user", "th_registrar", stdout=io.StringIO())
