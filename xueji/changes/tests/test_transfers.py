"""省内转学 (F-48) through its services and the engine: the lookup by 学籍号 + 姓名, a
transfer across two counties of two cities decided by all four parties and moved
automatically on the last pass, one inside a county (the county once), withdrawn midway,
refused at the sending side, a third school kept out, and the class placement."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from xueji.audit.models import AuditEntry
from xueji.changes import transfer_selectors as selectors
from xueji.changes import transfer_services as services
from xueji.changes.models import TransferPlacement
from xueji.org.models import Grade, SchoolClass
from xueji.students.models import StatusChange, Student
from xueji.students.selectors import students_for
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from .conftest import make_student


def _grade(school):
    return Grade.objects.get(school=school, stage="1", entry_year=2024)


def _apply(world, student, user=None, **extra):
    user = user or world.users.school_registrar
    extra.setdefault("reason", "随父母工作调动")
    return services.apply_transfer(user, national_number=student.national_number, name=student.name,
                                   to_grade=_grade(user.school), **extra)


def _steps(business):
    return [(s["party"], s["level"], s["unit"]) for s in business.chain]


# --- the lookup ----------------------------------------------------------------------------
def test_lookup_needs_number_and_name_and_is_audited(world, people):
    u = world.users
    student = make_student(people.futian, name="李四")
    assert services.lookup_student(u.school_registrar, student.national_number, "李四") == student
    # a lower-case number with spaces is the same number
    assert services.lookup_student(u.school_registrar, f" {student.national_number.lower()} ", " 李四 ") == student
    for number, name in ((student.national_number, "王五"), ("G440106201801019999", "李四"), ("", "李四"),
                         (student.national_number, ""), ("'; DROP TABLE students_student; --", "李四"),
                         ("G" * 500, "李" * 500)):
        assert services.lookup_student(u.school_registrar, number, name) is None
    entries = AuditEntry.objects.filter(action="changes.transfer_lookup").order_by("id")
    assert [e.after["found"] for e in entries] == [True, True, False, False, False, False, False, False]
    # the audit summary never shows the full number
    assert all(student.national_number not in e.summary for e in entries)
    assert entries[2].after["national_number"] == student.national_number and entries[2].after["name"] == "王五"


def test_lookup_finds_nothing_in_own_school_another_province_or_deleted(world, people):
    u = world.users
    own = make_student(world.th_school, name="本校生")
    other_province = make_student(world.gx_school, name="广西生")
    deleted = make_student(people.futian, name="已删除")
    Student.objects.filter(pk=deleted.pk).update(status="99")
    for student in (own, other_province, deleted):
        assert services.lookup_student(u.school_registrar, student.national_number, student.name) is None
        with pytest.raises(ValidationError, match="未找到"):
            _apply(world, student)


def test_only_a_school_registrar_looks_up_and_applies(world, people):
    student = make_student(people.futian, name="李四")
    for user in (world.users.school_leader, world.users.class_teacher, world.users.data_checker,
                 world.users.th_registrar, world.users.gd_admin, world.users.parent):
        with pytest.raises(PermissionDenied):
            services.lookup_student(user, student.national_number, student.name)
        with pytest.raises(PermissionDenied):
            services.apply_transfer(user, national_number=student.national_number, name=student.name,
                                    to_grade=_grade(world.th_school), reason="x")
    assert not Business.objects.exists()


# --- the application -----------------------------------------------------------------------
def test_application_refusals(world, people):
    student = make_student(people.futian, name="李四")
    with pytest.raises(ValidationError, match="转学理由"):
        _apply(world, student, reason="  ")
    with pytest.raises(ValidationError, match="不能超过"):
        _apply(world, student, reason="很" * 201)
    with pytest.raises(ValidationError, match="转入年级"):
        services.apply_transfer(world.users.school_registrar, national_number=student.national_number,
                                name=student.name, to_grade=_grade(people.futian), reason="x")   # not our grade
    with pytest.raises(ValidationError, match="转入年级"):
        services.apply_transfer(world.users.school_registrar, national_number=student.national_number,
                                name=student.name, to_grade="abc", reason="x")
    with pytest.raises(ValidationError, match="JPG或PNG"):
        _apply(world, student, materials=[SimpleUploadedFile("proof.png", b"not an image", "image/png")])
    assert not Business.objects.exists()   # the fake file rolled the application back
    business = _apply(world, student)
    with pytest.raises(ValidationError, match="在办业务"):   # a second one for the same student
        _apply(world, student)
    assert Business.objects.count() == 1 and business.payload["from_school"] == "福田测试小学"


def test_a_grade_without_a_class_takes_the_transfer_and_the_record_waits_without_one(world, people):
    u, p = world.users, people
    student = make_student(p.th_other, name="李四")
    empty = Grade.objects.create(school=world.th_school, stage="1", entry_year=2023)
    business = services.apply_transfer(u.school_registrar, national_number=student.national_number,
                                       name=student.name, to_grade=empty, reason="随父母工作调动")
    for reviewer in (u.school_leader, p.th_other_leader, u.th_registrar):
        workflow.decide(business, reviewer, True, "同意")
    business.refresh_from_db()
    student.refresh_from_db()
    assert business.status == "passed"
    assert (student.school_id, student.grade_id, student.klass_id) == (world.th_school.pk, empty.pk, None)
    assert list(student.events.filter(business_id=business.pk).order_by("pk").values_list("kind", flat=True)) == [
        "status", "transfer", "status"]
    placement = TransferPlacement.objects.get(business=business)
    assert list(selectors.waiting_placements_for(u.school_registrar)) == [placement]
    with pytest.raises(ValidationError, match="请选择转入年级的班级"):   # the grade has no class to place in
        services.place_in_class(u.school_registrar, placement, SchoolClass.objects.filter(
            school=world.th_school).first())
    placement.refresh_from_db()
    assert not placement.is_placed


# --- the whole chain ----------------------------------------------------------------------
def test_transfer_across_two_cities_decided_by_all_four_parties(world, people, png):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    old_grade, old_class = student.grade_id, student.klass_id
    business = _apply(world, student, materials=[SimpleUploadedFile("户口.png", png, "image/png")])
    assert _steps(business) == [
        ("receiving", "school", "天河测试小学"), ("receiving", "supervisor", "天河区教育局"),
        ("sending", "school", "福田测试小学"), ("sending", "supervisor", "福田区教育局"),
    ]
    assert business.materials.count() == 1
    # every party's school users and authorities see it; the third school does not
    for user in (u.school_registrar, u.school_leader, u.th_registrar, u.gz_registrar, p.futian_registrar,
                 p.futian_leader, p.futian_county, p.sz_registrar, u.gd_registrar):
        assert selectors.transfers_for(user).filter(pk=business.pk).exists(), user.username
    for user in (p.third_registrar, p.third_leader, u.hz_registrar, u.class_teacher, u.data_checker, u.parent,
                 u.gd_admin):
        assert not selectors.transfers_for(user).filter(pk=business.pk).exists(), user.username
    for reviewer in (u.school_leader, u.th_registrar, p.futian_leader):
        workflow.decide(business, reviewer, True, "同意")
        student.refresh_from_db()
        assert student.school_id == p.futian.pk   # nothing moves before the last pass
    workflow.decide(business, p.futian_county, True, "同意")
    business.refresh_from_db()
    student.refresh_from_db()
    assert business.status == "passed"
    assert (student.school_id, student.grade_id, student.status) == (world.th_school.pk,
                                                                     _grade(world.th_school).pk, "10")
    assert student.grade_id != old_grade and old_class is not None and student.klass_id is None   # 待分班
    history = list(StatusChange.objects.filter(student=student).order_by("pk")
                   .values_list("old_status", "new_status", "school_id"))
    assert history == [("10", "12", p.futian.pk), ("12", "10", world.th_school.pk)]
    placement = TransferPlacement.objects.get(business=business)
    assert (placement.school_id, placement.from_school_id, placement.placed_at) == (world.th_school.pk,
                                                                                    p.futian.pk, None)
    # the sending school loses the record; the receiving school has it, waiting for a class
    assert not students_for(p.futian_registrar).filter(pk=student.pk).exists()
    assert students_for(u.school_registrar).filter(pk=student.pk).exists()
    assert list(selectors.waiting_placements_for(u.school_registrar)) == [placement]
    assert not selectors.waiting_placements_for(p.futian_registrar).exists()
    entry = AuditEntry.objects.filter(action="workflow.decided").order_by("-id").first()
    assert "待分班" in entry.summary
    # withdrawing is too late now
    with pytest.raises(ValidationError):
        workflow.withdraw(business, u.school_registrar)
    # class placement by the receiving school
    target = SchoolClass.objects.get(school=world.th_school, code="2024102")
    services.place_in_class(u.school_registrar, placement, target)
    student.refresh_from_db()
    placement.refresh_from_db()
    assert student.klass_id == target.pk and placement.is_placed and placement.placed_by == u.school_registrar
    assert student.events.filter(kind="placement").values_list("before", "after").get() == (
        {"school": world.th_school.pk, "grade": _grade(world.th_school).pk, "klass": None},
        {"school": world.th_school.pk, "grade": _grade(world.th_school).pk, "klass": target.pk})
    assert not selectors.waiting_placements_for(u.school_registrar).exists()
    assert AuditEntry.objects.filter(action="changes.transfer_placed", object_id=str(student.pk)).exists()
    with pytest.raises(ValidationError, match="已分班"):
        services.place_in_class(u.school_registrar, placement, target)


def test_transfer_inside_one_county_asks_the_county_once(world, people):
    u, p = world.users, people
    student = make_student(p.th_other, name="同区生")
    business = _apply(world, student)
    assert [(s["level"], s["unit"], s.get("shared")) for s in business.chain] == [
        ("school", "天河测试小学", None), ("school", "天河第二小学", None),
        ("supervisor", "天河区教育局", ["receiving", "sending"]),
    ]
    for reviewer in (u.school_leader, p.th_other_leader, u.th_registrar):
        workflow.decide(business, reviewer, True)
    student.refresh_from_db()
    assert student.school_id == world.th_school.pk


def test_withdrawn_midway_leaves_the_student(world, people):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    business = _apply(world, student)
    workflow.decide(business, u.school_leader, True)
    workflow.decide(business, u.th_registrar, True)
    with pytest.raises(PermissionDenied):           # the sending school cannot withdraw it
        workflow.withdraw(business, p.futian_registrar)
    workflow.withdraw(business, u.school_registrar)
    business.refresh_from_db()
    student.refresh_from_db()
    assert business.status == "withdrawn" and student.school_id == p.futian.pk and student.status == "10"
    assert not TransferPlacement.objects.exists() and not StatusChange.objects.exists()
    with pytest.raises(ValidationError):
        workflow.decide(business, p.futian_leader, True)
    # the student may be applied for again
    assert _apply(world, student).status == "open"


def test_refused_at_the_sending_side_the_student_stays(world, people):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    business = _apply(world, student)
    for reviewer in (u.school_leader, u.th_registrar, p.futian_leader):
        workflow.decide(business, reviewer, True)
    with pytest.raises(ValidationError, match="审核意见"):
        workflow.decide(business, p.futian_county, False, "")
    workflow.decide(business, p.futian_county, False, "该生尚有未结事项")
    business.refresh_from_db()
    student.refresh_from_db()
    assert business.status == "failed"
    assert (student.school_id, student.status) == (p.futian.pk, "10")
    assert students_for(p.futian_registrar).filter(pk=student.pk).exists()
    assert not TransferPlacement.objects.exists()


def test_the_move_is_refused_when_the_student_left_meanwhile(world, people):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    business = _apply(world, student)
    for reviewer in (u.school_leader, u.th_registrar, p.futian_leader):
        workflow.decide(business, reviewer, True)
    Student.objects.filter(pk=student.pk).update(status="11")   # a state the engine would not allow
    with pytest.raises(ValidationError, match="不是在校"):
        workflow.decide(business, p.futian_county, True)
    business.refresh_from_db()
    assert business.status == "open" and business.position == 3   # the decision rolled back


def test_placement_only_by_the_receiving_registrar_into_the_grade(world, people):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    business = _apply(world, student)
    for reviewer in (u.school_leader, u.th_registrar, p.futian_leader, p.futian_county):
        workflow.decide(business, reviewer, True)
    placement = TransferPlacement.objects.get(business=business)
    other_grade = Grade.objects.create(school=world.th_school, stage="1", entry_year=2022)
    wrong = SchoolClass.objects.create(school=world.th_school, grade=other_grade, code="2022101", name="1班")
    foreign = SchoolClass.objects.get(school=p.futian, code="2024101")
    for klass in (wrong, foreign, None, "abc", 10**9):
        with pytest.raises(ValidationError):
            services.place_in_class(u.school_registrar, placement, klass)
    with pytest.raises(PermissionDenied):
        services.place_in_class(p.futian_registrar, placement, foreign)
    with pytest.raises(PermissionDenied):
        services.place_in_class(u.school_leader, placement, wrong)
    placement.refresh_from_db()
    assert not placement.is_placed


def test_a_pupil_who_moved_on_no_longer_waits_at_the_first_school(world, people):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    first = _apply(world, student)
    for reviewer in (u.school_leader, u.th_registrar, p.futian_leader, p.futian_county):
        workflow.decide(first, reviewer, True)
    assert selectors.waiting_placements_for(u.school_registrar).count() == 1
    student.refresh_from_db()
    second = _apply(world, student, user=p.th_other_registrar)   # on to 天河第二小学 before a class was chosen
    for reviewer in (p.th_other_leader, u.school_leader, u.th_registrar):
        workflow.decide(second, reviewer, True)
    assert not selectors.waiting_placements_for(u.school_registrar).exists()
    assert selectors.waiting_placements_for(p.th_other_registrar).count() == 1
    stale = TransferPlacement.objects.get(business=first)
    with pytest.raises(ValidationError, match="已不在本校"):
        services.place_in_class(u.school_registrar, stale, SchoolClass.objects.get(school=world.th_school,
                                                                                 code="2024101"))
