"""毕业 (F-60) as one batch business: the refusals, the chain, the set-based effect."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xueji.audit.models import AuditEntry
from xueji.graduation import rules, services
from xueji.graduation.models import Graduate, GraduationSettings
from xueji.students.models import RecordEvent, StatusChange, Student
from xueji.workflow import batches
from xueji.workflow.models import BatchMember


def _start(grad, user=None, **kw):
    params = {"kind": "20", "date": grad.today.isoformat(), "by": "grade", "grades": [grad.final.pk]}
    params.update(kw)
    return services.start_graduation(user or grad.users.school_registrar, **params)


def _approve(grad, batch):
    batches.decide_batch(batch, grad.users.school_leader, True)
    batches.decide_batch(batch, grad.users.th_registrar, True)
    batch.refresh_from_db()
    return batch


def test_graduating_the_final_grade_is_one_reviewed_batch(grad):
    batch = _start(grad)
    assert batch.kind == "graduation" and batch.total == 5 and batch.status == "reviewing"
    assert [s["level"] for s in batch.chain] == ["school", "supervisor"]
    assert AuditEntry.objects.filter(action="workflow.batch_created", object_id=str(batch.pk)).exists()
    # nothing changes before the review
    assert not Student.objects.filter(status="20").exists()
    with pytest.raises(ValidationError, match="未审核通过"):
        services.execute_graduation(grad.users.school_registrar, batch)
    with pytest.raises(PermissionDenied):   # the county cannot decide before the school leader
        batches.decide_batch(batch, grad.users.th_registrar, True)
    batches.decide_batch(batch, grad.users.school_leader, True)
    batches.decide_batch(batch, grad.users.th_registrar, True)
    batch.refresh_from_db()
    assert batch.status == "approved"
    with pytest.raises(PermissionDenied):
        services.execute_graduation(grad.users.hz_school_registrar, batch)
    assert services.execute_graduation(grad.users.school_registrar, batch) is None
    batch.refresh_from_db()
    assert batch.status == "done" and (batch.succeeded, batch.failed) == (5, 0)
    ids = [s.pk for s in grad.class_one + grad.class_two]
    assert set(Student.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"20"}
    assert StatusChange.objects.filter(student_id__in=ids, old_status="10", new_status="20").count() == 5
    assert RecordEvent.objects.filter(student_id__in=ids, kind="status").count() == 5
    assert Graduate.objects.filter(student_id__in=ids, kind="20", batch=batch, graduated_on=grad.today).count() == 5
    # the younger and the earlier grade are untouched
    assert Student.objects.get(pk=grad.young_pupil.pk).status == "10"
    assert Student.objects.get(pk=grad.past_pupil.pk).status == "10"
    assert AuditEntry.objects.filter(action="workflow.batch_applied", object_id=str(batch.pk)).exists()
    # executing again does nothing twice
    with pytest.raises(ValidationError):
        services.execute_graduation(grad.users.school_registrar, batch)
    assert Graduate.objects.filter(batch=batch).count() == 5


def test_by_class_and_by_student_and_as_completion(grad):
    batch = _start(grad, by="class", classes=[grad.c2.pk], kind="21")
    assert set(BatchMember.objects.filter(batch=batch).values_list("student_id", flat=True)) == {
        s.pk for s in grad.class_two}
    chosen = grad.class_one[0]
    batch2 = _start(grad, by="students", student_ids=[chosen.pk], kind="22")
    assert batch2.total == 1
    _approve(grad, batch2)
    services.execute_graduation(grad.users.school_registrar, batch2)
    assert Student.objects.get(pk=chosen.pk).status == "22"


def test_a_grade_not_in_its_final_year_is_refused(grad):
    with pytest.raises(ValidationError, match="不是毕业年级") as error:
        _start(grad, grades=[grad.young.pk])
    assert "小学" in str(error.value)
    with pytest.raises(ValidationError, match="不是毕业年级"):
        _start(grad, by="students", student_ids=[grad.young_pupil.pk])
    # the earlier grade belongs to 往届生毕业
    with pytest.raises(ValidationError, match="不是毕业年级"):
        _start(grad, grades=[grad.past.pk])
    with pytest.raises(ValidationError, match="不是已毕业的往届年级"):
        _start(grad, grades=[grad.final.pk], past=True)


def test_a_student_whose_status_does_not_allow_it_is_refused(grad):
    from xueji.students import services as S

    resting = grad.class_one[0]
    S.change_status([resting.pk], "11", reason="病休", date=grad.today)
    with pytest.raises(ValidationError, match="休学的学生不能办理小学毕业"):
        _start(grad, by="students", student_ids=[resting.pk])
    # by grade the 休学 pupil is simply not covered
    assert _start(grad).total == 4


def test_open_businesses_refuse_with_the_link_flag(grad):
    from xueji.changes import status_changes
    from xueji.changes.tests.conftest import png_file

    busy = grad.class_one[1]
    status_changes.request_status_change(busy, grad.users.school_registrar, "suspend", date=grad.today,
                                         reason="病休", proof=png_file())
    with pytest.raises(services.GraduationRefused, match="在办业务清理") as error:
        _start(grad)
    assert error.value.open_businesses is True
    assert busy.name in str(error.value)
    # the other class has none
    assert _start(grad, by="class", classes=[grad.c2.pk]).total == 2


def test_double_submission_is_refused(grad):
    _start(grad, by="class", classes=[grad.c1.pk])
    with pytest.raises(ValidationError, match="不能重复提交"):
        _start(grad)
    # the other class is free
    assert _start(grad, by="class", classes=[grad.c2.pk]).total == 2


def test_unresolved_problem_records_refuse_only_where_the_province_requires_it(grad):
    from xueji.problems.models import ProblemGroup, ProblemMember

    student = grad.class_one[2]
    group = ProblemGroup.objects.create(kind="id_error")
    ProblemMember.objects.create(group=group, student=student)
    batch = _start(grad, by="class", classes=[grad.c1.pk])   # default: not required
    batches.cancel_batch(batch, grad.users.school_registrar)
    GraduationSettings.objects.create(authority=grad.world.tree.gd, require_problems_resolved=True)
    with pytest.raises(ValidationError, match="未处理完毕的问题学籍"):
        _start(grad, by="class", classes=[grad.c1.pk])
    ProblemGroup.objects.filter(pk=group.pk).update(resolved=True)
    assert _start(grad, by="class", classes=[grad.c1.pk]).total == 3


def test_another_schools_class_and_bad_input_are_refused(grad):
    with pytest.raises(ValidationError, match="不属于本校"):
        _start(grad, by="class", classes=[grad.hz_class.pk])
    with pytest.raises(ValidationError, match="不属于本校"):
        _start(grad, by="students", student_ids=[grad.hz_pupil.pk])
    with pytest.raises(ValidationError, match="不是有效日期"):
        _start(grad, date="2026-02-30")
    with pytest.raises(ValidationError, match="不能晚于今天"):
        _start(grad, date=(grad.today + dt.timedelta(days=3)).isoformat())
    with pytest.raises(ValidationError, match="请选择毕业、结业或肄业"):
        _start(grad, kind="99")
    with pytest.raises(ValidationError, match="请选择按年级"):
        _start(grad, by="nothing")
    for user in (grad.users.school_leader, grad.users.th_registrar, grad.users.class_teacher):
        with pytest.raises(PermissionDenied):
            _start(grad, user=user)


def test_a_pupil_with_a_business_started_after_the_review_is_left_out(grad):
    batch = _approve(grad, _start(grad, by="class", classes=[grad.c2.pk]))
    late = grad.class_two[0]
    from xueji.workflow.models import Business

    Business.objects.create(kind="suspend", school=grad.school, student=late, applicant=grad.users.school_registrar,
                            applicant_name="x", category="1", stage="1", summary="休学", chain=[])
    services.execute_graduation(grad.users.school_registrar, batch)
    member = BatchMember.objects.get(batch=batch, student=late)
    assert (member.outcome, member.message) == ("failed", "该学生有在办业务")
    assert Student.objects.get(pk=late.pk).status == "10"
    assert Student.objects.get(pk=grad.class_two[1].pk).status == "20"


def test_past_graduation_takes_the_earlier_grade(grad):
    batch = _approve(grad, _start(grad, grades=[grad.past.pk], past=True))
    assert batch.total == 1
    services.execute_graduation(grad.users.school_registrar, batch)
    assert Graduate.objects.get(student=grad.past_pupil).past is True


def test_a_large_graduation_runs_as_a_job(grad, monkeypatch):

    monkeypatch.setattr(services, "INLINE_LIMIT", 2)
    batch = _approve(grad, _start(grad))
    job = services.execute_graduation(grad.users.school_registrar, batch)
    job.refresh_from_db()
    assert job.kind == "graduation.apply" and job.status == "done" and (job.done, job.total) == (5, 5)
    assert Student.objects.filter(status="20").count() == 5


def test_kind_rules():
    assert rules.business_kind("20", "2") == "graduate_junior"
    assert rules.business_kind("21", "3") == "complete_senior"
    assert rules.business_kind("22", "1") == "incomplete"
    with pytest.raises(ValueError):
        rules.business_kind("10", "1")
    # 5-4 学制: the final primary year is the fifth
    assert rules.is_final_grade("1", 2022, 2026, {"1": 5, "2": 4})
    assert not rules.is_final_grade("1", 2021, 2026, {"1": 5, "2": 4})
    assert rules.is_final_grade("2", 2023, 2026, {"1": 5, "2": 4})
    assert rules.is_final_grade("2", 2024, 2026, {"1": 6, "2": 3})
    assert rules.is_past_final_grade("3", 2023, 2026, {"3": 3})


def test_graduate_records_is_set_based(grad):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xueji.students import services as S

    ids = [s.pk for s in grad.class_one + grad.class_two] + [grad.hz_pupil.pk, 999999]
    with CaptureQueriesContext(connection) as queries:
        changed, refused = S.graduate_records(ids, "20", kind="graduate_primary", kind_name="小学毕业",
                                              date=grad.today, school_id=grad.school.pk)
    assert len(changed) == 5 and refused == {grad.hz_pupil.pk: "学生已不在本校", 999999: "学籍不存在"}
    statements = [q["sql"].upper() for q in queries.captured_queries]
    assert sum(s.startswith("UPDATE") for s in statements) == 1
    # the status history and the record events: one INSERT each (on PostgreSQL a COPY, not captured)
    assert sum("INSERT" in s for s in statements) == (2 if connection.vendor == "sqlite" else 0)
    assert len(statements) <= 6
    assert StatusChange.objects.filter(student_id__in=ids, new_status="20").count() == 5
    assert RecordEvent.objects.filter(student_id__in=ids, kind="status").count() == 5
    with pytest.raises(ValidationError, match="不能晚于今天"):
        S.graduate_records(ids, "20", kind="graduate_primary", kind_name="小学毕业",
                           date=grad.today + dt.timedelta(days=1))
    # a second run changes nobody: 毕业 students may not graduate again from 小学
    changed, refused = S.graduate_records(ids[:5], "20", kind="graduate_primary", kind_name="小学毕业",
                                          date=grad.today)
    assert changed == [] and set(refused.values()) == {"学籍状态为毕业的学生不能办理小学毕业"}


def test_statements_do_not_grow_with_the_students(grad):
    """Submitting, reviewing and executing a graduation takes the same statements for 1
    pupil as for 25: the refusal checks, the members, the status change, the history and
    the Graduate rows are each one statement per chunk, whatever its size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xueji.accounts.models import Role
    from xueji.audit.services import record_event
    from xueji.testing import make_user

    from .conftest import pupil

    record_event(action="test.warm", summary="审计链的第一条", school=grad.school)

    def run(user, leader, county, grade):
        with CaptureQueriesContext(connection) as queries:
            batch = services.start_graduation(user, kind="20", date=grad.today.isoformat(), by="grade",
                                              grades=[grade.pk])
            batches.decide_batch(batch, leader, True)
            batches.decide_batch(batch, county, True)
            services.execute_graduation(user, batch)
        batch.refresh_from_db()
        return batch, len(queries)

    users = grad.users
    hz_leader = make_user("hz_sch_leader", Role.SCHOOL_LEADER, school=grad.world.hz_school)
    small, few = run(users.hz_school_registrar, hz_leader, users.hz_registrar, grad.hz_class.grade)
    for _ in range(20):
        pupil(grad.c1)
    large, many = run(users.school_registrar, users.school_leader, users.th_registrar, grad.final)
    assert (small.succeeded, large.succeeded) == (1, 25)
    assert many == few
    assert Graduate.objects.filter(batch=large).count() == 25
