"""students.services, the one writer of the record: create_records (set-based), status
changes with their history, moves between classes, grades and schools, key-data changes
with the identity claim and the number following, number replacement and the L → G
upgrade — each with bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xueji.org.models import Grade
from xueji.registration.testing import resident_id
from xueji.students import numbers
from xueji.students import services as S
from xueji.students.models import FamilyMember, IdentityClaim, StatusChange, Student, StudentNumber

from .conftest import pupil_values


def _create(*specs):
    with transaction.atomic():
        return S.create_records(list(specs))


def _counts():
    return (Student.objects.count(), FamilyMember.objects.count(), StudentNumber.objects.count(),
            IdentityClaim.objects.count())


# --- create_records -------------------------------------------------------------------------

def test_many_records_at_once(place):
    foreign = pupil_values(3, id_type="A", id_number="E1234567", nationality="USA", hmt="51", name="John Smith")
    with transaction.atomic():  # one of them claimed beforehand, as a pending registration holds it
        S.claim_identities([(numbers.identity_key("1", pupil_values(1)["id_number"]), place.world.th_school.pk, 99)])
    created = _create(place.spec(1), place.spec(2, place.c21, kind="L"),
                      place.spec(3, kind="J", values=foreign), place.spec(4, status="11"))
    assert [c.name for c in created] == [pupil_values(i)["name"] for i in (1, 2)] + ["John Smith", pupil_values(4)["name"]]
    first, temporary, other, suspended = (Student.objects.get(pk=c.pk) for c in created)
    assert first.national_number == "G" + pupil_values(1)["id_number"] and first.number_kind == "G"
    assert first.klass == place.c1 and first.grade == place.g2020 and first.school == place.world.th_school
    assert first.commute_distance == Decimal("1.5") and first.only_child is True and first.status == "10"
    assert first.family.get().seq == 1 and first.family.get().is_guardian is True
    assert temporary.national_number.startswith("L440106" + f"{temporary.birth_date:%Y%m%d}")
    assert temporary.grade == place.g2021
    assert other.national_number.startswith("J440106") and other.number_kind == "J"
    assert suspended.status == "11"
    for student in (first, temporary, other, suspended):
        assert StudentNumber.objects.get(number=student.national_number).student == student
        assert student.identity_claim.school_id == place.world.th_school.pk
    assert IdentityClaim.objects.get(registration_id=99).student == first


def test_set_based_queries_do_not_grow_with_the_batch(place):
    def queries(start, n):
        with CaptureQueriesContext(connection) as captured:
            _create(*[place.spec(i, kind="L" if i % 2 else "G") for i in range(start, start + n)])
        return len(captured.captured_queries)

    assert queries(100, 3) == queries(200, 60)


def test_earlier_numbers_keep_resolving(place):
    values = pupil_values(5)
    earlier = f"L440106{values['birth_date']:%Y%m%d}0007"
    (created,) = _create(place.spec(5, earlier_numbers=(earlier,)))
    old = StudentNumber.objects.get(number=earlier)
    assert old.student_id == created.pk and old.replaced_at is not None


def test_allocated_numbers_skip_numbers_the_batch_gives(place):
    a, b = pupil_values(6), pupil_values(7, birth_date=pupil_values(6)["birth_date"])
    given = f"J440106{a['birth_date']:%Y%m%d}0001"
    created = _create(place.spec(6, kind="J", number=given, values=dict(a, id_type="Z", id_number=""), claim=False),
                      place.spec(7, kind="J", values=dict(b, id_type="Z", id_number=""), claim=False))
    assert created[0].national_number == given
    assert created[1].national_number == given[:-4] + "0002"


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.spec(1, p.hz), None),  # fine on its own (see below)
    (lambda p: p.spec(1, school_id=p.world.hz_school.pk), "班级不属于该学校"),
    (lambda p: p.spec(1, grade_id=p.g2021.pk), "班级不属于该年级"),
    (lambda p: p.spec(1, klass_id=999999), "班级不存在"),
    (lambda p: p.spec(1, status="77"), "学籍状态“77”不是可以建立学籍的状态"),
    (lambda p: p.spec(1, status="99"), "学籍状态“99”不是可以建立学籍的状态"),
    (lambda p: p.spec(1, number="G" + pupil_values(2)["id_number"]), "G字头学籍号应为G加本人居民身份证件号"),
    (lambda p: p.spec(1, number="G123"), "格式不正确"),
    (lambda p: p.spec(1, kind="X", number=""), "学籍号类型“X”不是G、J或L"),
    (lambda p: p.spec(1, kind="G", number=""), "G字头学籍号须给出"),
    (lambda p: p.spec(1, values=pupil_values(1, name="")), "姓名不能为空"),
    (lambda p: p.spec(1, values=pupil_values(1, gender="9")), "性别应为1-男或2-女"),
    (lambda p: p.spec(1, values=pupil_values(1, birth_date="2017-02-30")), "出生日期不是有效日期"),
    (lambda p: p.spec(1, values=pupil_values(1, id_type="")), "身份证件类型不能为空"),
    (lambda p: p.spec(1, earlier_numbers=("L1",)), "全国学籍号“L1”格式不正确"),
])
def test_bad_specs_refuse_and_write_nothing(place, make, message):
    spec = make(place)
    if message is None:
        assert len(_create(spec)) == 1
        return
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        _create(place.spec(50), spec)
    assert any(message in m for m in caught.value.messages), caught.value.messages
    assert _counts() == before


def test_a_number_given_twice_or_already_used(place):
    (first,) = _create(place.spec(1))
    with pytest.raises(ValidationError, match=f"全国学籍号{first.national_number}已被使用"):
        _create(place.spec(1, claim=False))
    number = f"L440106{pupil_values(2)['birth_date']:%Y%m%d}0003"
    with pytest.raises(ValidationError, match=f"全国学籍号{number}重复"):
        _create(place.spec(2, kind="L", number=number), place.spec(3, kind="L", number=number))


def test_an_identity_another_record_holds_refuses(place):
    _create(place.spec(1, place.hz))
    before = _counts()
    with pytest.raises(ValidationError, match="身份证件号已在海珠测试小学"):
        _create(place.spec(1, kind="L"))
    assert _counts() == before


def test_nothing_to_create():
    assert S.create_records([]) == []


# --- change_status -------------------------------------------------------------------------

@pytest.fixture
def two(place):
    created = _create(place.spec(1), place.spec(2))
    return [c.pk for c in created]


def test_status_change_and_its_history(place, two):
    day = timezone.localdate() - dt.timedelta(days=3)
    with transaction.atomic():
        before = S.change_status(two, "11", reason="因病", date=day, actor=place.world.users.school_registrar)
    assert before == [(two[0], "10"), (two[1], "10")]
    assert set(Student.objects.filter(pk__in=two).values_list("status", flat=True)) == {"11"}
    change = StatusChange.objects.get(student_id=two[0])
    assert (change.old_status, change.new_status, change.date, change.reason) == ("10", "11", day, "因病")
    assert change.actor_name == place.world.users.school_registrar.real_name
    assert change.school == place.world.th_school
    with transaction.atomic():
        S.change_status(Student.objects.filter(pk=two[0]), "10", reason="复学", date=timezone.localdate())
    assert list(StatusChange.objects.filter(student_id=two[0]).values_list("new_status", flat=True)) == ["11", "10"]


@pytest.mark.parametrize(("status", "date", "reason", "message"), [
    ("77", None, "", "“77”不是有效的学籍状态"),
    ("", None, "", "“”不是有效的学籍状态"),
    ("11", "2020-01-01", "", "变动日期不是有效日期"),
    ("11", dt.datetime(2020, 1, 1), "", "变动日期不是有效日期"),
    ("11", dt.date(2999, 1, 1), "", "变动日期不能晚于今天"),
    ("11", None, "长" * 201, "变动原因不能超过200个字"),
    ("10", None, "", "学籍状态已是在校"),
])
def test_bad_status_changes(two, status, date, reason, message):
    with pytest.raises(ValidationError, match=message):
        S.change_status(two, status, reason=reason, date=timezone.localdate() if date is None else date)
    assert set(Student.objects.filter(pk__in=two).values_list("status", flat=True)) == {"10"}
    assert not StatusChange.objects.exists()


def test_status_of_missing_or_deleted_records(two):
    with pytest.raises(ValidationError, match="学籍不存在"):
        S.change_status([two[0], 987654], "11", date=timezone.localdate())
    with pytest.raises(ValidationError, match="不是学籍"):
        S.change_status(["abc"], "11", date=timezone.localdate())
    with transaction.atomic():
        S.change_status([two[0]], "99", reason="误操作删除", date=timezone.localdate())
    with pytest.raises(ValidationError, match="已删除的学籍不能变更学籍状态"):
        S.change_status(two, "11", date=timezone.localdate())
    assert Student.objects.get(pk=two[1]).status == "10"


def test_deleting_a_record_frees_its_identity(place, two):
    key = Student.objects.get(pk=two[0]).identity_claim.key
    with transaction.atomic():
        S.change_status([two[0]], "99", reason="误操作删除", date=timezone.localdate())
    assert not IdentityClaim.objects.filter(key=key).exists()
    with transaction.atomic():
        assert S.claim_identities([(key, place.world.hz_school.pk, 5)]) == {}


# --- move_students -------------------------------------------------------------------------

def test_moves_within_the_school_and_to_another(place, two):
    with transaction.atomic():
        moved = S.move_students(two, klass=place.c2)
    assert [m.klass_id for m in moved] == [place.c1.pk, place.c1.pk]
    with transaction.atomic():
        assert S.move_students(two, klass=place.c2) == []  # already there
        S.move_students([two[0]], grade=place.g2021, klass=place.c21)
    assert Student.objects.get(pk=two[0]).grade == place.g2021
    with transaction.atomic():
        (moved,) = S.move_students([two[0]], school=place.world.hz_school, klass=place.hz.pk)
    student = Student.objects.get(pk=two[0])
    assert (student.school, student.klass) == (place.world.hz_school, place.hz)
    assert moved.school_id == place.world.th_school.pk
    assert student.identity_claim.school == place.world.hz_school  # the claim follows the school
    assert Student.objects.get(pk=two[1]).identity_claim.school == place.world.th_school


@pytest.mark.parametrize(("kwargs", "message"), [
    (lambda p: {"grade": 999999}, "年级不存在"),
    (lambda p: {"grade": p.world.hz_school and Grade.objects.filter(school=p.world.hz_school).first(),
                "school": p.world.th_school}, "年级不属于所选学校"),
    (lambda p: {"klass": 999999}, "班级不存在"),
    (lambda p: {"klass": "2020101"}, "不是有效的班级"),
    (lambda p: {"school": p.world.th_school, "klass": p.hz}, "班级不属于所选学校"),
    (lambda p: {"grade": p.g2021, "klass": p.c2}, "班级不属于所选年级"),
    (lambda p: {"grade": "x", "klass": p.c2}, "不是有效的年级"),
])
def test_bad_moves(place, two, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        S.move_students(two, **kwargs(place))
    assert set(Student.objects.filter(pk__in=two).values_list("klass", flat=True)) == {place.c1.pk}


def test_moving_a_deleted_record(place, two):
    with transaction.atomic():
        S.change_status([two[1]], "99", date=timezone.localdate())
    with pytest.raises(ValidationError, match="已删除的学籍不能调整班级"):
        S.move_students(two, klass=place.c2)
    assert Student.objects.get(pk=two[0]).klass == place.c1
    with pytest.raises(ValidationError, match="学籍不存在"):
        S.move_students([424242], klass=place.c2)


# --- apply_key_change ---------------------------------------------------------------------

def test_key_change_of_the_name_keeps_the_number(two):
    student = Student.objects.get(pk=two[0])
    with transaction.atomic():
        change = S.apply_key_change(student, {"name": "王 小 明"})
    assert change.before == {"name": student.name} and change.after == {"name": "王小明"}
    assert change.old_number == change.new_number == student.national_number
    assert Student.objects.get(pk=two[0]).name == "王小明"


def test_a_new_verified_resident_id_moves_the_claim_and_gives_a_new_g(two):
    student = Student.objects.get(pk=two[0])
    old_key = student.identity_claim.key
    new_id = resident_id("440106", student.birth_date, 300, student.gender)
    with transaction.atomic():
        change = S.apply_key_change(student, {"id_number": new_id}, verified=True)
    assert change.new_number == "G" + new_id
    student.refresh_from_db()
    assert student.national_number == "G" + new_id and student.identity_claim.key == "1:" + new_id
    assert not IdentityClaim.objects.filter(key=old_key).exists()
    old = StudentNumber.objects.get(number=change.old_number)  # the old number still finds the pupil
    assert old.student == student and old.replaced_at is not None


def test_an_unverified_resident_id_gives_a_temporary_number(two):
    student = Student.objects.get(pk=two[0])
    new_id = resident_id("440106", student.birth_date, 301, student.gender)
    with transaction.atomic():
        change = S.apply_key_change(student, {"id_number": new_id}, verified=False)
    assert change.new_number.startswith(f"L440106{student.birth_date:%Y%m%d}")


def test_a_key_change_to_an_identity_held_elsewhere_is_refused(place, two):
    (other,) = _create(place.spec(9, place.hz))
    held = pupil_values(9)
    student = Student.objects.get(pk=two[0])
    changes = {"id_number": held["id_number"], "birth_date": held["birth_date"], "gender": held["gender"]}
    with pytest.raises(ValidationError, match="身份证件号已在海珠测试小学"):
        S.apply_key_change(student, changes, verified=True)
    student.refresh_from_db()
    assert student.identity_claim.key == "1:" + student.id_number  # nothing moved
    assert Student.objects.get(pk=other.pk).identity_claim.key == "1:" + held["id_number"]


def test_a_claim_reserved_by_the_business_is_taken_over(place, two):
    student = Student.objects.get(pk=two[0])
    new_id = resident_id("440106", student.birth_date, 302, student.gender)
    with transaction.atomic():
        S.claim_identities([("1:" + new_id, place.world.th_school.pk, 777)])
        S.apply_key_change(student, {"id_number": new_id}, verified=True, reserved_by=777)
    assert IdentityClaim.objects.get(key="1:" + new_id).student_id == student.pk


@pytest.mark.parametrize(("changes", "message"), [
    ({"phone": "13800138000"}, "联系电话不是可变更的关键数据"),
    ({"school": 1}, "school不是可变更的关键数据"),
    ({}, "没有需要变更的关键数据"),
    ({"gender": "3"}, "性别应为1-男或2-女"),
    ({"birth_date": "2017-13-01"}, "出生日期“2017-13-01”不是有效日期"),
    ({"id_type": "Z", "id_number": ""}, "正式学籍号学生不能将身份证件类型变更为无身份证件"),
    ({"id_number": "440106201701011234"}, "身份证件号"),
    ({"nationality": "ZZZ"}, "国籍/地区“ZZZ”不是有效的代码"),
])
def test_bad_key_changes(two, changes, message):
    student = Student.objects.get(pk=two[0])
    with pytest.raises(ValidationError) as caught:
        S.apply_key_change(student, changes)
    assert any(message in m for m in caught.value.messages), caught.value.messages
    assert Student.objects.get(pk=two[0]).national_number == student.national_number


def test_key_change_of_the_class(place, two):
    with transaction.atomic():
        change = S.apply_key_change(two[0], {"klass": place.c21})
    assert change.placement.klass_id == place.c1.pk and Student.objects.get(pk=two[0]).klass == place.c21
    with pytest.raises(ValidationError, match="关键数据变更只能调整到本校的班级"):
        S.apply_key_change(two[0], {"klass": place.hz})
    with transaction.atomic():
        S.change_status([two[1]], "99", date=timezone.localdate())
    with pytest.raises(ValidationError, match="已删除的学籍不能变更关键数据"):
        S.apply_key_change(two[1], {"name": "李四"})
    with pytest.raises(ValidationError, match="学籍不存在"):
        S.apply_key_change(123456, {"name": "李四"})


# --- numbers -----------------------------------------------------------------------------------

def test_upgrade_of_temporary_numbers(place):
    temp, official, duplicate, gone = _create(
        place.spec(1, kind="L"), place.spec(2), place.spec(3, kind="L", claim=False), place.spec(4, kind="L"))
    with transaction.atomic():
        S.change_status([gone.pk], "99", date=timezone.localdate())
        result = S.upgrade_temporary_numbers([temp.pk, official.pk, duplicate.pk, gone.pk, 55555])
    assert result.upgraded == [(temp.pk, temp.national_number, "G" + pupil_values(1)["id_number"])]
    assert result.skipped == {official.pk: "不是持居民身份证的临时学籍号学生",
                              duplicate.pk: "身份证件号与其他学籍重复,须先处理问题学籍",
                              gone.pk: "学籍已删除", 55555: "学籍不存在"}
    old = StudentNumber.objects.get(number=temp.national_number)
    assert old.student_id == temp.pk and old.replaced_at is not None
    assert Student.objects.get(pk=temp.pk).number_kind == "G"


def test_replace_numbers_refuses_bad_numbers(place):
    (one,) = _create(place.spec(1, kind="L"))
    for changes, message in [
        ([(one.pk, "G123", "G")], "格式不正确"),
        ([(one.pk, "J" + "1" * 18, "G")], "格式不正确"),
        ([(one.pk, "G" + "1" * 18, "G"), (one.pk, "G" + "2" * 18, "G")], "出现了两次"),
        ([(one.pk, one.national_number, "L")], "已被使用"),
        ([(31337, "G" + "1" * 18, "G")], "学籍不存在"),
    ]:
        with pytest.raises(ValidationError, match=message):
            S.replace_numbers(changes)
    assert Student.objects.get(pk=one.pk).national_number == one.national_number


# --- withdraw_records (撤回未完成的建档) ------------------------------------------------------

def test_withdraw_removes_records_whole_and_is_set_based(place):
    def withdraw(start, n):
        created = _create(*[place.spec(i, kind="L" if i % 2 else "G") for i in range(start, start + n)])
        numbers_ = [c.national_number for c in created]
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            result = S.withdraw_records([c.pk for c in created])
        assert [n for _, n, _ in result.removed] == numbers_ and result.kept == {}
        return len(captured.captured_queries)

    assert withdraw(100, 3) == withdraw(200, 60)
    assert _counts() == (0, 0, 0, 0)
    assert not IdentityClaim.objects.exists()
    # the J/L counters are not wound back: a new record never gets a withdrawn number
    again = _create(place.spec(101, kind="L"))
    assert again[0].national_number != "" and StudentNumber.objects.count() == 1


def test_withdraw_keeps_a_record_with_a_business_a_decision_or_a_change(place):
    from xueji.workflow.models import Business

    created = _create(*[place.spec(i) for i in range(1, 6)])
    busy, decided, moved, plain, gone = (c.pk for c in created)
    Business.objects.create(kind="suspend", school=place.world.th_school, student_id=busy,
                            applicant=place.world.users.school_registrar, applicant_name="甲", category="1", chain=[])
    with transaction.atomic():
        S.change_status([decided], "11", reason="休学", date=timezone.localdate())
        S.move_students([moved], klass=place.c2)
        S.withdraw_records([gone])
        result = S.withdraw_records([busy, decided, moved, plain, gone, 999999])
    assert result.kept == {busy: "已有业务", decided: "学籍状态已有变动", moved: "学籍信息已有修改"}
    assert [pk for pk, _, _ in result.removed] == [plain]
    assert set(Student.objects.values_list("pk", flat=True)) == {busy, decided, moved}
    assert FamilyMember.objects.count() == 3 and IdentityClaim.objects.count() == 3
    assert S.records_in_use([busy], ignore=(Business,)) == {}


def test_withdraw_of_nothing_or_of_bad_ids(place):
    assert S.withdraw_records([]) == S.Withdrawal()
    with pytest.raises(ValidationError, match="不是学籍"):
        S.withdraw_records(["1"])


def test_withdraw_after_the_callers_own_check(place):
    created = _create(place.spec(1), place.spec(2))
    with transaction.atomic():
        S.change_status([created[0].pk], "11", reason="休学", date=timezone.localdate())
        in_use = S.records_in_use([c.pk for c in created], lock=True)
        assert in_use == {created[0].pk: "学籍状态已有变动"}
        result = S.withdraw_records([c.pk for c in created if c.pk not in in_use], checked=True)
    assert [pk for pk, _, _ in result.removed] == [created[1].pk]
    assert list(Student.objects.values_list("pk", flat=True)) == [created[0].pk]
