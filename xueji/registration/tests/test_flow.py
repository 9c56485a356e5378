"""学籍注册 end to end through the services (F-40…F-42): rows → 查重认证 → school audit →
上报 → county → the record with its number; duplicates, verification failures, no-ID
pupils, withdrawal, scope."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xueji.problems.models import ProblemGroup, ProblemKind
from xueji.registration import services
from xueji.registration.models import DedupStatus, Registration, VerifyStatus
from xueji.registration.testing import student_row
from xueji.students.models import IdentityClaim, Student, StudentNumber


def _register(reg, rows, entry="primary-resident", school=None, user=None):
    return services.register_rows(school or reg.world.th_school, entry, user or reg.users.school_registrar,
                                  list(enumerate(rows, start=2)))


def _through_chain(reg, registrations):
    u = reg.users
    services.school_review(registrations, u.school_leader, True, "")
    regs = list(Registration.objects.filter(pk__in=[r.pk for r in registrations]).select_related("business"))
    services.report(regs, u.school_registrar)
    regs = list(Registration.objects.filter(pk__in=[r.pk for r in registrations]).select_related("business"))
    services.authority_review(regs, u.th_registrar, True, "")
    return list(Registration.objects.filter(pk__in=[r.pk for r in registrations]).select_related("student"))


def test_resident_first_grader_gets_a_g_number(reg):
    row = reg.row(1)
    outcome = _register(reg, [row])
    assert not outcome.failed, outcome.failed
    (pending,) = outcome.passed
    assert pending.dedup_status == DedupStatus.PASSED and pending.verify_status == VerifyStatus.PASSED
    (done,) = _through_chain(reg, [pending])
    student = done.student
    assert student.national_number == "G" + row["身份证件号"]
    assert student.klass == reg.class1 and student.grade == reg.class1.grade and student.school == reg.world.th_school
    assert student.family.count() == 1 and student.family.first().relation == "1"
    # Lists never show the whole ID number: not in the business summary either.
    assert row["身份证件号"] not in done.business.summary and row["身份证件号"][-4:] in done.business.summary
    assert StudentNumber.objects.filter(number=student.national_number, student=student).exists()
    assert IdentityClaim.objects.get(key="1:" + row["身份证件号"]).student == student


def test_verification_failure_gives_temporary_number_and_problem(reg):
    row = reg.row(2, known=False)
    (pending,) = _register(reg, [row]).passed
    assert pending.verify_status == VerifyStatus.FAILED
    (done,) = _through_chain(reg, [pending])
    number = done.student.national_number
    assert number.startswith("L440106") and len(number) == 19
    assert number[7:15] == row["出生日期"]
    group = ProblemGroup.objects.get(kind=ProblemKind.ID_ERROR)
    assert list(group.students.all()) == [done.student]


def test_duplicate_id_is_refused_naming_the_holder(reg):
    row = reg.row(3)
    _register(reg, [row])
    other = dict(row, 学校标识码=reg.world.hz_school.code, 班号=reg.hz_class.code)
    outcome = _register(reg, [other], school=reg.world.hz_school, user=reg.users.hz_school_registrar)
    assert not outcome.passed
    (failure,) = outcome.failed
    assert "天河测试小学" in failure.messages[0] and "3440106001" in failure.messages[0]


def test_duplicate_within_one_sheet(reg):
    row = reg.row(4)
    outcome = _register(reg, [row, dict(row)])
    assert len(outcome.passed) == 1
    assert outcome.failed[0].row == 3 and "第2行重复" in outcome.failed[0].messages[0]


def test_bad_rows_fail_with_every_reason_and_good_rows_go_on(reg):
    good = reg.row(5)
    bad = reg.row(6, 成员1姓名="x1", 出生日期="20150230")
    outcome = _register(reg, [good, bad])
    assert len(outcome.passed) == 1
    (failure,) = outcome.failed
    assert failure.row == 3 and len(failure.messages) >= 2
    assert any("成员1姓名" in m for m in failure.messages)
    assert any("出生日期" in m for m in failure.messages)


def test_entry_age_window(reg):
    young = reg.row(7)
    import datetime as dt

    from xueji.registration.testing import resident_id

    birth = dt.date(reg.year - 6, 9, 1)  # turns six one day too late
    young.update(出生日期=f"{birth:%Y%m%d}", 身份证件号=resident_id("440106", birth, 7, young["性别"]))
    outcome = _register(reg, [young])
    assert any("入学年龄不符合要求" in m for m in outcome.failed[0].messages)


def test_first_grade_entry_refuses_a_third_grade_class(reg):
    row = reg.row(8, klass=reg.class3)
    outcome = _register(reg, [row])
    assert outcome.failed and not outcome.passed
    outcome = _register(reg, [row], entry="other-resident")
    assert outcome.passed


def test_county_cannot_review_before_report(reg):
    (pending,) = _register(reg, [reg.row(9)]).passed
    services.school_review([pending], reg.users.school_leader, True, "")
    pending.business.refresh_from_db()
    with pytest.raises((ValidationError, PermissionDenied)):
        from xueji.workflow import services as workflow

        workflow.decide(pending.business, reg.users.th_registrar, True, "")
    assert not Student.objects.exists()


def test_leader_of_another_school_cannot_review(reg):
    from xueji.accounts.models import Role
    from xueji.testing import make_user

    other_leader = make_user("hz_leader", Role.SCHOOL_LEADER, school=reg.world.hz_school)
    (pending,) = _register(reg, [reg.row(10)]).passed
    with pytest.raises(PermissionDenied):
        services.school_review([pending], other_leader, True, "")


def test_school_fail_needs_opinion_and_releases_identity(reg):
    row = reg.row(11)
    (pending,) = _register(reg, [row]).passed
    with pytest.raises(ValidationError):
        services.school_review([pending], reg.users.school_leader, False, "")
    services.school_review([pending], reg.users.school_leader, False, "信息有误")
    assert not IdentityClaim.objects.filter(key="1:" + row["身份证件号"]).exists()
    assert _register(reg, [row]).passed  # the identity is free again


def test_withdraw_releases_identity(reg):
    row = reg.row(12)
    (pending,) = _register(reg, [row]).passed
    services.withdraw([Registration.objects.get(pk=pending.pk)], reg.users.school_registrar)
    assert not IdentityClaim.objects.filter(key="1:" + row["身份证件号"]).exists()


def test_only_the_schools_registrar_registers(reg):
    with pytest.raises(PermissionDenied):
        _register(reg, [reg.row(13)], user=reg.users.school_leader)
    with pytest.raises(PermissionDenied):
        _register(reg, [reg.row(13)], user=reg.users.hz_school_registrar)


def test_no_id_pupil_goes_up_to_the_province_and_twins_are_flagged(reg):
    from xueji.accounts.models import Role
    from xueji.testing import make_user

    base = reg.row(14, klass=reg.class3)
    first_row = student_row(reg.world.th_school.code, reg.class3.code, 14, birth=__import__("datetime").date(reg.year - 9, 3, 1),
                        division="440106000000", 身份证件类型="Z", 身份证件号="", 姓名=base["姓名"],
                        成员1身份证件类型="1", 成员1身份证件号=reg.row(900)["身份证件号"])
    outcome = _register(reg, [first_row, dict(first_row)], entry="other-no-id")
    assert len(outcome.passed) == 2, outcome.failed  # no-ID matches never block
    first, second = outcome.passed
    assert first.similar == [{"row": 3, "kind": "本次录入"}] and second.similar == [{"row": 2, "kind": "本次录入"}]
    # a later entry of the same person sees both pending registrations
    later = _register(reg, [dict(first_row)], entry="other-no-id").passed[0]
    assert sorted(s["kind"] for s in later.similar) == ["注册申请", "注册申请"]
    services.withdraw([Registration.objects.get(pk=later.pk)], reg.users.school_registrar)
    gz = make_user("gz_reg2", Role.AUTHORITY_REGISTRAR, authority=reg.world.tree.gz)
    gd = make_user("gd_reg2", Role.AUTHORITY_REGISTRAR, authority=reg.world.tree.gd)
    regs = _through_chain(reg, outcome.passed)
    assert all(r.student is None for r in regs)  # still waiting at the city
    for reviewer in (gz, gd):
        pending = list(Registration.objects.filter(pk__in=[r.pk for r in regs]).select_related("business"))
        services.authority_review(pending, reviewer, True, "")
    done = list(Registration.objects.filter(pk__in=[r.pk for r in regs]).select_related("student"))
    numbers = sorted(r.student.national_number for r in done)
    assert all(n.startswith("J440106") for n in numbers) and numbers[0] != numbers[1]
    group = ProblemGroup.objects.get(kind=ProblemKind.NO_ID_DUPLICATE)
    assert group.students.count() == 2


def test_unreachable_registry_holds_then_retry(reg, monkeypatch):
    from xueji.registration import adapters

    def down(self, people):
        raise ConnectionRefusedError("人口信息库无法访问")

    monkeypatch.setattr(adapters.SimulatedPopulationRegistry, "verify", down)
    (pending,) = _register(reg, [reg.row(70)]).passed
    pending.business.refresh_from_db()
    assert pending.verify_status == VerifyStatus.PENDING and pending.business.hold == services.HOLD_DEDUP
    with pytest.raises(ValidationError):
        services.school_review([pending], reg.users.school_leader, True, "")
    still_down = services.retry_verification()
    assert still_down.registrations == 0 and still_down.unreachable  # still down
    monkeypatch.undo()
    from django.core.management import call_command

    call_command("retry_verification", verbosity=0)
    pending.refresh_from_db()
    pending.business.refresh_from_db()
    assert pending.verify_status == VerifyStatus.PASSED and pending.business.hold == ""
    assert services.school_review([pending], reg.users.school_leader, True, "") == 1
