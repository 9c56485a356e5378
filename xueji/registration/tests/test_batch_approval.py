"""全部审核 of 5,000 registrations at their last step is one set-based step: a bounded
number of statements (the same for 50 as for 4,950), every record created with its
family, number and identity claim, one audit entry."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from xueji.audit.models import AuditEntry
from xueji.registration import services
from xueji.registration.models import Registration
from xueji.registration.testing import first_grade_birth, student_row
from xueji.students.models import FamilyMember, IdentityClaim, Student, StudentNumber
from xueji.workflow import selectors
from xueji.workflow import services as workflow
from xueji.workflow.models import Business, Decision

COUNT = 5000
#: Statements of one 全部审核 of any size (lock, decisions, updates, records, audit),
#: with room for the backend's savepoints; 5,000 businesses one by one would be ~60,000.
MAX_QUERIES = 45


def _register(reg, count: int) -> list[int]:
    """``count`` registrations waiting for the school audit (the simulated registry
    verifies every well-formed ID number it does not list)."""
    klass = reg.class1
    rows = [(i + 2, student_row(klass.school.code, klass.code, i, birth=first_grade_birth(klass.grade.entry_year, i),
                                division="440106000000")) for i in range(count)]
    outcome = services.register_rows(reg.world.th_school, "primary-resident", reg.users.school_registrar, rows,
                                     keep=False)
    assert outcome.passed_count == count and not outcome.failed
    return list(Business.objects.order_by("pk").values_list("pk", flat=True))


def test_5000_registrations_approved_in_one_set_based_step(reg):
    u = reg.users
    ids = _register(reg, COUNT)
    leader_result = workflow.decide_many(selectors.decidable_queue_for(u.school_leader), u.school_leader, True)
    assert len(leader_result.decided) == COUNT
    assert workflow.release_hold_many(ids, "report_pending", actor=u.school_registrar) == COUNT
    audit_before = AuditEntry.objects.order_by("pk").last().pk

    with CaptureQueriesContext(connection) as small:
        first = workflow.decide_many(ids[:50], u.th_registrar, True, "同意")
    with CaptureQueriesContext(connection) as large:
        rest = workflow.decide_many(ids[50:], u.th_registrar, True, "同意")

    assert len(first.decided) == 50 and len(rest.decided) == COUNT - 50 and not rest.skipped
    assert len(large.captured_queries) <= MAX_QUERIES, [q["sql"][:120] for q in large.captured_queries]
    assert len(large.captured_queries) == len(small.captured_queries)  # constant, not proportional
    # every record, with its family member, number and identity claim
    assert Business.objects.filter(status="passed").count() == COUNT
    assert Decision.objects.filter(level="supervisor", batch=True).count() == COUNT
    assert Student.objects.count() == COUNT and FamilyMember.objects.count() == COUNT
    assert StudentNumber.objects.count() == COUNT
    assert not Registration.objects.filter(student__isnull=True).exists()
    assert not IdentityClaim.objects.filter(student__isnull=True).exists()
    student = Student.objects.select_related("registration").order_by("pk").first()
    assert student.national_number == "G" + student.id_number and student.klass == reg.class1
    assert student.registration.business_id == ids[0] and student.family.get().relation == "1"
    assert student.commute_distance is not None and student.only_child is False
    # per 全部审核: one entry of the decision and one of the records (per school), not 5,000
    entries = list(AuditEntry.objects.filter(pk__gt=audit_before).order_by("pk"))
    assert [e.action for e in entries] == ["registration.completed", "workflow.batch_decided"] * 2
    assert entries[2].summary == "学籍注册完成:天河测试小学4950人"
    assert len(entries[2].after["students"]) == COUNT - 50 and len(entries[3].after["decided"]) == COUNT - 50


def test_set_based_completion_gives_temporary_numbers_and_problem_groups(reg):
    u = reg.users
    unknown = reg.row(1, known=False)  # not in the population registry: 认证不通过
    known = reg.row(2)
    services.register_rows(reg.world.th_school, "primary-resident", u.school_registrar, [(2, unknown), (3, known)])
    ids = list(Business.objects.order_by("pk").values_list("pk", flat=True))
    workflow.decide_many(ids, u.school_leader, True)
    workflow.release_hold_many(ids, "report_pending")
    workflow.decide_many(ids, u.th_registrar, True)
    temporary = Student.objects.get(name=unknown["姓名"])
    official = Student.objects.get(name=known["姓名"])
    assert temporary.national_number.startswith("L") and temporary.number_kind == "L"
    assert official.national_number == "G" + known["身份证件号"]
    assert list(temporary.problem_groups.values_list("kind", flat=True)) == ["id_error"]
    assert not official.problem_groups.exists()
    completed = AuditEntry.objects.get(action="registration.completed")
    assert completed.after["problem_groups"] == list(temporary.problem_groups.values_list("pk", flat=True))


def test_batch_rejection_frees_every_identity_set_based(reg):
    u = reg.users
    ids = _register(reg, 200)
    assert IdentityClaim.objects.count() == 200
    result = workflow.decide_many(ids, u.school_leader, False, "信息有误")
    assert len(result.decided) == 200
    assert not IdentityClaim.objects.exists() and not Student.objects.exists()
    # the same pupils can be registered again
    assert _register_again(reg, 3) == 3


def _register_again(reg, count: int) -> int:
    rows = [(i + 2, reg.row(i)) for i in range(count)]
    return services.register_rows(reg.world.th_school, "primary-resident", reg.users.school_registrar, rows,
                                  keep=False).passed_count
