"""非关键信息批量修改 (F-44): export after the second account, edit, import back as a job —
untouched rows stay untouched, non-key edits applied with history and one audit entry,
key cells refused for their row, failing rows with reasons, header tolerance, scope and
bad input."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from xueji.audit.models import AuditEntry
from xueji.changes import batch_edit
from xueji.changes import batch_edit_rules as rules
from xueji.jobs.models import Job
from xueji.students import services as S
from xueji.students.models import EventKind, FamilyMember, RecordEvent, Student
from xueji.students.tests.conftest import place  # noqa: F401 - the fixture
from xueji.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def rec(place):  # noqa: F811
    with transaction.atomic():
        created = S.create_records([place.spec(1), place.spec(2), place.spec(3, place.c2), place.spec(4, place.hz)])
    place.a, place.b, place.c, place.elsewhere = (Student.objects.get(pk=c.pk) for c in created)
    return place


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _export(rec, ids) -> list[list]:
    content = batch_edit.export_workbook(ids)
    sheet = load_workbook(io.BytesIO(content))[batch_edit.DATA_SHEET]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _sheet(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = batch_edit.DATA_SHEET
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _set(rows, number, header, value):
    column = rows[0].index(header)
    for row in rows[1:]:
        if row[0] == number:
            row[column] = value
            return
    raise AssertionError(number)


def _apply(rec, rows, user=None):
    return batch_edit.apply_sheet(rec.world.th_school, user or rec.world.users.school_registrar,
                                  io.BytesIO(_sheet(rows)), filename="修改.xlsx")


def test_export_round_trip_changes_nothing(rec):
    rows = _export(rec, [rec.a.pk, rec.b.pk, rec.c.pk])
    assert rows[0][:3] == ["全国学籍号", "学校标识码", "姓名"]
    assert len(rows) == 4 and {r[0] for r in rows[1:]} == {rec.a.national_number, rec.b.national_number,
                                                         rec.c.national_number}
    assert rec.a.id_number in {c for r in rows for c in r}  # full numbers: the export is F-14 guarded
    before = RecordEvent.objects.count()
    result = _apply(rec, rows)
    assert result["changed"] == 0 and result["failed_count"] == 0 and result["unchanged"] == 3
    assert RecordEvent.objects.count() == before


def test_non_key_edit_applied_with_history_and_one_audit_entry(rec):
    rows = _export(rec, [rec.a.pk, rec.b.pk])
    _set(rows, rec.a.national_number, "上下学距离", "3.2")
    _set(rows, rec.b.national_number, "是否独生子女", "否")
    _set(rows, rec.b.national_number, "成员1联系电话", "13800000001")
    result = _apply(rec, rows)
    assert result["changed"] == 2 and result["failed_count"] == 0
    rec.a.refresh_from_db()
    rec.b.refresh_from_db()
    assert str(rec.a.commute_distance) == "3.2"
    assert rec.b.only_child is False
    assert FamilyMember.objects.get(student=rec.b, seq=1).phone == "13800000001"
    assert RecordEvent.objects.filter(student=rec.a, kind=EventKind.FIELDS).exists()
    entry = AuditEntry.objects.filter(action="changes.batch_edited").get()
    assert "修改2人" in entry.summary
    assert any(v.get("commute_distance") == "3.2" for v in entry.after.values() if isinstance(v, dict))


@pytest.mark.parametrize("header, value", [("姓名", "王改名"), ("性别", "1-男"), ("出生日期", "20100101"),
                                           ("身份证件号", "440106201001010011"), ("班号", "2020102")])
def test_a_key_cell_changed_refuses_its_row_only(rec, header, value):
    rows = _export(rec, [rec.a.pk, rec.b.pk])
    current = rows[1][rows[0].index(header)] if rows[1][0] == rec.a.national_number else None
    if header == "性别":
        value = "1-男" if str(current).startswith("2") else "2-女"
    _set(rows, rec.a.national_number, header, value)
    _set(rows, rec.a.national_number, "上下学距离", "9")
    _set(rows, rec.b.national_number, "上下学距离", "4")
    result = _apply(rec, rows)
    assert result["changed"] == 1 and result["failed_count"] == 1
    failure = result["failures"][0]
    assert "关键数据" in failure["messages"][0] and "关键数据变更" in failure["messages"][0]
    rec.a.refresh_from_db()
    assert str(rec.a.commute_distance) == "1.5"


def test_a_key_cell_in_another_spelling_is_no_change(rec):
    rows = _export(rec, [rec.a.pk])
    gender = rows[1][rows[0].index("性别")]
    _set(rows, rec.a.national_number, "性别", gender.split("-")[1])  # "男" for "1-男"
    _set(rows, rec.a.national_number, "姓名", "")  # emptied: untouched
    _set(rows, rec.a.national_number, "上下学距离", "2")
    result = _apply(rec, rows)
    assert result["failed_count"] == 0 and result["changed"] == 1


def test_field_rules_of_registration_refuse_bad_values(rec):
    rows = _export(rec, [rec.a.pk, rec.b.pk, rec.c.pk])
    _set(rows, rec.a.national_number, "民族", "99-火星族")
    _set(rows, rec.b.national_number, "成员1联系电话", "12ab")
    _set(rows, rec.c.national_number, "上下学距离", "5")
    result = _apply(rec, rows)
    assert result["changed"] == 1 and result["failed_count"] == 2
    reasons = " ".join(m for f in result["failures"] for m in f["messages"])
    assert "民族" in reasons and "联系电话" in reasons
    rec.a.refresh_from_db()
    assert rec.a.ethnicity == "01"


def test_unknown_duplicate_and_other_school_numbers(rec):
    rows = _export(rec, [rec.a.pk])
    rows.append(list(rows[1]))  # the same number twice
    other = list(rows[1])
    other[0] = rec.elsewhere.national_number  # another school's pupil
    rows.append(other)
    blank = list(rows[1])
    blank[0] = ""
    rows.append(blank)
    result = _apply(rec, rows)
    messages = {f["row"]: " ".join(f["messages"]) for f in result["failures"]}
    assert "重复" in messages[3] and "不是本校在校学生" in messages[4] and "不能为空" in messages[5]
    assert result["changed"] == 0


def test_header_tolerance_and_column_order(rec):
    rows = _export(rec, [rec.a.pk])
    order = list(reversed(range(len(rows[0]))))
    rows = [[row[i] for i in order] for row in rows]
    rows[0] = [f" *{h}" if h == "上下学距离" else h for h in rows[0]]
    column = rows[0].index(" *上下学距离")
    rows[1][column] = "7"
    result = _apply(rec, rows)
    assert result["changed"] == 1
    rec.a.refresh_from_db()
    assert str(rec.a.commute_distance) == "7.0"


def test_a_family_refused_when_written_leaves_its_whole_row_unwritten(rec):
    """The families' rules ran at planning; should the writer still refuse one (the record
    changed meanwhile), that row's other changes are undone too and it is reported."""
    plans = {
        rec.a.pk: (2, rules.RowPlan(changes={"commute_distance": "9"}, family=[{"name": "王大明", "relation": "99"}])),
        rec.b.pk: (3, rules.RowPlan(changes={"commute_distance": "4"}, family=[{"name": "李小红", "relation": "2"}])),
    }
    failures: dict[int, list[str]] = {}
    with transaction.atomic():
        updates, families = batch_edit._write(plans, failures, rec.world.users.school_registrar, S.rules_context())
    assert [u.student_id for u in updates] == [rec.b.pk] and list(families) == [rec.b.pk]
    assert list(failures) == [2] and "成员1关系" in failures[2][0]
    rec.a.refresh_from_db()
    rec.b.refresh_from_db()
    assert str(rec.a.commute_distance) == "1.5" and str(rec.b.commute_distance) == "4.0"
    assert not RecordEvent.objects.filter(student=rec.a, kind__in=[EventKind.FIELDS, EventKind.FAMILY]).exists()
    assert list(FamilyMember.objects.filter(student=rec.b).values_list("name", flat=True)) == ["李小红"]


def test_plan_row_is_pure_and_ignores_untouched():
    exported = {"姓名": "张三", "上下学距离": "1.5"}
    assert rules.touched(exported, {"全国学籍号": "G1", "姓名": "张三", "上下学距离": 1.5}) == []
    assert rules.touched(exported, {"上下学距离": "2", "籍贯": None}) == ["上下学距离"]
    assert rules.cell_text(13800000001.0) == "13800000001"


# --- the pages and jobs ------------------------------------------------------------------------

def test_page_scope_for_every_role(rec):
    url = reverse("changes:batch_edit")
    assert _client(rec.world.users.school_registrar).get(url).status_code == 200
    for who in ("school_leader", "class_teacher", "data_checker", "th_registrar", "gd_admin", "moe_registrar",
                "parent"):
        assert _client(getattr(rec.world.users, who)).get(url).status_code == 403, who


def test_other_schools_class_is_refused_and_audited(rec):
    client = _client(rec.world.users.school_registrar)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(reverse("changes:batch_edit") + f"?klass={rec.hz.pk}").status_code == 403
    assert client.get(reverse("changes:batch_edit") + "?klass=abc").status_code == 403
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 2
    response = client.post(reverse("changes:batch_edit_export"), {"student": [rec.a.pk, rec.elsewhere.pk]})
    assert response.status_code == 302
    assert not Job.objects.exists()
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 3


def test_export_job_needs_the_second_account(rec):
    client = _client(rec.world.users.school_registrar)
    url = reverse("changes:batch_edit_export")
    response = client.post(url, {"klass": rec.c1.pk, "all": "1"})
    assert response.status_code == 200 and "将导出2名学生" in response.content.decode()
    whole = client.post(url, {"all": "1"})
    assert whole.status_code == 200 and "将导出3名学生" in whole.content.decode()
    nothing = client.post(url, {"klass": rec.c1.pk}, follow=True)
    assert "请勾选要导出的学生" in nothing.content.decode() and not Job.objects.exists()
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.post(url, {"klass": rec.hz.pk, "all": "1"}).status_code == 302
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    refused = client.post(url, {"student": [rec.a.pk], "step": "verify", "second_username": "sch_leader",
                                "second_password": "wrong"})
    assert refused.status_code == 200 and not Job.objects.exists()
    done = client.post(url, {"student": [rec.a.pk, rec.b.pk], "step": "verify", "second_username": "sch_leader",
                             "second_password": PASSWORD})
    job = Job.objects.get()
    assert done.status_code == 302 and job.status == "done"
    sheet = load_workbook(io.BytesIO(job.output_file.read()))[batch_edit.DATA_SHEET]
    assert sheet.max_row == 3
    entry = AuditEntry.objects.get(action="changes.batch_edit_exported")
    assert "sch_leader" in entry.summary and "sch_registrar" in entry.summary


def test_export_escapes_formula_cells(rec):
    with transaction.atomic():
        S.update_records([(rec.a.pk, {"current_address": "=HYPERLINK(\"http://x\")"})])
    rows = _export(rec, [rec.a.pk])
    cell = rows[1][rows[0].index("现住址")]
    assert cell.startswith("'=")


def test_import_job_through_the_page(rec):
    rows = _export(rec, [rec.a.pk])
    _set(rows, rec.a.national_number, "上下学距离", "6")
    client = _client(rec.world.users.school_registrar)
    response = client.post(reverse("changes:batch_edit_import"),
                           {"file": SimpleUploadedFile("改.xlsx", _sheet(rows))})
    job = Job.objects.get(kind=batch_edit.IMPORT_JOB)
    assert response.status_code == 302 and job.status == "done", job.message
    assert job.result["changed"] == 1
    page = client.get(reverse("changes:batch_edit") + f"?job={job.pk}")
    assert "修改1人" in page.content.decode()
    other = _client(rec.world.users.hz_school_registrar)
    assert other.get(reverse("changes:batch_edit") + f"?job={job.pk}").status_code == 404
    assert client.get(reverse("changes:batch_edit") + "?job=x").status_code == 404


@pytest.mark.parametrize("name, content, reason", [
    ("a.xlsx", b"not a workbook", "Excel"), ("a.txt", b"x", "Excel"), ("a.xlsx", b"", "Excel"),
])
def test_fake_or_empty_files_are_refused(rec, name, content, reason):
    client = _client(rec.world.users.school_registrar)
    response = client.post(reverse("changes:batch_edit_import"), {"file": SimpleUploadedFile(name, content)},
                           follow=True)
    assert response.status_code == 200
    job = Job.objects.filter(kind=batch_edit.IMPORT_JOB).first()
    if job is None:  # refused by the form at once
        assert reason in response.content.decode()
    else:  # found out by the job, which fails with the reason and wrote nothing
        assert job.status == "failed" and reason in job.message, job.message
        assert not AuditEntry.objects.filter(action="changes.batch_edited").exists()


def test_a_sheet_without_the_number_column_fails_the_job_in_chinese(rec):
    rows = _export(rec, [rec.a.pk])
    rows = [row[1:] for row in rows]
    result = _apply(rec, rows)
    assert result["failed_count"] == 1 and "全国学籍号" in result["failures"][0]["messages"][0]
