"""Non-key edits (update_records, update_family), the record's history (RecordEvent) written
by every writer, 待分班 and place_in_class, and history_of — each with bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xueji.students import selectors
from xueji.students import services as S
from xueji.students.models import EventKind, FamilyMember, RecordEvent, Student

from .conftest import pupil_values


def _create(place, *numbers, klass=None):
    with transaction.atomic():
        return [c.pk for c in S.create_records([place.spec(i, klass) for i in numbers],
                                               actor=place.world.users.school_registrar)]


def _update(changes, **kw):
    with transaction.atomic():
        return S.update_records(changes, **kw)


def test_registration_starts_the_history(place):
    (pk,) = _create(place, 1)
    (event,) = RecordEvent.objects.filter(student_id=pk)
    assert event.kind == EventKind.REGISTERED and event.school_id == place.world.th_school.pk
    assert event.after["national_number"] == Student.objects.get(pk=pk).national_number
    assert event.actor_name


def test_update_records_changes_only_what_really_changed(place):
    one, two = _create(place, 1, 2)
    result = _update([(one, {"phone": "13912345678", "ethnicity": "01-汉族", "commute_distance": "2.5"}),
                      (two, {"only_child": "否", "health": "20"})], actor=place.world.users.school_registrar,
                     reason="家长核对")
    by = {u.student_id: u for u in result}
    assert by[one].before == {"phone": "", "commute_distance": "1.5"}  # 民族 was 01 already
    assert by[one].after == {"phone": "13912345678", "commute_distance": "2.5"}
    assert by[two].after == {"only_child": False, "health": "20"}
    first = Student.objects.get(pk=one)
    assert first.phone == "13912345678" and first.commute_distance == Decimal("2.5")
    assert Student.objects.get(pk=two).only_child is False
    event = RecordEvent.objects.get(student_id=one, kind=EventKind.FIELDS)
    assert event.before == by[one].before and event.after == by[one].after and event.reason == "家长核对"
    assert _update([(one, {"phone": "13912345678"})]) == []  # the same value again: no change, no event
    assert RecordEvent.objects.filter(student_id=one, kind=EventKind.FIELDS).count() == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "王五"}, "姓名是关键数据,不能直接修改,请通过“关键数据变更”办理"),
    ({"id_number": "440106201701010011"}, "身份证件号是关键数据"),
    ({"class_code": "2020102"}, "班号是关键数据"),
    ({"school_code": "3440106002"}, "学校标识码不能直接修改"),
    ({"national_number": "G1"}, "“national_number”不是学籍信息项"),
    ({"ethnicity": "77"}, "民族“77”不是有效的取值"),
    ({"phone": "12345"}, "联系电话"),
    ({"postcode": "51"}, "邮政编码"),
    ({"commute_distance": "-1"}, "上下学距离不能为负数"),
    ({"entry_month": "201613"}, "入学年月"),
    ({"birthplace_code": "999999000000"}, "出生地行政区划代码"),
    ({"email": "not-an-email"}, "电子信箱"),
])
def test_bad_changes_refuse_and_change_nothing(place, changes, message):
    one, two = _create(place, 1, 2)
    before = list(Student.objects.order_by("pk").values_list("updated_at", "phone", "ethnicity"))
    with pytest.raises(ValidationError) as caught:
        _update([(two, {"phone": "13912345678"}), (one, changes)])
    assert any(message in m for m in caught.value.messages), caught.value.messages
    assert list(Student.objects.order_by("pk").values_list("updated_at", "phone", "ethnicity")) == before
    assert not RecordEvent.objects.filter(kind=EventKind.FIELDS).exists()


def test_emptying_a_required_field_refuses_but_an_old_gap_does_not_block(place):
    (pk,) = _create(place, 1)  # loaded without 健康状况 (a gap of an old load)
    assert _update([(pk, {"phone": "13912345678"})])  # the gap does not block another edit
    _update([(pk, {"health": "10"})])
    with pytest.raises(ValidationError, match="健康状况不能为空"):
        _update([(pk, {"health": ""})])


def test_update_records_refuses_deleted_and_missing(place):
    one, two = _create(place, 1, 2)
    S.change_status([two], "99", date=timezone.localdate())
    with pytest.raises(ValidationError, match="已删除的学籍不能修改"):
        _update([(two, {"phone": "13912345678"})])
    with pytest.raises(ValidationError, match="学籍不存在"):
        _update([(987654, {"phone": "13912345678"})])
    with pytest.raises(ValidationError, match="不是学籍"):
        _update([("abc", {"phone": "13912345678"})])


def test_update_records_is_set_based(place):
    def queries(ids):
        with CaptureQueriesContext(connection) as captured:
            _update([(pk, {"phone": f"139{pk:08d}", "only_child": False}) for pk in ids])
        return len(captured.captured_queries)

    small = _create(place, *range(1, 4))
    large = _create(place, *range(10, 50))
    S.rules_context()  # warm-up: the first edit of a process reads the division sets once
    assert queries(small) == queries(large)


def test_update_family(place):
    (pk,) = _create(place, 1)
    members = [{"name": "王大明", "relation": "1-父亲", "phone": "13800138000", "is_guardian": "是",
                "id_type": "1", "id_number": pupil_values(300)["id_number"]},
               {"name": "李小红", "relation": "2", "is_guardian": False}, {"name": "", "relation": ""}]
    with transaction.atomic():
        before, after = S.update_family(pk, members, actor=place.world.users.school_registrar)
    assert [m["seq"] for m in after] == [1, 2] and after[0]["is_guardian"] is True and after[1]["relation"] == "2"
    assert list(FamilyMember.objects.filter(student_id=pk).values_list("name", flat=True)) == ["王大明", "李小红"]
    event = RecordEvent.objects.get(student_id=pk, kind=EventKind.FAMILY)
    assert event.before["family"] == before and event.after["family"][0]["name"] == "王大明"


@pytest.mark.parametrize(("members", "message"), [
    ([], "至少填写1名家庭成员"),
    ([{"name": "王大明", "relation": ""}], "成员1关系不能为空"),
    ([{"name": "王大明", "relation": "9"}], "关系说明不能为空"),
    ([{"name": "王大明", "relation": "1", "id_type": "1", "id_number": "440106198501010011"}], "成员1身份证件号"),
    ([{"name": "王大明", "relation": "99"}], "成员1关系“99”不是有效的取值"),
    ([{"name": "王大明", "relation": "1"}, {"name": "X1", "relation": "2"}, {"name": "李", "relation": "9x"}],
     "成员3关系"),
])
def test_bad_family_refuses(place, members, message):
    (pk,) = _create(place, 1)
    before = list(FamilyMember.objects.values_list("pk", "name"))
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        S.update_family(pk, members)
    assert any(message in m for m in caught.value.messages), caught.value.messages
    assert list(FamilyMember.objects.values_list("pk", "name")) == before


def test_every_writer_writes_history(place):
    one, two = _create(place, 1, 2)
    S.change_status([one], "11", reason="因病", date=timezone.localdate(), business_id=41)
    S.move_students([two], klass=place.c2, business_id=42)
    S.move_students([two], klass=place.world and place.hz.pk)
    S.apply_key_change(one, {"name": "王小明", "klass": place.c21}, business_id=43)
    kinds = dict(RecordEvent.objects.filter(business_id__in=(41, 42, 43)).values_list("business_id", "kind"))
    assert kinds == {41: EventKind.STATUS, 42: EventKind.PLACEMENT, 43: EventKind.KEY_CHANGE}
    key = RecordEvent.objects.get(business_id=43)
    assert key.after["name"] == "王小明" and key.after["klass"] == place.c21.pk and key.before["klass"] == place.c1.pk
    transfer = RecordEvent.objects.filter(student_id=two).latest("pk")
    assert transfer.kind == EventKind.TRANSFER and transfer.school_id == place.world.hz_school.pk


def test_waiting_for_a_class_and_placing(place):
    one, two = _create(place, 1, 2)
    moved = S.move_students([one, two], klass=None)
    assert {p.klass_id for p in moved} == {place.c1.pk}
    assert Student.objects.filter(klass__isnull=True).count() == 2
    assert S.move_students([one], klass=None) == []
    S.move_students([one], grade=place.g2021)
    assert Student.objects.get(pk=one).grade == place.g2021 and Student.objects.get(pk=one).klass is None
    placed = S.place_in_class([one, two], place.c21, place.world.users.school_registrar)
    assert len(placed) == 2 and set(Student.objects.values_list("klass", flat=True)) == {place.c21.pk}
    assert RecordEvent.objects.filter(kind=EventKind.PLACEMENT).count() == 5
    with pytest.raises(ValidationError, match="只能分到本校的班级"):
        S.place_in_class([one], place.hz)
    with pytest.raises(ValidationError, match="调入其他学校须选择年级或班级"):
        S.move_students([one], school=place.world.hz_school)
    with pytest.raises(ValidationError, match="年级不存在"):
        S.move_students([one], grade=999999)


def test_history_of_is_display_ready(place):
    (pk,) = _create(place, 1)
    S.move_students([pk], klass=place.c2, actor=place.world.users.school_registrar)
    _update([(pk, {"health": "20", "only_child": "否"})])
    S.change_status([pk], "11", reason="因病", date=timezone.localdate())
    rows = selectors.history_of(Student.objects.get(pk=pk))
    assert [r.kind for r in rows] == ["状态变更", "字段修改", "分班", "注册"]
    status, fields, placement, registered = rows
    assert ("学籍状态", "10-在校", "11-休学") in status.changes
    assert ("健康状况", "", "20-一般或较弱") in fields.changes
    assert ("是否独生子女", "是", "否") in fields.changes
    assert placement.changes[0][0] == "班级" and "2020102" in placement.changes[0][2]
    assert len(registered.at) == 16 and registered.school == place.world.th_school.name
    assert ("班级", "", place.c1.label) in registered.changes  # nothing before a registration, not 待分班
    S.move_students([pk], klass=None)
    assert ("班级", place.c2.label, "待分班") in selectors.history_of(Student.objects.get(pk=pk))[0].changes
    assert fields.actor == "系统"


def test_parts_and_photo(place, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    (pk,) = _create(place, 1)
    award = S.add_part(pk, "award", {"start": "2024-06-01", "name": "三好学生", "issuer": "天河区教育局"})
    resume = S.add_part(pk, "resume", {"start": "202309", "school_name": "天河测试小学"})
    assert S.PART_MODELS["award"].objects.get(pk=award).name == "三好学生"
    S.remove_part(pk, "resume", resume)
    assert not S.PART_MODELS["resume"].objects.filter(pk=resume).exists()
    with pytest.raises(ValidationError, match="学习简历不存在"):
        S.remove_part(pk, "resume", resume)
    rows = selectors.history_of(Student.objects.get(pk=pk))
    assert ("起始年月", "202309", "") in rows[0].changes and ("奖励名称", "", "三好学生") in rows[2].changes
    stored = S.set_photo(pk, b"\xff\xd8fake", ".jpg")
    assert Student.objects.get(pk=pk).photo.name == stored and (tmp_path / stored).exists()
    with pytest.raises(ValidationError, match="照片只能是JPG或PNG"):
        S.set_photo(pk, b"x", ".gif")


@pytest.mark.parametrize(("kind", "values", "message"), [
    ("award", {"name": "三好学生"}, "奖励日期不能为空"),
    ("award", {"start": "2024-02-30", "name": "三好学生"}, "奖励日期“2024-02-30”不是有效日期"),
    ("award", {"start": "2999-01-01", "name": "三好学生"}, "奖励日期不能晚于今天"),
    ("resume", {"start": "202313", "school_name": "x"}, "起始年月应为6位年月"),
    ("resume", {"start": "202309", "end": "202201", "school_name": "x"}, "终止年月不能早于起始年月"),
    ("punishment", {"start": "2024-01-01", "name": "x" * 101}, "处分名称不能超过100个字符"),
    ("residence", {"start": "2024-01-01", "holder": "王大明"}, "居住证号不能为空"),
    ("nonsense", {}, "不是学籍信息的页签"),
])
def test_bad_parts_refuse(place, kind, values, message):
    (pk,) = _create(place, 1)
    with pytest.raises(ValidationError, match=message):
        S.add_part(pk, kind, values)


def test_records_from_before_the_history_get_one(place):
    import importlib

    from django.apps import apps as django_apps
    from django.db import connection as db

    backfill = importlib.import_module("xueji.students.migrations.0004_backfill_record_events").backfill
    one, two = _create(place, 1, 2)
    S.change_status([one], "11", reason="因病", date=timezone.localdate())
    RecordEvent.objects.all().delete()  # as before the history existed
    with transaction.atomic():
        backfill(django_apps, type("Editor", (), {"connection": db})())
    registered = RecordEvent.objects.get(student_id=two)
    assert registered.kind == EventKind.REGISTERED
    assert registered.after["national_number"] == Student.objects.get(pk=two).national_number
    status = RecordEvent.objects.get(student_id=one, kind=EventKind.STATUS)
    assert status.before == {"status": "10"} and status.after["status"] == "11" and status.reason == "因病"
    rows = selectors.history_of(Student.objects.get(pk=one))
    assert ("学籍状态", "10-在校", "11-休学") in rows[0].changes
    with transaction.atomic():  # running it again adds nothing
        backfill(django_apps, type("Editor", (), {"connection": db})())
    assert RecordEvent.objects.count() == 3


def test_saving_the_same_family_again_changes_nothing(place):
    (pk,) = _create(place, 1)
    members = [{"name": "王大明", "relation": "1", "is_guardian": "是", "phone": "13800138000"}]
    with transaction.atomic():
        S.update_family(pk, members)
    stamp = Student.objects.get(pk=pk).updated_at
    with transaction.atomic():
        before, after = S.update_family(pk, [dict(m, is_guardian=True) for m in members])
    assert before == after and Student.objects.get(pk=pk).updated_at == stamp
    assert RecordEvent.objects.filter(student_id=pk, kind=EventKind.FAMILY).count() == 1


def test_update_families_set_based_with_history(place):
    one, two, three = _create(place, 1, 2, 3)
    same = [dict(m) for m in FamilyMember.objects.filter(student_id=three).order_by("seq").values(
        "name", "relation", "phone", "is_guardian")]
    changes = [(one, [{"name": "王大明", "relation": "1", "phone": "13800000001"}]),
               (two, [{"name": "李小红", "relation": "2"}, {"name": "王大明", "relation": "1"}]),
               (three, same)]
    with transaction.atomic():
        updates = S.update_families(changes, actor=place.world.users.school_registrar, reason="批量")
    assert [u.student_id for u in updates] == [one, two]  # the third's members did not change
    assert list(FamilyMember.objects.filter(student_id=two).order_by("seq").values_list("name", flat=True)) == [
        "李小红", "王大明"]
    events = RecordEvent.objects.filter(kind=EventKind.FAMILY)
    assert sorted(events.values_list("student_id", flat=True)) == [one, two]
    event = events.get(student_id=one)
    assert event.reason == "批量" and event.after["family"][0]["phone"] == "13800000001"
    assert event.before["family"] == updates[0].before


def test_update_families_is_set_based(place):
    def queries(ids, phone):
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            updates = S.update_families([(pk, [{"name": "王大明", "relation": "1", "phone": phone}]) for pk in ids])
        assert len(updates) == len(ids)
        return len(captured.captured_queries)

    small = _create(place, *range(1, 4))
    large = _create(place, *range(10, 50))
    queries(small, "13800000001")  # warm-up (the division sets)
    assert queries(small, "13800000002") == queries(large, "13800000002")


def test_update_families_refuses_all_or_each(place):
    one, two, three = _create(place, 1, 2, 3)
    S.change_status([three], "99", date=timezone.localdate())
    good = [{"name": "王大明", "relation": "1"}]
    bad = [{"name": "王大明", "relation": "99"}]
    before = list(FamilyMember.objects.order_by("pk").values_list("pk", "name"))
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        S.update_families([(one, good), (two, bad)])
    name = Student.objects.get(pk=two).name
    assert any(m.startswith(f"{name}:") and "成员1关系" in m for m in caught.value.messages), caught.value.messages
    assert list(FamilyMember.objects.order_by("pk").values_list("pk", "name")) == before  # all or nothing
    refused: dict[int, list[str]] = {}
    with transaction.atomic():
        updates = S.update_families([(one, good), (two, bad), (three, good)], refused=refused)
    assert [u.student_id for u in updates] == [one]
    assert set(refused) == {two, three} and refused[three] == ["已删除的学籍不能修改"]
    assert any("成员1关系" in m for m in refused[two])
    assert not FamilyMember.objects.filter(student_id=two, relation="99").exists()
    with pytest.raises(ValidationError, match="学籍不存在"), transaction.atomic():
        S.update_families([(987654, good)])
    with pytest.raises(ValidationError, match="不是学籍"), transaction.atomic():
        S.update_families([("abc", good)])
    with pytest.raises(ValidationError, match="学籍不存在"), transaction.atomic():
        S.update_family(None, good)
