"""导出Excel and 导出照片 of 综合查询: F-14 (a second account of the unit, audited with both
names), the job path, formula cells escaped, whole ID numbers only in the verified export,
who may export, and the photo zip named by 全国学籍号."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from openpyxl import load_workbook

from xueji.accounts.models import Role
from xueji.audit.models import AuditEntry
from xueji.jobs.models import Job
from xueji.testing import PASSWORD, make_user

from .conftest import add_student

pytestmark = pytest.mark.django_db

EXPORT = reverse("reports:students_export")
SEARCH_EXPORT = reverse("reports:student_search_export")
PHOTOS = reverse("reports:students_photos")


def _verify(client, url, data=None, query=""):
    response = client.post(url + query, data or {})
    assert response.status_code == 200, response
    page = response.content.decode()
    assert 'data-testid="second-account"' in page
    assert not Job.objects.exists()  # nothing started before the second account
    return page


def _export(client, url, second, data=None, query=""):
    _verify(client, url, data, query)
    response = client.post(url + query, {**(data or {}), "step": "verify", "second_username": second,
                                         "second_password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/jobs/"), response
    job = Job.objects.get()
    assert job.status == "done", (job.status, job.message if hasattr(job, "message") else "")
    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    return job, b"".join(download.streaming_content) if download.streaming else download.content


def _rows(content):
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def test_export_needs_a_second_account_and_names_both(client, q):
    client.force_login(q.users.school_registrar)
    job, content = _export(client, EXPORT, "sch_leader")
    header, rows = _rows(content)
    assert header[:2] == ["姓名", "全国学籍号"]
    names = {r["姓名"] for r in rows}
    assert names == {s.name for s in q.in_school if s.school_id == q.world.th_school.pk}
    one = next(r for r in rows if r["姓名"] == "张一")
    # the verified export has the whole numbers, codes with names, dates YYYY-MM-DD
    assert one["身份证件号"] == q.a1.id_number and one["全国学籍号"] == q.a1.national_number
    assert one["性别"] == "1-男" and one["出生日期"] == q.a1.birth_date.isoformat()
    exported = AuditEntry.objects.get(action="reports.exported")
    assert "sch_registrar" in exported.summary and "sch_leader" in exported.summary
    assert exported.after["second_username"] == "sch_leader" and exported.after["count"] == len(rows)
    assert AuditEntry.objects.filter(action="export.second_account_verified").exists()
    assert job.params["second_username"] == "sch_leader"


@pytest.mark.parametrize("second,password", [
    ("", ""), ("sch_leader", "wrong"), ("sch_registrar", PASSWORD), ("hz_sch_registrar", PASSWORD),
    ("nobody", PASSWORD),
])
def test_export_refused_without_a_valid_second_account(client, q, second, password):
    client.force_login(q.users.school_registrar)
    _verify(client, EXPORT)
    response = client.post(EXPORT, {"step": "verify", "second_username": second, "second_password": password})
    assert response.status_code == 200 and 'data-testid="second-account-refused"' in response.content.decode()
    assert not Job.objects.exists() and not AuditEntry.objects.filter(action="reports.exported").exists()
    assert AuditEntry.objects.filter(action="export.second_account_failed").exists()


def test_export_escapes_formula_cells(client, q):
    add_student(q.th_c, name="=HYPERLINK(\"http://x\",\"点我\")", home_address="+1+1", phone="-2+3")
    client.force_login(q.users.school_registrar)
    client.post(reverse("reports:students"), {"action": "columns", "col": ["home_address", "phone"]})
    _job, content = _export(client, EXPORT, "sch_leader", query="?name=%3DHYPERLINK")
    _header, rows = _rows(content)
    assert len(rows) == 1
    assert rows[0]["姓名"] == "'=HYPERLINK(\"http://x\",\"点我\")"
    assert rows[0]["家庭地址"] == "'+1+1" and rows[0]["联系电话"] == "'-2+3"


def test_export_follows_the_conditions_and_the_selection(client, q):
    client.force_login(q.users.school_registrar)
    _job, content = _export(client, EXPORT, "sch_leader", query=f"?klass={q.th_b.pk}")
    assert {r["姓名"] for r in _rows(content)[1]} == {"李一", "李休"}
    Job.objects.all().delete()
    _job, content = _export(client, SEARCH_EXPORT, "sch_leader", data={"s": [q.b_deleted.pk, q.a1.pk]})
    assert {r["姓名"] for r in _rows(content)[1]} == {"李删", "张一"}


def test_export_of_a_selection_out_of_scope_is_refused_and_audited(client, q):
    client.force_login(q.users.school_registrar)
    response = client.post(EXPORT, {"s": [q.a1.pk, q.h1.pk]})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="scope.denied").exists() and not Job.objects.exists()
    response = client.post(EXPORT, {"s": ["abc"]})
    assert response.status_code == 302 and not Job.objects.exists()


def test_export_with_an_out_of_scope_filter_is_403(client, q):
    client.force_login(q.users.th_registrar)
    response = client.post(EXPORT + f"?school={q.world.hz_school.code}")
    assert response.status_code == 403 and AuditEntry.objects.filter(action="scope.denied").exists()


def test_class_teacher_exports_their_class(client, q):
    client.force_login(q.users.class_teacher)
    _job, content = _export(client, EXPORT, "sch_registrar")
    assert {r["姓名"] for r in _rows(content)[1]} == {"张一", "张二"}


def test_authority_registrar_exports_with_a_colleague(client, q):
    make_user("th_registrar2", Role.AUTHORITY_REGISTRAR, authority=q.world.tree.tianhe)
    client.force_login(q.users.th_registrar)
    job, content = _export(client, EXPORT, "th_registrar2", query=f"?school={q.world.th_middle.code}")
    assert {r["姓名"] for r in _rows(content)[1]} == {"中一"}
    assert job.authority_id == q.world.tree.tianhe.pk


@pytest.mark.parametrize("who", ["data_checker", "th_admin", "parent"])
def test_who_may_not_export(client, q, who):
    client.force_login(getattr(q.users, who))
    for url in (EXPORT, PHOTOS):
        assert client.post(url).status_code == 403
    if who != "parent":
        assert 'data-testid="export"' not in client.get(reverse("reports:students")).content.decode()


def test_export_urls_only_take_post(client, q):
    client.force_login(q.users.school_registrar)
    assert client.get(EXPORT).status_code == 405


def test_nothing_to_export(client, q):
    client.force_login(q.users.school_registrar)
    response = client.post(EXPORT + "?name=没有这个人", follow=True)
    assert "没有符合条件的学生" in response.content.decode() and not Job.objects.exists()


def test_photo_zip_named_by_national_number(client, q, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for student, data in ((q.a1, b"\xff\xd8photo-a1"), (q.b1, b"\xff\xd8photo-b1")):
        student.photo.save(f"{student.pk}.jpg", ContentFile(data), save=True)
    client.force_login(q.users.school_registrar)
    job, content = _export(client, PHOTOS, "sch_leader")
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert sorted(archive.namelist()) == sorted([f"{q.a1.national_number}.jpg", f"{q.b1.national_number}.jpg"])
    assert archive.read(f"{q.a1.national_number}.jpg") == b"\xff\xd8photo-a1"
    entry = AuditEntry.objects.get(action="reports.photos_exported")
    assert entry.after["count"] == 2 and "sch_leader" in entry.summary
    assert re.search(r"照片\d{8}\.zip$", job.output_name)


def test_the_worker_queries_again_as_the_owner(client, q):
    """A condition out of the owner's scope when the job runs fails the job, saying why
    (e.g. the school moved to another authority after the export was queued)."""
    from xueji.reports import jobs as report_jobs

    second = make_user("th_registrar2", Role.AUTHORITY_REGISTRAR, authority=q.world.tree.tianhe)
    job = report_jobs.submit("excel", q.users.th_registrar, page="students", query={"school": q.world.hz_school.code},
                             ids=None, columns=["name"], sort="", count=1, second=second)
    job.refresh_from_db()
    assert job.status == "failed" and "不在您的数据范围内" in job.message
    assert not AuditEntry.objects.filter(action="reports.exported").exists()


def test_rerun_of_an_export_is_refused(client, q):
    from xueji.reports import jobs as report_jobs

    client.force_login(q.users.school_registrar)
    job, _content = _export(client, EXPORT, "sch_leader")
    Job.objects.filter(pk=job.pk).update(status="failed")
    response = client.post(reverse("jobs:rerun", args=[job.pk]), follow=True)
    assert "重新经本单位另一账号验证" in response.content.decode()
    assert Job.objects.count() == 1
    assert report_jobs.refuse_rerun is not None


def test_family_member_columns_in_the_list_and_the_export(client, q):
    from xueji.students.models import FamilyMember

    FamilyMember.objects.create(student=q.a1, seq=1, name="张父", relation="1", phone="13900139000",
                                id_type="1", id_number=q.a2.id_number, household_code="440106000000",
                                employer="=cmd|' /C calc'!A0")
    client.force_login(q.users.school_registrar)
    client.post(reverse("reports:students"), {"action": "columns", "col": ["m1_name", "m1_relation", "m1_phone",
                                                                           "m1_id_number", "m1_employer",
                                                                           "m1_household_code", "m2_name"]})
    page = client.get(reverse("reports:students"), {"name": "张一"}).content.decode()
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert "成员1姓名" in head and "成员2姓名" in head
    assert "张父" in page and "1-父亲" in page and "139****9000" in page and q.a2.id_number not in page
    assert "440106000000 广东省广州市天河区" in page
    _job, content = _export(client, EXPORT, "sch_leader", query="?name=%E5%BC%A0")
    rows = {r["姓名"]: r for r in _rows(content)[1]}
    assert rows["张一"]["成员1姓名"] == "张父" and rows["张一"]["成员1联系电话"] == "13900139000"
    assert rows["张一"]["成员1身份证件号"] == q.a2.id_number
    assert rows["张一"]["成员1工作单位"] == "'=cmd|' /C calc'!A0"
    assert rows["张一"]["成员1户口所在地行政区划"] == "440106000000 广东省广州市天河区"
    assert rows["张二"]["成员1姓名"] is None and rows["张一"]["成员2姓名"] is None


def test_a_record_waiting_for_a_class_is_listed_and_exported_as_waiting(client, q):
    """调档 leaves a record 待分班 (no class): the lists and the export say 待分班."""
    Student = type(q.a2)
    Student.objects.filter(pk=q.a2.pk).update(klass=None)
    client.force_login(q.users.school_registrar)
    page = client.get(reverse("reports:students"))
    assert page.status_code == 200 and "待分班" in page.content.decode()
    assert client.get(reverse("reports:student_search")).status_code == 200
    _job, content = _export(client, EXPORT, "sch_leader")
    header, rows = _rows(content)
    klass = next(h for h in header if h and "班级" in h)
    assert {r["姓名"]: r[klass] for r in rows}["张二"] == "待分班"
