"""学籍异动: each type's effect on status, grade and class through the engine's last pass,
each refusal by status (the F-27 table), the date/reason/class rules, one open business."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from xueji.changes import rules as R
from xueji.changes import status_changes as S
from xueji.students import rules as student_rules
from xueji.students.models import StatusChange, Student
from xueji.workflow import payloads
from xueji.workflow import services as workflow
from xueji.workflow.models import BusinessStatus

from .conftest import png_file

TODAY = dt.date(2026, 12, 1)


def run(place, student, kind, klass=None, date=None, reason="家长申请"):
    u = place.users
    business = S.request_status_change(student, u.school_registrar, kind, date=date or timezone.localdate(),
                                       reason=reason, klass=klass, proof=png_file())
    for reviewer in (u.school_leader, u.th_registrar):
        business = workflow.decide(business, reviewer, True, "同意")
    assert business.status == BusinessStatus.PASSED
    return Student.objects.get(pk=student.pk), business


@pytest.mark.parametrize("kind,before,after", [
    ("suspend", "10", "11"), ("expel", "10", "33"), ("quit_school", "10", "34"), ("death", "10", "31"),
    ("missing", "10", "32"), ("go_abroad", "10", "35"), ("to_special_school", "10", "39"),
    ("expel", "11", "33"), ("death", "35", "31"), ("death", "11", "31"),
])
def test_status_effects(place, kind, before, after):
    s = place.pupil(status=before)
    changed, business = run(place, s, kind)
    assert changed.status == after and changed.klass_id == s.klass_id
    history = StatusChange.objects.get(student=s)
    assert (history.old_status, history.new_status) == (before, after)
    assert R.STATUS_CHANGES[kind].name in history.reason
    from xueji.students.models import RecordEvent

    event = RecordEvent.objects.get(student=s, kind="status")  # the record's history names the business
    assert event.business_id == business.pk and event.after["status"] == after


def test_to_vocational_is_for_junior_and_senior_students(place):
    from xueji.org.models import Grade, SchoolClass
    w = place.world
    grade = Grade.objects.create(school=w.th_school, stage="2", entry_year=2024)
    junior = SchoolClass.objects.create(school=w.th_school, grade=grade, code="2024201", name="1班")
    changed, _ = run(place, place.pupil(junior), "to_vocational")
    assert changed.status == "36"
    with pytest.raises(ValidationError, match="不适用于小学"):
        run(place, place.pupil(), "to_vocational")


@pytest.mark.parametrize("kind,before", [("resume", "11"), ("return_from_abroad", "35"),
                                         ("restore_admission", "33"), ("restore_admission", "34"),
                                         ("restore_admission", "39"), ("restore_admission", "32")])
def test_back_to_school_in_a_class(place, kind, before):
    s = place.pupil(status=before)
    changed, business = run(place, s, kind, klass=place.c23.pk)
    assert changed.status == "10" and changed.klass_id == place.c23.pk and changed.grade_id == place.g2023.pk
    from xueji.students.models import RecordEvent

    assert set(RecordEvent.objects.filter(business_id=business.pk).values_list("kind", flat=True)) == {
        "placement", "status"}


def test_resume_shows_when_and_from_which_grade(place):
    s = place.pupil()
    day = timezone.localdate() - dt.timedelta(days=30)
    run(place, s, "suspend", date=day)
    business = S.request_status_change(Student.objects.get(pk=s.pk), place.users.school_registrar, "resume",
                                       date=timezone.localdate(), reason="病愈", klass=place.c23.pk, proof=png_file())
    rows = {r.label: r.text for r in payloads.display_rows(
        S.PAYLOAD, business.payload, class_labels={place.c1.code: place.c1.label, place.c23.code: place.c23.label})}
    assert rows["休学日期"] == day.isoformat() and rows["休学时年级"] == place.g2022.name
    assert rows["学籍状态"] == "休学 → 在校" and rows["年级"] == f"{place.g2022.name} → {place.g2023.name}"
    assert rows["班级"] == f"{place.c1.label} → {place.c23.label}"


def test_repeat_and_skip_a_grade(place):
    s = place.pupil()
    changed, _ = run(place, s, "repeat_grade", klass=place.c23.pk)  # 2022 → 2023 entry: one grade lower
    assert changed.status == "10" and changed.grade_id == place.g2023.pk
    assert not StatusChange.objects.filter(student=s).exists()
    changed, _ = run(place, changed, "skip_grade", klass=place.c21.pk)
    assert changed.grade_id == place.g2021.pk
    with pytest.raises(ValidationError, match="留级须调入低于现年级的班级"):
        run(place, changed, "repeat_grade", klass=place.c21.pk)
    with pytest.raises(ValidationError, match="跳级须调入高于现年级的班级"):
        run(place, changed, "skip_grade", klass=place.c23.pk)


def test_every_refusal_by_status():
    """Each 学籍异动 against each status: allowed exactly where the F-27 table says."""
    for status in student_rules.STATUS_NAMES:
        for kind, ctype in R.STATUS_CHANGES.items():
            errors = R.status_change_refusals(kind, status=status, date=TODAY, today=TODAY, reason="原因",
                                              current=R.Grade("1", 2022), target=R.Grade("1", 2023)
                                              if ctype.placement != R.HIGHER else R.Grade("1", 2021), stage="2")
            allowed = kind in student_rules.ALLOWED_BUSINESS[status]
            assert (errors == []) is allowed, (status, kind, errors)
            if not allowed:
                assert errors == [f"学籍状态为{student_rules.STATUS_NAMES[status]}的学生不能办理{ctype.name}"]
    assert [t.code for t in R.allowed_status_changes("11")] == ["resume", "expel", "quit_school", "death", "missing"]
    assert R.allowed_status_changes("99") == [] and R.allowed_status_changes("12") == []


@pytest.mark.parametrize("status,kind", [("11", "suspend"), ("10", "resume"), ("31", "death"), ("33", "expel"),
                                         ("12", "quit_school"), ("99", "suspend"), ("10", "return_from_abroad")])
def test_refused_by_status_through_the_service(place, status, kind):
    s = place.pupil(status=status if status != "99" else "10")
    if status == "99":
        from xueji.students import services as student_services
        student_services.change_status([s], "99", reason="误操作删除", date=timezone.localdate())
    with pytest.raises(ValidationError, match="不能办理"):
        S.request_status_change(s, place.users.school_registrar, kind, date=timezone.localdate(), reason="x",
                                klass=place.c23.pk, proof=png_file())
    assert not s.businesses.exists() if hasattr(s, "businesses") else True


@pytest.mark.parametrize("kwargs,message", [
    ({"date": None}, "请填写有效的异动日期"),
    ({"date": TODAY + dt.timedelta(days=1)}, "异动日期不能晚于今天"),
    ({"date": dt.date(2010, 1, 1)}, "异动日期不能早于出生日期"),
    ({"reason": "  "}, "请填写异动原因"),
    ({"reason": "长" * 201}, "不能超过200个字"),
    ({"kind": "nonsense"}, "请选择异动类别"),
    ({"kind": "resume", "status": "11", "target": None}, "复学须选择调入的班级"),
    ({"kind": "repeat_grade", "target": R.Grade("2", 2023)}, "只能调入同一学段的班级"),
])
def test_rule_refusals(kwargs, message):
    args = {"kind": "suspend", "status": "10", "date": TODAY, "today": TODAY, "reason": "因病",
            "birth_date": dt.date(2017, 1, 1), "current": R.Grade("1", 2022), "target": R.Grade("1", 2023)}
    args.update(kwargs)
    kind = args.pop("kind")
    errors = R.status_change_refusals(kind, **args)
    assert any(message in e for e in errors), errors


def test_service_refusals(place):
    s = place.pupil()
    u = place.users
    with pytest.raises(ValidationError, match="请上传证明材料"):
        S.request_status_change(s, u.school_registrar, "suspend", date=timezone.localdate(), reason="因病")
    with pytest.raises(ValidationError, match="只能调入本校的班级"):
        S.request_status_change(s, u.school_registrar, "repeat_grade", date=timezone.localdate(), reason="x",
                                klass=place.hz.pk, proof=png_file())


def test_a_student_with_an_open_business_cannot_start_another(place):
    s = place.pupil()
    u = place.users
    S.request_status_change(s, u.school_registrar, "suspend", date=timezone.localdate(), reason="因病",
                            proof=png_file())
    with pytest.raises(ValidationError, match="该学生已有在办业务"):
        S.request_status_change(s, u.school_registrar, "quit_school", date=timezone.localdate(), reason="x",
                                proof=png_file())
    from xueji.changes import key_changes
    with pytest.raises(ValidationError, match="该学生已有在办业务"):
        key_changes.request_key_change(s, u.school_registrar, {"name": "李明"}, proof=png_file())


def test_a_rejected_change_changes_nothing(place):
    s = place.pupil()
    u = place.users
    business = S.request_status_change(s, u.school_registrar, "quit_school", date=timezone.localdate(),
                                       reason="x", proof=png_file())
    workflow.decide(business, u.school_leader, False, "材料不全")
    assert Student.objects.get(pk=s.pk).status == "10" and not StatusChange.objects.exists()
