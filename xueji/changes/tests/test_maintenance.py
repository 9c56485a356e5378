"""学籍数据维护 pages: scope for every role, direct edits of non-key data (audit before →
after, history row), key data read-only, family, tabs, photo — with bad input."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xueji.audit.models import AuditEntry
from xueji.students import services as S
from xueji.students.models import Award, EventKind, RecordEvent, Student
from xueji.students.tests.conftest import place  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def rec(place):  # noqa: F811
    place.c1.head_teacher = place.world.users.class_teacher
    place.c1.save()
    with transaction.atomic():
        created = S.create_records([place.spec(1), place.spec(2, place.c2), place.spec(3, place.hz)])
    place.mine, place.other_class, place.elsewhere = (Student.objects.get(pk=c.pk) for c in created)
    return place


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(student, tab=""):
    return reverse("changes:record", args=[student.pk]) + (f"?tab={tab}" if tab else "")


READERS = ["school_registrar", "data_checker", "school_leader", "th_registrar", "th_admin", "gz_registrar",
           "gz_admin", "gd_registrar", "gd_admin", "moe_registrar", "moe_admin"]


@pytest.mark.parametrize("who", READERS)
@pytest.mark.parametrize("tab", ["basic", "family", "resume", "award", "punishment", "residence", "history"])
def test_everyone_in_scope_reads_every_tab(rec, who, tab):
    client = _client(getattr(rec.world.users, who))
    response = client.get(_url(rec.mine, tab))
    assert response.status_code == 200
    editable = who in ("school_registrar", "data_checker")
    assert response.context["editable"] is editable
    assert ("只读" in response.content.decode()) is not editable
    assert client.get(reverse("changes:maintenance")).status_code == 200


def test_class_teacher_reads_own_class_only(rec):
    client = _client(rec.world.users.class_teacher)
    response = client.get(_url(rec.mine))
    assert response.status_code == 200 and response.context["editable"] is False
    assert client.get(_url(rec.other_class)).status_code == 404
    names = [s.name for s in client.get(reverse("changes:maintenance")).context["result"].objects]
    assert names == [rec.mine.name]
    assert client.post(_url(rec.mine), {"action": "fields", "phone": "13912345678"}).status_code == 403


@pytest.mark.parametrize("who", ["hz_registrar", "hz_admin", "hz_school_registrar", "gx_admin"])
def test_out_of_scope_is_404_and_audited(rec, who):
    client = _client(getattr(rec.world.users, who))
    target = rec.mine
    for url in (_url(target), reverse("changes:record_photo", args=[target.pk])):
        before = AuditEntry.objects.filter(action="scope.denied").count()
        assert client.get(url).status_code == 404
        assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert client.post(_url(target), {"action": "fields", "phone": "13912345678"}).status_code == 404
    assert Student.objects.get(pk=target.pk).phone == ""


def test_parent_and_anonymous_have_no_access(rec):
    parent = _client(rec.world.users.parent)
    assert parent.get(reverse("changes:maintenance")).status_code == 403
    assert parent.get(_url(rec.mine)).status_code == 403
    assert Client().get(_url(rec.mine)).status_code == 302


def test_registrar_edits_non_key_data_with_audit_and_history(rec):
    client = _client(rec.world.users.school_registrar)
    response = client.post(_url(rec.mine), {"action": "fields", "phone": "13912345678", "health": "20",
                                            "only_child": "否"})
    assert response.status_code == 302
    student = Student.objects.get(pk=rec.mine.pk)
    assert student.phone == "13912345678" and student.health == "20" and student.only_child is False
    entry = AuditEntry.objects.filter(action="changes.record_updated").latest("pk")
    assert entry.before == {"phone": "", "health": "", "only_child": True}
    assert entry.after == {"phone": "13912345678", "health": "20", "only_child": False}
    event = RecordEvent.objects.get(student=student, kind=EventKind.FIELDS)
    assert event.after == entry.after and event.actor_name
    history = client.get(_url(student, "history"))
    assert "字段修改" in history.content.decode() and "20-一般或较弱" in history.content.decode()


def test_data_checker_edits_and_others_may_not(rec):
    assert _client(rec.world.users.data_checker).post(
        _url(rec.mine), {"action": "fields", "phone": "13912345678"}).status_code == 302
    for who in ("school_leader", "th_registrar", "moe_admin"):
        response = _client(getattr(rec.world.users, who)).post(_url(rec.mine), {"action": "fields", "phone": "020-1"})
        assert response.status_code == 403
    assert Student.objects.get(pk=rec.mine.pk).phone == "13912345678"


@pytest.mark.parametrize(("post", "message"), [
    ({"action": "fields", "phone": "13912345678", "name": "改名"}, "姓名是关键数据,不能直接修改,请通过“关键数据变更”办理"),
    ({"action": "fields", "id_number": "440106201701010011"}, "身份证件号是关键数据"),
    ({"action": "fields", "class_code": "2020102"}, "班号是关键数据"),
    ({"action": "fields", "school_code": "3440105001"}, "学校标识码不能直接修改"),
    ({"action": "fields", "ethnicity": "77"}, "民族“77”不是有效的取值"),
    ({"action": "fields", "postcode": "abc"}, "邮政编码"),
    ({"action": "fields", "entry_month": "20251"}, "入学年月"),
    ({"action": "fields", "commute_distance": "1e9"}, "上下学距离"),
    ({"action": "part_add", "kind": "award", "start": "2024-02-30", "name": "三好学生"}, "不是有效日期"),
    ({"action": "part_add", "kind": "nonsense"}, "不是学籍信息的页签"),
    ({"action": "part_remove", "kind": "award", "part": "abc"}, "要删除的记录不存在"),
    ({"action": "part_remove", "kind": "award", "part": "99999999999999999999"}, "要删除的记录不存在"),
    ({"action": "family", "members": "1", "m0-name": "王大明", "m0-relation": "9"}, "关系说明不能为空"),
    ({"action": "family", "members": "abc"}, "至少填写1名家庭成员"),
    ({"action": "photo"}, "请选择照片文件"),
    ({"action": "???"}, "未知的操作"),
])
def test_bad_input_is_refused_with_a_message(rec, post, message):
    before = Student.objects.filter(pk=rec.mine.pk).values().get()
    response = _client(rec.world.users.school_registrar).post(_url(rec.mine), post)
    assert response.status_code == 400
    assert any(message in e for e in response.context["errors"]), response.context["errors"]
    assert Student.objects.filter(pk=rec.mine.pk).values().get() == before


def test_key_fields_are_read_only_with_a_link_when_the_page_exists(rec):
    response = _client(rec.world.users.school_registrar).get(_url(rec.mine))
    items = {i["attr"]: i for g in response.context["groups"] for i in g["items"]}
    assert not items["name"]["edit"] and not items["id_number"]["edit"] and items["phone"]["edit"]
    assert items["gender"]["shown"] in ("1-男", "2-女")
    try:
        expected = reverse("changes:key_change_apply") + f"?student={rec.mine.pk}"
    except Exception:  # noqa: BLE001 - that page is built elsewhere; without it there is no link
        expected = None
    assert response.context["key_change_url"] == expected


def test_family_and_parts(rec):
    client = _client(rec.world.users.school_registrar)
    response = client.post(_url(rec.mine), {"action": "family", "members": "2", "m0-name": "王大明", "m0-relation": "1",
                                            "m0-is_guardian": "是", "m1-name": "", "m1-relation": ""})
    assert response.status_code == 302
    assert list(rec.mine.family.values_list("name", "is_guardian")) == [("王大明", True)]
    assert AuditEntry.objects.filter(action="changes.family_updated").exists()
    assert client.post(_url(rec.mine), {"action": "part_add", "kind": "award", "start": "2024-06-01",
                                        "name": "三好学生"}).status_code == 302
    award = Award.objects.get(student=rec.mine)
    assert "三好学生" in client.get(_url(rec.mine, "award")).content.decode()
    other = Award.objects.create(student=rec.elsewhere, start="2024-01-01", name="别校")
    response = client.post(_url(rec.mine), {"action": "part_remove", "kind": "award", "part": other.pk})
    assert response.status_code == 400 and Award.objects.filter(pk=other.pk).exists()  # not this record's
    assert client.post(_url(rec.mine), {"action": "part_remove", "kind": "award", "part": award.pk}).status_code == 302
    assert not Award.objects.filter(pk=award.pk).exists()


def _png(size=(8, 8)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_photo_upload_is_checked_and_served_only_in_scope(rec, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = _client(rec.world.users.school_registrar)
    photo_url = reverse("changes:record_photo", args=[rec.mine.pk])
    assert client.get(photo_url).status_code == 404  # none yet
    for name, data, message in (("a.jpg", b"\xff\xd8\xff not really a jpeg", "照片只能是JPG或PNG图片"),
                                ("a.png", b"GIF89a....", "照片只能是JPG或PNG图片"),
                                ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024 + 10), "照片不能超过2MB")):
        response = client.post(_url(rec.mine), {"action": "photo", "photo": SimpleUploadedFile(name, data)})
        assert response.status_code == 400 and message in response.context["errors"]
    assert not Student.objects.get(pk=rec.mine.pk).photo
    response = client.post(_url(rec.mine), {"action": "photo", "photo": SimpleUploadedFile("x.gif", _png())})
    assert response.status_code == 302
    stored = Student.objects.get(pk=rec.mine.pk).photo.name
    assert stored.endswith(".png") and "x.gif" not in stored
    served = client.get(photo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == _png()
    assert _client(rec.world.users.class_teacher).get(photo_url).status_code == 200
    assert _client(rec.world.users.hz_registrar).get(photo_url).status_code == 404
    assert AuditEntry.objects.filter(action="changes.photo_updated").exists()


def test_maintenance_list_filters(rec):
    client = _client(rec.world.users.school_registrar)
    S.move_students([rec.other_class.pk], klass=None)
    response = client.get(reverse("changes:maintenance"), {"klass": "none"})
    assert [s.name for s in response.context["result"].objects] == [rec.other_class.name]
    assert "待分班" in response.content.decode()
    response = client.get(reverse("changes:maintenance"), {"klass": rec.c1.pk})
    assert [s.name for s in response.context["result"].objects] == [rec.mine.name]
    for bad in ("abc", str(rec.hz.pk), "99999999999999999999"):
        before = AuditEntry.objects.filter(action="scope.denied").count()
        assert client.get(reverse("changes:maintenance"), {"klass": bad}).status_code == 403
        assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    names = [s.name for s in client.get(reverse("changes:maintenance"), {"q": rec.mine.name}).context["result"].objects]
    assert names == [rec.mine.name]
    S.change_status([rec.mine.pk], "11", reason="因病", date=timezone.localdate())
    for status, expected in (("11", [rec.mine.name]), ("10", [rec.other_class.name]), ("abc", None), ("99", None)):
        names = [s.name for s in client.get(reverse("changes:maintenance"), {"status": status}).context["result"].objects]
        assert names == expected or (expected is None and len(names) == 2)
    number = rec.mine.national_number[-6:]
    names = [s.name for s in client.get(reverse("changes:maintenance"), {"q": number}).context["result"].objects]
    assert names == [rec.mine.name]
    county = _client(rec.world.users.th_registrar)
    response = county.get(reverse("changes:maintenance"))
    assert response.context["result"].page.paginator.count == 2
    assert response.context["classes"] == []  # no nationwide tree: an authority searches or names a class
    response = county.get(reverse("changes:maintenance"), {"klass": rec.c1.pk})
    assert [s.name for s in response.context["result"].objects] == [rec.mine.name]
    assert county.get(reverse("changes:maintenance"), {"klass": rec.hz.pk}).status_code == 403
    # the record page of a pupil waiting for a class
    page = client.get(_url(rec.other_class))
    assert page.status_code == 200 and "待分班" in page.content.decode()


def test_the_api_lists_a_pupil_waiting_for_a_class(rec):
    from xueji.testing import api_client

    S.move_students([rec.mine.pk], klass=None)
    response = api_client(rec.world.users.school_registrar).get("/api/v1/students/")
    assert response.status_code == 200
    rows = {r["national_number"]: r for r in response.json()["results"]}
    assert rows[rec.mine.national_number]["class_code"] is None
    assert rows[rec.other_class.national_number]["class_code"] == rec.c2.code


def test_full_numbers_only_for_editors_and_audited(rec):
    editor = _client(rec.world.users.school_registrar)
    before = AuditEntry.objects.filter(action="personal.viewed").count()
    page = editor.get(_url(rec.mine)).content.decode()
    assert rec.mine.id_number in page and rec.mine.national_number in page
    assert AuditEntry.objects.filter(action="personal.viewed").count() == before + 1
    editor.get(_url(rec.mine, "history"))  # no full numbers there: no entry
    assert AuditEntry.objects.filter(action="personal.viewed").count() == before + 1
    reader = _client(rec.world.users.th_registrar).get(_url(rec.mine)).content.decode()
    assert rec.mine.id_number not in reader and rec.mine.national_number not in reader
    assert AuditEntry.objects.filter(action="personal.viewed").count() == before + 1


EVERY_ROLE = {  # user → (maintenance list, record page, photo) for a record of 天河测试小学's class c1
    "school_registrar": (200, 200, 200), "data_checker": (200, 200, 200), "school_leader": (200, 200, 200),
    "class_teacher": (200, 200, 200), "th_registrar": (200, 200, 200), "th_admin": (200, 200, 200),
    "gz_registrar": (200, 200, 200), "gd_admin": (200, 200, 200), "moe_registrar": (200, 200, 200),
    "moe_admin": (200, 200, 200), "hz_registrar": (200, 404, 404), "hz_school_registrar": (200, 404, 404),
    "gx_admin": (200, 404, 404), "parent": (403, 403, 403),
}


@pytest.mark.parametrize("who", sorted(EVERY_ROLE))
def test_every_role_on_every_url(rec, who, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with transaction.atomic():
        S.set_photo(rec.mine.pk, _png(), ".png")
    client = _client(getattr(rec.world.users, who))
    got = (client.get(reverse("changes:maintenance")).status_code, client.get(_url(rec.mine)).status_code,
           client.get(reverse("changes:record_photo", args=[rec.mine.pk])).status_code)
    assert got == EVERY_ROLE[who]
    for url in (reverse("changes:record", args=[999999999]), reverse("changes:record_photo", args=[999999999])):
        assert client.get(url).status_code in (403, 404)


def test_placing_pupils_waiting_for_a_class(rec):
    S.move_students([rec.mine.pk, rec.other_class.pk], klass=None)
    client = _client(rec.world.users.school_registrar)
    url = reverse("changes:maintenance") + "?klass=none"
    assert client.get(url).context["placing"] is True
    response = client.post(url, {"student": [rec.mine.pk, rec.other_class.pk], "to_klass": rec.c2.pk})
    assert response.status_code == 302
    assert set(Student.objects.filter(pk__in=[rec.mine.pk, rec.other_class.pk]).values_list("klass", flat=True)) == {
        rec.c2.pk}
    assert AuditEntry.objects.filter(action="changes.students_placed").exists()
    assert RecordEvent.objects.filter(kind=EventKind.PLACEMENT, student=rec.mine).exists()
    # another school's pupil or class, a bad id, nobody chosen, a reader: refused, nothing moves
    denied = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.post(url, {"student": [rec.elsewhere.pk], "to_klass": rec.c1.pk}).status_code == 302
    assert Student.objects.get(pk=rec.elsewhere.pk).klass_id == rec.hz.pk
    assert client.post(url, {"student": ["abc"], "to_klass": rec.c1.pk}).status_code == 302
    assert client.post(url, {"student": [rec.mine.pk], "to_klass": rec.hz.pk}).status_code == 403
    assert AuditEntry.objects.filter(action="scope.denied").count() == denied + 3
    assert "请选择要分班的学生" in client.post(url, {"to_klass": rec.c1.pk}, follow=True).content.decode()
    for who in ("data_checker", "th_registrar"):
        assert _client(getattr(rec.world.users, who)).post(url, {"student": [rec.mine.pk],
                                                                 "to_klass": rec.c1.pk}).status_code == 403
    assert Student.objects.get(pk=rec.mine.pk).klass_id == rec.c2.pk
