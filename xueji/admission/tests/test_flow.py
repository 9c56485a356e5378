"""招生入学 end to end through the services: import → 录取 → the review chain (who reviews
when) → 调档 → 分班; double submissions; the problem-record lock and hand-over; a
duplicate admission held until it is resolved."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xueji.admission import services
from xueji.admission.models import AdmissionResult, DuplicateAdmission, State
from xueji.audit.models import AuditEntry
from xueji.graduation.models import Graduate
from xueji.problems.models import ProblemGroup, ProblemMember
from xueji.students.models import RecordEvent, Student
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from .conftest import row


def imported(user, *rows):
    outcome = services.import_results(user, list(enumerate(rows, start=2)))
    assert not outcome.failures, outcome.failures
    return list(AdmissionResult.objects.filter(pk__in=outcome.created_ids).order_by("pk"))


def chain_units(result):
    business = Business.objects.get(pk=AdmissionResult.objects.get(pk=result.pk).business_id)
    return [(step["level"], step.get("school_id") or step.get("authority_id"), step["party"]) for step in business.chain]


def pass_all(result, *reviewers):
    business = Business.objects.get(pk=AdmissionResult.objects.get(pk=result.pk).business_id)
    for reviewer in reviewers:
        workflow.decide(business, reviewer, True)
        business.refresh_from_db()
    return business


def test_inside_one_county_only_the_admitting_authority_reviews(adm):
    u, w = adm.u, adm.users
    (result,) = imported(w.th_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    assert result.state == State.WAITING and result.imported_by_authority_id == adm.tree.tianhe.pk
    outcome = services.admit(u.th_junior_registrar, [result.pk])
    assert outcome.done == [result.pk] and not outcome.duplicates
    result.refresh_from_db()
    assert result.state == State.REVIEWING and not result.cross_review
    assert chain_units(result) == [("school", adm.th_junior.pk, "applicant"),
                                   ("supervisor", adm.tree.tianhe.pk, "applicant")]
    business = pass_all(result, u.th_junior_leader, w.th_registrar)
    assert business.status == "passed"
    result.refresh_from_db()
    assert result.state == State.APPROVED
    outcome = services.retrieve(u.th_junior_registrar, [result.pk])
    assert outcome.done == [result.pk]
    student = Student.objects.get(pk=result.student_id)
    assert (student.school_id, student.grade_id, student.klass_id, student.status) == (
        adm.th_junior.pk, adm.th_grade.pk, None, "10")
    assert RecordEvent.objects.filter(student=student, kind="move", business_id=business.pk).exists()
    graduate = Graduate.objects.get(student=student)
    assert graduate.destination == "01" and adm.th_junior.name in graduate.destination_note
    result.refresh_from_db()
    assert result.state == State.RETRIEVED and result.grade_id == adm.th_grade.pk
    assert AuditEntry.objects.filter(action="admission.retrieved").exists()


def test_across_counties_the_graduating_authority_reviews_too(adm):
    u, w = adm.u, adm.users
    (result,) = imported(w.th_registrar, row(adm.hz_pupils[0], adm.hz_primary, adm.th_junior))
    services.admit(u.th_junior_registrar, [result.pk])
    result.refresh_from_db()
    assert result.cross_review
    assert chain_units(result) == [("school", adm.th_junior.pk, "applicant"),
                                   ("supervisor", adm.tree.tianhe.pk, "applicant"),
                                   ("supervisor", adm.tree.haizhu.pk, "graduating")]
    business = pass_all(result, u.th_junior_leader, w.th_registrar)
    assert business.status == "open" and business.current_authority_id == adm.tree.haizhu.pk
    with pytest.raises(PermissionDenied):
        workflow.decide(business, w.th_registrar, True)
    pass_all(result, w.hz_registrar)
    result.refresh_from_db()
    assert result.state == State.APPROVED


def test_high_school_across_cities_but_not_across_counties_of_one_city(adm):
    u, w = adm.u, adm.users
    (cross,) = imported(w.th_registrar, row(adm.ft_juniors[0], adm.ft_junior, adm.th_junior, "3"))
    services.admit(u.th_junior_registrar, [cross.pk])
    assert chain_units(cross)[-1] == ("supervisor", adm.tree.futian.pk, "graduating")
    # 天河测试中学's junior graduate into the 广州市直属高中 (another supervisor, the same city)
    city_registrar = services.importing_unit(w.gz_registrar)
    assert services.may_import(city_registrar, adm.city_senior, "3")
    (same_city,) = imported(w.gz_registrar, row(adm.th_juniors[0], adm.th_junior, adm.city_senior, "3"))
    from xueji.testing import make_user

    registrar = make_user("city_registrar", "school_registrar", school=adm.city_senior)
    services.admit(registrar, [same_city.pk])
    same_city.refresh_from_db()
    assert not same_city.cross_review
    assert [unit for _, unit, _ in chain_units(same_city)] == [adm.city_senior.pk, adm.tree.gz.pk]


def test_a_failed_review_refuses_and_a_withdrawal_returns_to_the_list(adm):
    u, w = adm.u, adm.users
    a, b = imported(w.th_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior),
                    row(adm.th_pupils[1], adm.th_primary, adm.th_junior))
    services.admit(u.th_junior_registrar, [a.pk, b.pk])
    a.refresh_from_db()
    b.refresh_from_db()
    workflow.decide(Business.objects.get(pk=a.business_id), u.th_junior_leader, False, "材料不全")
    workflow.withdraw(Business.objects.get(pk=b.business_id), u.th_junior_registrar)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.state == State.REFUSED and b.state == State.WAITING
    # the refused one can be admitted again from a new row; the waiting one again as it is
    assert services.admit(u.th_junior_registrar, [b.pk]).done == [b.pk]


def test_double_submission_admit_twice_and_retrieve_twice(adm):
    u, w = adm.u, adm.users
    (result,) = imported(w.th_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    services.admit(u.th_junior_registrar, [result.pk])
    again = services.admit(u.th_junior_registrar, [result.pk])
    assert again.done == [] and "不能重复录取" in again.refused[result.pk]
    assert Business.objects.filter(kind="admit_junior").count() == 1
    # retrieving before the review passed is refused
    assert "不能调档" in services.retrieve(u.th_junior_registrar, [result.pk]).refused[result.pk]
    pass_all(result, u.th_junior_leader, w.th_registrar)
    assert services.retrieve(u.th_junior_registrar, [result.pk]).done == [result.pk]
    second = services.retrieve(u.th_junior_registrar, [result.pk])
    assert second.done == [] and "不能调档" in second.refused[result.pk]
    assert RecordEvent.objects.filter(student_id=result.student_id, kind="move").count() == 1


def test_another_school_may_not_admit_or_retrieve_its_rows(adm):
    u, w = adm.u, adm.users
    (result,) = imported(w.th_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    for operation in (services.admit, services.retrieve):
        with pytest.raises(PermissionDenied):
            operation(u.hz_junior_registrar, [result.pk])
    with pytest.raises(PermissionDenied):
        services.admit(w.th_registrar, [result.pk])


def test_retrieval_needs_the_entering_grade(adm):
    u, w = adm.u, adm.users
    (result,) = imported(w.th_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    services.admit(u.th_junior_registrar, [result.pk])
    pass_all(result, u.th_junior_leader, w.th_registrar)
    from xueji.org.models import Grade

    Grade.objects.filter(pk=adm.th_grade.pk).update(entry_year=adm.year - 1)
    assert "尚未建立" in services.retrieve(u.th_junior_registrar, [result.pk]).refused[result.pk]


def test_problem_records_are_locked_at_admission_and_handed_over_after_retrieval(adm):
    u, w = adm.u, adm.users
    pupil = adm.th_pupils[0]
    group = ProblemGroup.objects.create(kind="duplicate")
    ProblemMember.objects.create(group=group, student=pupil)
    ProblemMember.objects.create(group=group, student=adm.hz_pupils[1])
    (result,) = imported(w.th_registrar, row(pupil, adm.th_primary, adm.th_junior))
    services.admit(u.th_junior_registrar, [result.pk])
    group.refresh_from_db()
    assert group.locked and group.lock_reason == services.LOCK_REASON
    pass_all(result, u.th_junior_leader, w.th_registrar)
    group.refresh_from_db()
    assert group.locked  # still locked until the file is retrieved
    services.retrieve(u.th_junior_registrar, [result.pk])
    group.refresh_from_db()
    assert not group.locked
    # the group follows the record: the admitting school now holds the member
    assert Student.objects.get(pk=pupil.pk).school_id == adm.th_junior.pk


def test_a_refused_admission_unlocks_the_problem_records(adm):
    u, w = adm.u, adm.users
    pupil = adm.th_pupils[0]
    group = ProblemGroup.objects.create(kind="duplicate")
    ProblemMember.objects.create(group=group, student=pupil)
    (result,) = imported(w.th_registrar, row(pupil, adm.th_primary, adm.th_junior))
    services.admit(u.th_junior_registrar, [result.pk])
    result.refresh_from_db()
    workflow.decide(Business.objects.get(pk=result.business_id), u.th_junior_leader, False, "不录取")
    group.refresh_from_db()
    assert not group.locked


def test_two_schools_admitting_one_graduate_are_a_held_duplicate(adm):
    u, w = adm.u, adm.users
    pupil = adm.th_pupils[0]
    (a,) = imported(w.th_registrar, row(pupil, adm.th_primary, adm.th_junior))
    (b,) = imported(w.hz_registrar, row(pupil, adm.th_primary, adm.hz_junior))
    assert services.admit(u.th_junior_registrar, [a.pk]).duplicates == []
    assert services.admit(u.hz_junior_registrar, [b.pk]).duplicates == [b.pk]
    group = DuplicateAdmission.objects.get()
    assert set(AdmissionResult.objects.filter(duplicate=True).values_list("pk", flat=True)) == {a.pk, b.pk}
    assert set(group.members.values_list("pk", flat=True)) == {a.pk, b.pk}
    pass_all(a, u.th_junior_leader, w.th_registrar)
    held = services.retrieve(u.th_junior_registrar, [a.pk])
    assert held.done == [] and "重复招生" in held.refused[a.pk]
    # resolved: 天河测试中学 keeps it, 海珠测试中学's admission is withdrawn
    services.confirm_admission(w.gz_registrar, group, a, note="家长选择天河")
    a.refresh_from_db()
    b.refresh_from_db()
    group.refresh_from_db()
    assert group.resolved and group.kept_id == a.pk
    assert (a.duplicate, b.state, b.duplicate) == (False, State.WITHDRAWN, False)
    assert Business.objects.get(pk=b.business_id).status == "failed"
    assert services.retrieve(u.th_junior_registrar, [a.pk]).done == [a.pk]


def test_withdrawing_one_of_two_releases_the_other(adm):
    u, w = adm.u, adm.users
    pupil = adm.th_pupils[0]
    (a,) = imported(w.th_registrar, row(pupil, adm.th_primary, adm.th_junior))
    (b,) = imported(w.hz_registrar, row(pupil, adm.th_primary, adm.hz_junior))
    services.admit(u.th_junior_registrar, [a.pk])
    services.admit(u.hz_junior_registrar, [b.pk])
    services.withdraw_admission(w.hz_registrar, b, reason="学校协商")
    a.refresh_from_db()
    assert not a.duplicate and DuplicateAdmission.objects.get().resolved
    with pytest.raises(ValidationError, match="不能撤销"):
        services.withdraw_admission(w.hz_registrar, b, reason="再次")


def test_confirming_none_withdraws_every_member(adm):
    u, w = adm.u, adm.users
    pupil = adm.th_pupils[0]
    (a,) = imported(w.th_registrar, row(pupil, adm.th_primary, adm.th_junior))
    (b,) = imported(w.hz_registrar, row(pupil, adm.th_primary, adm.hz_junior))
    services.admit(u.th_junior_registrar, [a.pk])
    services.admit(u.hz_junior_registrar, [b.pk])
    group = services.confirm_admission(w.gz_registrar, DuplicateAdmission.objects.get(), None, note="均不予录取")
    assert group.resolved and group.kept_id is None
    assert set(AdmissionResult.objects.values_list("state", flat=True)) == {State.WITHDRAWN}


def test_admit_by_number_for_a_graduate_not_on_the_list(adm):
    u = adm.u
    pupil = adm.hz_pupils[0]
    with pytest.raises(ValidationError, match="不符"):
        services.admit_by_number(u.th_junior_registrar, number=pupil.national_number, name="别人")
    outcome = services.admit_by_number(u.th_junior_registrar, number=pupil.national_number, name=pupil.name)
    (result,) = AdmissionResult.objects.filter(pk__in=outcome.done)
    assert result.source == "school" and result.state == State.REVIEWING and result.cross_review
    with pytest.raises(ValidationError, match="已在"):
        services.admit_by_number(u.th_junior_registrar, number=pupil.national_number, name=pupil.name)
    with pytest.raises(ValidationError, match="不是毕业生"):
        from xueji.changes.tests.conftest import pupil as make_pupil
        from xueji.org.models import SchoolClass

        young = make_pupil(SchoolClass.objects.filter(school=adm.th_primary).first())
        services.admit_by_number(u.th_junior_registrar, number=young.national_number, name=young.name)


def test_manual_and_automatic_placement(adm):
    u, w = adm.u, adm.users
    results = imported(w.th_registrar, *(row(p, adm.th_primary, adm.th_junior) for p in adm.th_pupils),
                       *(row(p, adm.hz_primary, adm.th_junior) for p in adm.hz_pupils))
    services.admit(u.th_junior_registrar, [r.pk for r in results])
    for r in results:
        pass_all(r, u.th_junior_leader, w.th_registrar, *([w.hz_registrar] if r.student_id in
                                                           {p.pk for p in adm.hz_pupils} else []))
    assert len(services.retrieve(u.th_junior_registrar, [r.pk for r in results]).done) == 5
    from xueji.org.models import SchoolClass

    c1, c2 = SchoolClass.objects.filter(grade=adm.th_grade).order_by("code")
    first = services.place_manually(u.th_junior_registrar, [results[0].pk], c1)
    assert (first[0].added, first[0].size) == (1, 1)
    with pytest.raises(ValidationError, match="不能分班"):
        services.place_manually(u.th_junior_registrar, [results[0].pk], c2)
    report = services.place_automatically(u.th_junior_registrar, [r.pk for r in results[1:]], [c1, c2])
    sizes = {r.klass.pk: (r.size, r.boys, r.girls) for r in report}
    assert sum(s for s, _, _ in sizes.values()) == 5
    assert abs(sizes[c1.pk][0] - sizes[c2.pk][0]) <= 1
    assert all(r.state == State.PLACED for r in AdmissionResult.objects.filter(pk__in=[x.pk for x in results]))
    assert Student.objects.filter(klass__in=[c1, c2]).count() == 5


def test_a_graduate_being_admitted_cannot_be_returned(adm):
    """毕业生退回 waits for the admission: refused while 录取 is under review or 待调档, possible
    again once the school withdrew its admission."""
    from xueji.graduation import services as graduation

    u, w = adm.u, adm.users
    (result,) = imported(w.th_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    services.admit(u.th_junior_registrar, [result.pk])
    graduate = Graduate.objects.get(student=adm.th_pupils[0], returned=False)
    with pytest.raises(ValidationError, match="正在被.*录取"):
        graduation.return_graduate(w.th_registrar, graduate, "更正姓名")
    assert not Graduate.objects.get(pk=graduate.pk).returned
    result.refresh_from_db()
    workflow.withdraw(Business.objects.get(pk=result.business_id), u.th_junior_registrar)
    graduation.return_graduate(w.th_registrar, graduate, "更正姓名")
    assert Graduate.objects.get(pk=graduate.pk).returned
    assert Student.objects.get(pk=adm.th_pupils[0].pk).status == "10"
