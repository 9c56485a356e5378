"""毕业去向 by Excel (template through the second account, import with per-row errors,
set-based write with one audit entry), 导出招生Excel (the admission import's five columns
first, masked ID numbers, formula cells escaped, scope), and the province's 毕业设置 page."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from xueji.audit.models import AuditEntry
from xueji.graduation import services, sheets
from xueji.graduation.models import Graduate, GraduationSettings
from xueji.jobs.models import Job, JobStatus
from xueji.testing import PASSWORD, make_user
from xueji.workflow import batches


@pytest.fixture
def graduated(grad):
    """The final grade of 天河测试小学 graduated (5 pupils), and one of 海珠测试小学."""
    for school_user, students, approvers in (
            (grad.users.school_registrar, grad.class_one + grad.class_two,
             (grad.users.school_leader, grad.users.th_registrar)),
            (grad.users.hz_school_registrar, [grad.hz_pupil], None)):
        if approvers is None:
            continue
        batch = services.start_graduation(school_user, kind="20", date=grad.today, by="students",
                                          student_ids=[s.pk for s in students])
        for approver in approvers:
            batches.decide_batch(batch, approver, True)
        services.execute_graduation(school_user, batch)
    grad.second = make_user("sch_registrar2", "school_registrar", school=grad.school)
    return grad


def _book(rows, headers=sheets.DESTINATION_HEADERS) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cells(content) -> list[list]:
    return [[c.value for c in row] for row in load_workbook(io.BytesIO(content)).active.iter_rows()]


def _export(client, what, second="sch_registrar2", **conditions):
    data = {"what": what, **conditions}
    page = client.post(reverse("graduation:export"), data)
    assert page.status_code == 200 and "另一账号" in page.content.decode()
    return client.post(reverse("graduation:export"), {**data, "step": "verify", "second_username": second,
                                                      "second_password": PASSWORD})


def test_destination_template_through_the_second_account(client, graduated):
    g = Graduate.objects.filter(school=graduated.school).first()
    services.set_destination(graduated.users.school_registrar, g, "01", "=cmd|' /C calc'!A0")
    client.force_login(graduated.users.school_registrar)
    response = _export(client, "destinations", second="nobody")
    assert response.status_code == 200 and not Job.objects.filter(kind=sheets.EXPORT_JOB).exists()
    response = _export(client, "destinations")
    job = Job.objects.get(kind=sheets.EXPORT_JOB)
    assert response.status_code == 302 and job.status == JobStatus.DONE
    with job.output_file.open("rb") as handle:
        rows = _cells(handle.read())
    assert rows[0] == list(sheets.DESTINATION_HEADERS) and len(rows) == 6
    assert [g.student.national_number, g.student.name, "01-升学", "'=cmd|' /C calc'!A0"] in rows
    assert all(r[0] != graduated.hz_pupil.national_number for r in rows)
    entry = AuditEntry.objects.get(action="graduation.destinations_exported")
    assert "sch_registrar2" in entry.summary
    # the leader and the authority do not get the template; nor other roles the export
    client.force_login(graduated.users.school_leader)
    assert client.post(reverse("graduation:export"), {"what": "destinations"}).status_code == 403
    client.force_login(graduated.users.class_teacher)
    assert client.post(reverse("graduation:export"), {"what": "admission"}).status_code == 403


def test_destination_import_writes_passing_rows_and_names_each_failure(client, graduated):
    pupils = graduated.class_one + graduated.class_two
    other = graduated.young_pupil
    rows = [
        (pupils[0].national_number, pupils[0].name, "01-升学", "市一中"),        # 2 ok
        (pupils[1].national_number, pupils[1].name, "就业", ""),               # 3 ok by name
        (pupils[2].national_number, "别人", "01", ""),                         # 4 name mismatch
        (pupils[3].national_number, pupils[3].name, "77", ""),                 # 5 unknown code
        (graduated.hz_pupil.national_number, graduated.hz_pupil.name, "01", ""),  # 6 not a graduate here
        (other.national_number, other.name, "01", ""),                         # 7 not a graduate
        ("G440106200001019999", "无此人", "01", ""),                            # 8 unknown number
        (pupils[4].national_number, pupils[4].name, "", ""),                   # 9 empty destination
        ("", pupils[4].name, "01", ""),                                        # 10 empty number
        (pupils[0].national_number, pupils[0].name, "02", ""),                 # 11 repeated
        (pupils[4].national_number, pupils[4].name, "99", "长" * 101),         # 12 note too long
    ]
    client.force_login(graduated.users.school_registrar)
    response = client.post(reverse("graduation:destinations_import"),
                           {"file": SimpleUploadedFile("去向.xlsx", _book(rows))})
    job = Job.objects.get(kind=sheets.IMPORT_JOB)
    assert response.status_code == 302 and job.status == JobStatus.DONE
    result = job.result
    assert (result["changed"], result["failed_count"]) == (2, 9)
    reasons = {f["row"]: ";".join(f["messages"]) for f in result["failures"]}
    assert "与全国学籍号不符" in reasons[4] and "不是有效的代码" in reasons[5]
    assert "不是本校的毕业生" in reasons[6] and "不是本校的毕业生" in reasons[7] and "不存在" in reasons[8]
    assert "毕业去向不能为空" in reasons[9] and "全国学籍号不能为空" in reasons[10]
    assert "与第2行重复" in reasons[11] and "不能超过100个字" in reasons[12]
    first = Graduate.objects.get(student=pupils[0])
    assert (first.destination, first.destination_note) == ("01", "市一中")
    assert Graduate.objects.get(student=pupils[1]).destination == "10"
    assert Graduate.objects.get(student=pupils[2]).destination == ""
    entry = AuditEntry.objects.get(action="graduation.destinations_imported")
    assert len(entry.after) == 2 and pupils[0].national_number not in str(entry.after)
    page = client.get(reverse("graduation:graduates") + f"?job={job.pk}").content.decode()
    assert "未通过9行" in page and "不是有效的代码" in page
    # the same sheet again changes nothing and writes no new audit entry
    client.post(reverse("graduation:destinations_import"), {"file": SimpleUploadedFile("去向.xlsx", _book(rows[:2]))})
    assert Job.objects.filter(kind=sheets.IMPORT_JOB).latest("id").result["changed"] == 0
    assert AuditEntry.objects.filter(action="graduation.destinations_imported").count() == 1
    # another school's registrar neither reads the result nor imports for this school
    client.force_login(graduated.users.hz_school_registrar)
    assert client.get(reverse("graduation:graduates") + f"?job={job.pk}").status_code == 404
    assert client.get(reverse("graduation:graduates") + "?job=x").status_code == 404
    client.force_login(graduated.users.school_leader)
    assert client.post(reverse("graduation:destinations_import"), {}).status_code == 403


def test_fake_and_oversized_destination_files(client, graduated, settings):
    client.force_login(graduated.users.school_registrar)
    page = client.post(reverse("graduation:destinations_import"), {"file": SimpleUploadedFile("a.csv", b"a,b")},
                       follow=True)
    assert "只能导入Excel文件" in page.content.decode()
    client.post(reverse("graduation:destinations_import"), {"file": SimpleUploadedFile("a.xlsx", b"not a zip")})
    job = Job.objects.get(kind=sheets.IMPORT_JOB)
    assert job.status == JobStatus.FAILED and "Excel" in job.message
    settings.XUEJI_IMPORT_MAX_ROWS = 2
    rows = [(p.national_number, p.name, "01", "") for p in graduated.class_one]
    page = client.post(reverse("graduation:destinations_import"), {"file": SimpleUploadedFile("b.xlsx", _book(rows))},
                       follow=True)
    assert "超过" in page.content.decode() and Job.objects.filter(kind=sheets.IMPORT_JOB).count() == 1
    assert not Graduate.objects.exclude(destination="").exists()


def test_admission_export_columns_scope_and_masking(client, graduated):
    pupil = graduated.class_one[0]
    client.force_login(graduated.users.th_registrar)
    th_second = make_user("th_registrar2", "authority_registrar", authority=graduated.users.th_registrar.authority)
    response = _export(client, "admission", second=th_second.username, year=str(graduated.today.year), stage="1")
    job = Job.objects.get(kind=sheets.EXPORT_JOB)
    assert response.status_code == 302 and job.status == JobStatus.DONE
    with job.output_file.open("rb") as handle:
        rows = _cells(handle.read())
    assert tuple(rows[0][:5]) == ("全国学籍号", "姓名", "毕业学校标识码", "录取学校标识码", "教育阶段")
    assert tuple(rows[0][5:]) == sheets.ADMISSION_EXTRA
    mine = next(r for r in rows if r[0] == pupil.national_number)
    assert mine[:5] == [pupil.national_number, pupil.name, graduated.school.code, None, "2-初中"]
    assert mine[5] in ("1-男", "2-女") and mine[7] == str(graduated.today.year)
    assert pupil.id_number and mine[8] != pupil.id_number and "*" in mine[8]
    assert len(rows) == 6  # the county's five graduates, not 海珠's
    assert AuditEntry.objects.filter(action="graduation.admission_export").exists()
    # nothing to export: refused before the second account
    page = client.post(reverse("graduation:export"), {"what": "admission", "stage": "2"}, follow=True)
    assert "没有符合条件的毕业生" in page.content.decode()
    for bad in ({"what": "admission", "year": "20x6"}, {"what": "admission", "stage": "3"}):
        page = client.post(reverse("graduation:export"), bad, follow=True)
        assert page.status_code == 200 and ("4位年份" in page.content.decode() or "小学或初中" in page.content.decode())
    assert client.post(reverse("graduation:export"), {"what": "everything"}).status_code == 403


def test_graduation_settings_page_is_the_provinces_and_audited(client, grad):
    u = grad.users
    for who in ("th_registrar", "gz_registrar", "moe_registrar", "school_registrar", "th_admin", "gd_admin"):
        client.force_login(getattr(u, who))
        assert client.get(reverse("graduation:settings")).status_code == 403, who
        assert client.post(reverse("graduation:settings"), {"require_problems_resolved": "1"}).status_code == 403
    assert not GraduationSettings.objects.exists()
    client.force_login(u.gd_registrar)
    assert "不要求先处理完问题学籍" in client.get(reverse("graduation:settings")).content.decode()
    assert client.post(reverse("graduation:settings"), {"require_problems_resolved": "1"}).status_code == 302
    assert services.problems_required(grad.school)
    assert AuditEntry.objects.filter(action="graduation.settings_saved").count() == 1
    client.post(reverse("graduation:settings"), {"require_problems_resolved": "1"})  # unchanged: no new entry
    assert AuditEntry.objects.filter(action="graduation.settings_saved").count() == 1
    client.post(reverse("graduation:settings"), {"require_problems_resolved": "garbage"})
    assert not services.problems_required(grad.school)
    assert AuditEntry.objects.filter(action="graduation.settings_saved").count() == 2
