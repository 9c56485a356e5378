"""学籍卡 (F-49): the Word card carries the student's data, family and status history; many
cards are a job after the second-account check (F-14) — a zip with one ``<全国学籍号>.docx``
per student, or one document; scope for every role; bad ids and filters."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import docx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from PIL import Image

from xueji.audit.models import AuditEntry
from xueji.jobs.models import Job
from xueji.students import cards
from xueji.students import services as S
from xueji.students.models import Student
from xueji.testing import PASSWORD, make_user

LIST = "students:record_card_list"
EXPORT = "students:record_card_export"


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


@pytest.fixture
def pupils(place):
    place.c1.head_teacher = place.world.users.class_teacher
    place.c1.save()
    with transaction.atomic():
        created = S.create_records([place.spec(1), place.spec(2), place.spec(3, place.c2), place.spec(4, place.hz)])
    records = [Student.objects.get(pk=c.pk) for c in created]
    S.change_status([records[0]], "11", reason="因病休学", date=dt.date(2026, 3, 2), actor=place.world.users.school_registrar)
    place.records = records
    make_user("sch_registrar2", "school_registrar", school=place.world.th_school)
    return place


def _download(client, student):
    return client.get(reverse("students:record_card_download", args=[student.pk]))


def test_one_card_is_a_word_document_with_the_students_data(client, pupils):
    student = pupils.records[0]
    client.force_login(pupils.world.users.school_registrar)
    response = _download(client, student)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert f"{student.national_number}.docx" in response["Content-Disposition"]
    assert zipfile.ZipFile(io.BytesIO(response.content)).testzip() is None
    text = _text(docx.Document(io.BytesIO(response.content)))
    member = student.family.get()
    for expected in (cards.TITLE, student.name, student.national_number, student.id_number, member.name,
                     "1-男" if student.gender == "1" else "2-女", "01-汉族", "1-居民身份证", "天河测试小学",
                     "学籍变动情况", "在校 → 休学(因病休学)", "2026-03-02", "完成学籍注册", "家庭成员信息",
                     "学生个人辅助信息"):
        assert expected in text, expected
    entry = AuditEntry.objects.filter(action="students.record_card_exported").latest("seq")
    assert entry.actor_username == "sch_registrar" and student.national_number in entry.summary


def test_card_data_takes_a_fixed_number_of_queries(pupils, django_assert_max_num_queries):
    ids = [r.pk for r in pupils.records]
    with django_assert_max_num_queries(6):
        built = cards.card_data(ids)
    assert [c.student_id for c in built] == ids
    assert built[0].history[-1][1] == "在校 → 休学(因病休学)"


def test_the_photo_is_on_the_card(client, pupils, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    picture = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(picture, "PNG")
    path = default_storage.save("photos/2026/p.png", ContentFile(picture.getvalue()))
    student = pupils.records[1]
    Student.objects.filter(pk=student.pk).update(photo=path)
    bad = pupils.records[2]
    Student.objects.filter(pk=bad.pk).update(photo=default_storage.save("photos/2026/fake.png", ContentFile(b"no")))
    client.force_login(pupils.world.users.school_registrar)
    document = docx.Document(io.BytesIO(_download(client, student).content))
    assert len(document.inline_shapes) == 1
    fake = docx.Document(io.BytesIO(_download(client, bad).content))
    assert len(fake.inline_shapes) == 0 and "照片格式不正确" in _text(fake)


def _verify(client, data):
    response = client.post(reverse(EXPORT), data)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="second-account"' in page, page[:300]
    assert not Job.objects.filter(kind="students.record_cards").exists()
    return [int(v) for v in re.findall(r'name="student" value="(\d+)"', page)]


def _exported(client, data, fmt="zip"):
    chosen = _verify(client, {**data, "format": fmt})
    response = client.post(reverse(EXPORT), {"step": "verify", "student": chosen, "format": fmt,
                                             "second_username": "sch_registrar2", "second_password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/jobs/"), response
    download = client.get(response["Location"] + "download/")
    assert download.status_code == 200
    return chosen, b"".join(download.streaming_content)


def test_many_cards_are_a_zip_with_one_document_per_student(client, pupils):
    mine = pupils.records[:3]
    client.force_login(pupils.world.users.school_registrar)
    chosen, content = _exported(client, {"student": [s.pk for s in mine]})
    assert sorted(chosen) == sorted(s.pk for s in mine)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted(f"{s.national_number}.docx" for s in mine)
    for student in mine:
        text = _text(docx.Document(io.BytesIO(archive.read(f"{student.national_number}.docx"))))
        assert student.name in text and student.family.get().name in text
        assert all(other.national_number not in text for other in mine if other != student)
    job = Job.objects.get(kind="students.record_cards")
    assert job.status == "done" and job.params["second_username"] == "sch_registrar2"
    entry = AuditEntry.objects.filter(action="students.record_cards_exported").latest("seq")
    assert "3人" in entry.summary and "sch_registrar2" in entry.summary


def test_a_whole_class_in_one_document_with_page_breaks(client, pupils):
    client.force_login(pupils.world.users.school_registrar)
    chosen, content = _exported(client, {"all": "1", "klass": str(pupils.c1.pk)}, fmt="docx")
    assert sorted(chosen) == sorted(s.pk for s in pupils.records[:2])
    document = docx.Document(io.BytesIO(content))
    assert document.element.body.xml.count('w:type="page"') == 1
    text = _text(document)
    assert all(s.name in text for s in pupils.records[:2]) and pupils.records[2].name not in text


def test_export_refusals(client, pupils):
    client.force_login(pupils.world.users.school_registrar)
    other = pupils.records[3]  # 海珠: another school
    before = AuditEntry.objects.filter(action="scope.denied").count()
    for bad in ([pupils.records[0].pk, other.pk], ["abc"], ["99999999"]):
        response = client.post(reverse(EXPORT), {"student": bad}, follow=True)
        assert "本次操作未执行" in response.content.decode()
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 3
    assert "请选择要导出学籍卡的学生" in client.post(reverse(EXPORT), {}, follow=True).content.decode()
    assert "请先选择年级或班级" in client.post(reverse(EXPORT), {"all": "1"}, follow=True).content.decode()
    # the hidden ids of the verification step are checked again
    response = client.post(reverse(EXPORT), {"step": "verify", "student": [other.pk], "second_username": "sch_registrar2",
                                             "second_password": PASSWORD}, follow=True)
    assert "本次操作未执行" in response.content.decode()
    # a wrong second password starts nothing
    response = client.post(reverse(EXPORT), {"step": "verify", "student": [pupils.records[0].pk],
                                             "second_username": "sch_registrar2", "second_password": "wrong"})
    assert response.status_code == 200 and 'data-testid="second-account-refused"' in response.content.decode()
    assert not Job.objects.filter(kind="students.record_cards").exists()


def test_scope_of_every_role(client, pupils):
    u = pupils.world.users
    mine, in_c2, other = pupils.records[0], pupils.records[2], pupils.records[3]
    for user, sees in ((u.school_registrar, pupils.records[:3]), (u.school_leader, pupils.records[:3]),
                       (u.class_teacher, pupils.records[:2]), (u.hz_school_registrar, [other])):
        client.force_login(user)
        page = client.get(reverse(LIST) + "?size=100").content.decode()
        shown = set(re.findall(r'name="student" value="(\d+)"', page))
        assert shown == {str(s.pk) for s in sees}, user.username
        assert other.id_number not in page and mine.id_number not in page  # masked
    for user in (u.data_checker, u.th_registrar, u.th_admin, u.gz_registrar, u.gz_admin, u.gd_registrar, u.gd_admin,
                 u.moe_registrar, u.moe_admin, u.parent):
        client.force_login(user)
        assert client.get(reverse(LIST)).status_code == 403, user.username
        assert _download(client, mine).status_code == 403, user.username
        assert client.post(reverse(EXPORT), {"student": [mine.pk]}).status_code == 403, user.username
    # out of scope: 404 + audit
    client.force_login(u.class_teacher)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert _download(client, in_c2).status_code == 404
    client.force_login(u.school_registrar)
    assert _download(client, other).status_code == 404
    assert client.get("/students/record-cards/abc/").status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 2


def test_filters(client, pupils):
    client.force_login(pupils.world.users.school_registrar)
    page = client.get(reverse(LIST), {"klass": pupils.c2.pk}).content.decode()
    assert set(re.findall(r'name="student" value="(\d+)"', page)) == {str(pupils.records[2].pk)}
    page = client.get(reverse(LIST), {"grade": pupils.g2020.pk, "q": pupils.records[1].name}).content.decode()
    assert set(re.findall(r'name="student" value="(\d+)"', page)) == {str(pupils.records[1].pk)}
    before = AuditEntry.objects.filter(action="scope.denied").count()
    for bad in ({"klass": pupils.hz.pk}, {"grade": "x"}, {"klass": "1' or 1=1"}, {"grade": pupils.hz.grade_id}):
        assert client.get(reverse(LIST), bad).status_code == 403, bad
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 4
    assert client.get(reverse(LIST), {"page": "x", "size": "y", "sort": "password"}).status_code == 200


def test_deleted_records_have_no_card(client, pupils):
    S.change_status([pupils.records[1]], "99", reason="误操作", date=dt.date(2026, 3, 3))
    client.force_login(pupils.world.users.school_registrar)
    assert _download(client, pupils.records[1]).status_code == 404


def _plain_card(i: int, name: str) -> cards.Card:
    return cards.Card(student_id=i, national_number=f"L44010620170101{i:04d}"[:19], name=name, school_name="天河测试小学",
                      school_code="3440106001", head=[("姓名", name)], groups=[("学生个人辅助信息", [("特长", "绘画")])],
                      family=[("1-父亲", "张大山", "是", "13800138000", "1-居民身份证", "", "")],
                      history=[("2026-03-02", "在校 → 休学", "天河测试小学")])


def test_cards_built_in_two_threads_at_once_stay_apart():
    """The blank document is per thread: two threads rendering at the same moment each get
    their own cards (a threaded server)."""
    import threading

    results: dict[int, list[str]] = {}

    def render(t: int) -> None:
        results[t] = [_text(docx.Document(io.BytesIO(cards.docx_of([_plain_card(t * 100 + i, f"学生{t}-{i}")]))))
                      for i in range(15)]

    threads = [threading.Thread(target=render, args=(t,)) for t in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for t in (1, 2):
        for i, text in enumerate(results[t]):
            assert f"学生{t}-{i}" in text and f"学生{3 - t}-" not in text


def test_characters_xml_does_not_allow_are_dropped():
    content = cards.docx_of([_plain_card(1, "张\x01三\x0b<&>")])
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    assert "张三<&>" in _text(docx.Document(io.BytesIO(content)))


def test_the_card_page_masks_and_prints(client, pupils):
    student = pupils.records[0]
    member = student.family.get()
    client.force_login(pupils.world.users.class_teacher)
    page = client.get(reverse("students:record_card_detail", args=[student.pk])).content.decode()
    assert student.name in page and member.name in page and "在校 → 休学(因病休学)" in page
    assert student.id_number not in page and student.id_number[-4:] in page
    assert reverse("students:record_card_download", args=[student.pk]) in page
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(reverse("students:record_card_detail", args=[pupils.records[2].pk])).status_code == 404
    assert client.get("/students/record-cards/x/view/").status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    client.force_login(pupils.world.users.th_registrar)
    assert client.get(reverse("students:record_card_detail", args=[student.pk])).status_code == 403


def test_a_transferred_record_waiting_for_a_class(pupils):
    """A record moved to another school (as 省内转学 moves it: 在校→转出 at the old school,
    转出→在校 at the new one, 待分班): the card names the school it was registered at, both
    status changes with their schools, and its class as 待分班."""
    student = pupils.records[1]
    user = pupils.world.users.school_registrar
    with transaction.atomic():
        S.change_status([student.pk], "12", reason="转出至海珠测试小学", date=dt.date(2026, 11, 2), actor=user)
        S.move_students([student.pk], school=pupils.world.hz_school, grade=pupils.hz.grade, klass=None, actor=user)
        S.change_status([student.pk], "10", reason="由天河测试小学转入", date=dt.date(2026, 11, 2), actor=user)
    (card,) = cards.card_data([student.pk])
    assert card.history[0][1:] == ("在天河测试小学完成学籍注册", "天河测试小学")
    assert [(t, school) for _, t, school in card.history[1:]] == [
        ("在校 → 转出(转出至海珠测试小学)", "天河测试小学"), ("转出 → 在校(由天河测试小学转入)", "海珠测试小学")]
    assert ("所在班级", "待分班") in card.head, card.head
    text = _text(docx.Document(io.BytesIO(cards.docx_of([card]))))
    assert "待分班" in text and "由天河测试小学转入" in text


def test_the_card_opens_in_libreoffice(client, pupils, tmp_path):
    """学籍卡 opens in an office suite, not only in python-docx: LibreOffice Writer (installed
    by scripts/ensure-chromium) reads the document and finds the student's data in it."""
    import os
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("XUEJI_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail("XUEJI_REQUIRE_BROWSER=1 but soffice (LibreOffice) is missing: run scripts/ensure-chromium")
        pytest.skip("soffice (LibreOffice) is not installed: scripts/ensure-chromium installs it")
    student = pupils.records[0]
    client.force_login(pupils.world.users.school_registrar)
    source = tmp_path / f"{student.national_number}.docx"
    source.write_bytes(_download(client, student).content)
    profile = tmp_path / "profile"  # a throwaway LibreOffice profile: parallel runs don't share one
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "txt:Text",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    text = (tmp_path / f"{student.national_number}.txt").read_text(encoding="utf-8-sig")
    for expected in (cards.TITLE, student.name, student.national_number, "学籍变动情况", "天河测试小学"):
        assert expected in text, expected
