"""学生学籍转移 (F-92): the common superior authority moves a grade, a class or chosen
students of one school to another as one batch operation; the receiving school's
registrar confirms (the students move, set-based, 待分班) or refuses (nobody moves)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xueji.audit.models import AuditEntry
from xueji.changes import transfer_selectors as selectors
from xueji.changes import transfer_services as services
from xueji.changes.models import RecordTransfer, TransferPlacement
from xueji.org.models import Grade, SchoolClass
from xueji.students.models import StatusChange, Student
from xueji.workflow.models import BatchMember, BatchOperation

from .conftest import make_grade, make_student


def _grade(school, year=2024):
    return Grade.objects.get(school=school, stage="1", entry_year=year)


@pytest.fixture
def pupils(world, people):
    """Five pupils of 海珠测试小学's 2024 grade (two classes) and one of 2023."""
    school = world.hz_school
    grade = _grade(school)
    one, two = SchoolClass.objects.filter(grade=grade).order_by("code")
    result = [make_student(school, name=f"海珠{n}", grade=grade) for n in range(5)]
    Student.objects.filter(pk__in=[s.pk for s in result[3:]]).update(klass=two)
    older = make_student(school, name="海珠老生", grade=make_grade(school, entry_year=2023))
    return {"all": result, "class_one": result[:3], "class_two": result[3:], "older": older,
            "one": one, "two": two, "grade": grade}


def _create(world, people, by="grade", user=None, **extra):
    user = user or world.users.gz_registrar
    return services.create_record_transfer(user, from_school=world.hz_school, to_school=world.th_school, by=by,
                                           **extra)


def test_confirmed_record_transfer_moves_the_grade(world, people, pupils):
    u = world.users
    make_grade(world.th_school, entry_year=2023)
    transfer = _create(world, people, grade=pupils["grade"])
    batch = transfer.batch
    assert batch.total == 5 and batch.kind == "record_transfer" and batch.authority == world.tree.gz
    assert set(BatchMember.objects.filter(batch=batch).values_list("student_id", flat=True)) == {
        s.pk for s in pupils["all"]}
    assert AuditEntry.objects.filter(action="workflow.batch_created", object_id=str(batch.pk)).exists()
    assert list(selectors.waiting_confirmations_for(u.school_registrar)) == [transfer]
    assert not selectors.waiting_confirmations_for(u.hz_school_registrar).exists()
    # nobody moves before the confirmation
    assert Student.objects.filter(school=world.hz_school).count() == 6
    services.confirm_record_transfer(u.school_registrar, transfer, True, "同意")
    transfer.refresh_from_db()
    batch.refresh_from_db()
    assert transfer.status == "confirmed" and batch.status == "done" and (batch.succeeded, batch.failed) == (5, 0)
    moved = Student.objects.filter(pk__in=[s.pk for s in pupils["all"]])
    assert set(moved.values_list("school_id", "grade_id")) == {(world.th_school.pk, _grade(world.th_school).pk)}
    assert Student.objects.get(pk=pupils["older"].pk).school_id == world.hz_school.pk
    assert StatusChange.objects.filter(student__in=moved).count() == 10
    assert TransferPlacement.objects.filter(batch=batch, placed_at__isnull=True).count() == 5
    assert selectors.waiting_placements_for(u.school_registrar).count() == 5
    assert AuditEntry.objects.filter(action="changes.record_transfer_confirmed").count() == 1
    assert AuditEntry.objects.filter(action="workflow.batch_applied", object_id=str(batch.pk)).count() == 1
    with pytest.raises(ValidationError, match="已处理"):
        services.confirm_record_transfer(u.school_registrar, transfer, False, "晚了")


def test_refused_record_transfer_moves_nobody(world, people, pupils):
    u = world.users
    transfer = _create(world, people, by="class", klass=pupils["one"])
    assert transfer.batch.total == 3
    with pytest.raises(ValidationError, match="必须填写意见"):
        services.confirm_record_transfer(u.school_registrar, transfer, False, " ")
    services.confirm_record_transfer(u.school_registrar, transfer, False, "学位已满")
    transfer.refresh_from_db()
    transfer.batch.refresh_from_db()
    assert transfer.status == "refused" and transfer.batch.status == "rejected"
    assert transfer.batch.close_note.endswith("学位已满")
    assert Student.objects.filter(school=world.hz_school).count() == 6
    assert not TransferPlacement.objects.exists() and not StatusChange.objects.exists()
    assert AuditEntry.objects.filter(action="changes.record_transfer_refused").count() == 1


def test_chosen_students_and_failures_are_listed(world, people, pupils):
    u = world.users
    chosen = pupils["class_two"] + [pupils["older"]]   # the 2023 grade has no match at the receiving school
    transfer = _create(world, people, by="students", student_ids=[s.pk for s in chosen])
    Student.objects.filter(pk=chosen[0].pk).update(status="11")   # suspended meanwhile
    services.confirm_record_transfer(u.school_registrar, transfer, True)
    batch = BatchOperation.objects.get(pk=transfer.batch_id)
    assert (batch.succeeded, batch.failed) == (1, 2)
    reasons = dict(BatchMember.objects.filter(batch=batch, outcome="failed").values_list("student_id", "message"))
    assert reasons == {chosen[0].pk: "学籍状态不是在校", pupils["older"].pk: "转入学校没有对应的年级"}
    assert Student.objects.get(pk=chosen[1].pk).school_id == world.th_school.pk


def test_only_the_receiving_registrar_confirms(world, people, pupils):
    u, p = world.users, people
    transfer = _create(world, people, grade=pupils["grade"])
    for user in (u.hz_school_registrar, u.school_leader, p.third_registrar, u.gz_registrar, u.th_registrar,
                 u.class_teacher):
        with pytest.raises(PermissionDenied):
            services.confirm_record_transfer(user, transfer, True)
    transfer.refresh_from_db()
    assert transfer.status == "waiting"


def test_set_up_only_by_a_common_superior(world, people, pupils):
    u = world.users
    # 天河 and 海珠 are two counties of 广州: 广州, 广东 and the ministry may; the counties may not
    for user in (u.th_registrar, u.hz_registrar):
        with pytest.raises(ValidationError, match="管辖范围"):
            _create(world, people, user=user, grade=pupils["grade"])
    for user in (u.school_registrar, u.gz_admin, u.hz_school_registrar):
        with pytest.raises(PermissionDenied):
            _create(world, people, user=user, grade=pupils["grade"])
    assert _create(world, people, user=u.gd_registrar, grade=pupils["grade"]).batch.total == 5
    assert RecordTransfer.objects.count() == 1


@pytest.mark.parametrize(("by", "extra", "message"), [
    ("grade", {"grade": None}, "年级"),
    ("class", {"klass": 10**9}, "班级"),
    ("students", {"student_ids": []}, "请选择学生"),
    ("nonsense", {}, "按年级"),
])
def test_bad_criteria_are_refused(world, people, pupils, by, extra, message):
    with pytest.raises(ValidationError, match=message):
        _create(world, people, by=by, **extra)
    assert not BatchOperation.objects.exists()


def test_same_school_and_a_grade_of_another_school_are_refused(world, people, pupils):
    u = world.users
    with pytest.raises(ValidationError, match="不能相同"):
        services.create_record_transfer(u.gz_registrar, from_school=world.hz_school, to_school=world.hz_school,
                                        by="grade", grade=pupils["grade"])
    with pytest.raises(ValidationError, match="年级"):
        _create(world, people, grade=_grade(world.th_school))
    with pytest.raises(ValidationError, match="没有符合条件的学生"):
        _create(world, people, by="students", student_ids=[make_student(people.third).pk])


def test_a_large_record_transfer_runs_as_a_job(world, people, pupils, monkeypatch, client):
    from django.urls import reverse

    from xueji.jobs.models import Job

    u = world.users
    monkeypatch.setattr(services, "INLINE_LIMIT", 2)
    transfer = _create(world, people, by="class", klass=pupils["one"])   # 3 pupils
    client.force_login(u.school_registrar)
    response = client.post(reverse("changes:record_transfer_decide", args=[transfer.pk]), {"action": "confirm"})
    job = Job.objects.get(kind="changes.record_transfer")
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    job.refresh_from_db()   # the test backend runs it at once
    assert job.status == "done" and job.school_id == world.th_school.pk and (job.done, job.total) == (3, 3)
    assert job.result_url == reverse("changes:record_transfer_confirm")
    assert set(Student.objects.filter(pk__in=[s.pk for s in pupils["class_one"]])
               .values_list("school_id", flat=True)) == {world.th_school.pk}
    page = client.get(reverse("jobs:detail", args=[job.pk]), follow=True)   # done: on to the confirm page
    assert page.status_code == 200 and "已确认转入" in page.content.decode()


def test_a_pupil_with_an_open_business_is_not_moved(world, people, pupils):
    u = world.users
    busy = pupils["class_two"][0]
    services.apply_transfer(people.third_registrar, national_number=busy.national_number, name=busy.name,
                            to_grade=_grade(people.third), reason="x")
    transfer = _create(world, people, by="class", klass=pupils["two"])
    services.confirm_record_transfer(u.school_registrar, transfer, True)
    member = BatchMember.objects.get(batch=transfer.batch, student=busy)
    assert (member.outcome, member.message) == ("failed", "该学生有在办业务")
    assert Student.objects.get(pk=busy.pk).school_id == world.hz_school.pk


def test_the_initiating_authority_may_cancel_before_confirmation(world, people, pupils, client):
    from django.urls import reverse

    u = world.users
    transfer = _create(world, people, grade=pupils["grade"])
    for user in (u.gd_registrar, u.hz_registrar, u.school_registrar):
        with pytest.raises(PermissionDenied):
            services.cancel_record_transfer(user, transfer)
    client.force_login(u.gz_registrar)
    assert "撤销</button>" in client.get(reverse("changes:record_transfer_list")).content.decode()
    assert client.post(reverse("changes:record_transfer_cancel", args=[transfer.pk])).status_code == 302
    transfer.refresh_from_db()
    transfer.batch.refresh_from_db()
    assert transfer.status == "cancelled" and transfer.batch.status == "cancelled"
    assert "撤销</button>" not in client.get(reverse("changes:record_transfer_list")).content.decode()
    with pytest.raises(ValidationError, match="已处理"):
        services.confirm_record_transfer(u.school_registrar, transfer, True)
    with pytest.raises(ValidationError, match="不能撤销"):
        services.cancel_record_transfer(u.gz_registrar, transfer)
    assert Student.objects.filter(school=world.hz_school).count() == 6


def test_a_receiving_grade_without_a_class_takes_its_pupils_waiting_for_one(world, people, pupils):
    u = world.users
    empty = Grade.objects.create(school=world.th_school, stage="1", entry_year=2023)   # no class
    chosen = [pupils["older"], pupils["all"][0]]
    transfer = _create(world, people, by="students", student_ids=[s.pk for s in chosen])
    services.confirm_record_transfer(u.school_registrar, transfer, True)
    batch = BatchOperation.objects.get(pk=transfer.batch_id)
    assert (batch.status, batch.succeeded, batch.failed) == ("done", 2, 0)
    assert set(Student.objects.filter(pk__in=[s.pk for s in chosen]).values_list("grade_id", "klass_id")) == {
        (empty.pk, None), (_grade(world.th_school).pk, None)}
    assert list(pupils["older"].events.order_by("pk").values_list("kind", flat=True))[-3:] == [
        "status", "move", "status"]
    assert TransferPlacement.objects.filter(batch=batch, placed_at__isnull=True).count() == 2
