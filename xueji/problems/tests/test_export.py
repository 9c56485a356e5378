"""导出Excel of the 问题学籍 lists: a job after the second account of the unit (F-14),
the list's rows and conditions, ID numbers masked, formula cells escaped, audited."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from xueji.audit.models import AuditEntry
from xueji.jobs.models import Job
from xueji.students.models import Student
from xueji.testing import PASSWORD

pytestmark = pytest.mark.django_db


def _url(key, query=""):
    return reverse("problems:list_export", args=[key]) + query


def _export(client, key, query="", second="sch_leader"):
    first = client.post(_url(key, query))
    assert first.status_code == 200 and 'data-testid="second-account"' in first.content.decode()
    assert not Job.objects.exists()
    response = client.post(_url(key, query), {"step": "verify", "second_username": second,
                                              "second_password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/jobs/"), response
    job = Job.objects.get()
    assert job.status == "done"
    download = client.get(reverse("jobs:download", args=[job.pk]))
    content = b"".join(download.streaming_content) if download.streaming else download.content
    rows = [list(r) for r in load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)]
    return job, [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def test_export_of_the_handle_list(client, zoo):
    Student.objects.filter(pk=zoo.t2.pk).update(name="=HYPERLINK(\"http://x\")")
    client.force_login(zoo.users.school_registrar)
    job, rows = _export(client, "handle")
    assert len(rows) == 2
    row = next(r for r in rows if r["问题学籍类型"] == "身份证件号重复")
    assert row["学生姓名"] == "'=HYPERLINK(\"http://x\")"  # escaped
    assert row["身份证件号"] != zoo.t2.id_number and "*" in row["身份证件号"]  # masked
    assert row["身份证件号"].startswith(zoo.t2.id_number[:4]) and row["身份证件号"].endswith(zoo.t2.id_number[-4:])
    assert row["等待谁"] == "天河测试小学(处理)" and row["学校标识码"] == "3440106001"
    entry = AuditEntry.objects.get(action="problems.exported")
    assert "sch_registrar" in entry.summary and "sch_leader" in entry.summary and entry.after["count"] == 2
    assert job.params["second_username"] == "sch_leader"


def test_export_follows_the_conditions_and_scope(client, zoo):
    client.force_login(zoo.users.gz_registrar)
    _job, rows = _export(client, "query", "?school=3440105001", second="gz_admin")
    assert [r["学生姓名"] for r in rows] == [zoo.h1.name] and rows[0]["是否超期"] == "是"
    Job.objects.all().delete()
    client.force_login(zoo.users.th_registrar)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.post(_url("query", "?school=3440105001")).status_code == 403
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert not Job.objects.exists()


@pytest.mark.parametrize("second,password", [("", ""), ("sch_leader", "wrong"), ("sch_registrar", PASSWORD),
                                             ("hz_sch_registrar", PASSWORD)])
def test_export_refused_without_a_valid_second_account(client, zoo, second, password):
    client.force_login(zoo.users.school_registrar)
    client.post(_url("handle"))
    response = client.post(_url("handle"), {"step": "verify", "second_username": second, "second_password": password})
    assert response.status_code == 200 and 'data-testid="second-account-refused"' in response.content.decode()
    assert not Job.objects.exists() and not AuditEntry.objects.filter(action="problems.exported").exists()


def test_export_refusals(client, zoo):
    client.force_login(zoo.users.school_registrar)
    assert client.post(_url("nope")).status_code == 403
    assert client.post(_url("review")).status_code == 403  # not the registrar's list
    assert client.get(_url("handle")).status_code == 405
    response = client.post(_url("handle", "?number=abc"))
    assert response.status_code == 302 and not Job.objects.exists()
    response = client.post(_url("handle", "?kind=no_id_duplicate"))  # nothing to export
    assert response.status_code == 302 and not Job.objects.exists()
    client.force_login(zoo.users.parent)
    assert client.post(_url("query")).status_code == 403
