"""招生计划数 by Excel: the template of the scope's schools (formula cells escaped), the
import with its per-row errors (one transaction, one audit entry), fake files."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from xueji.audit.models import AuditEntry
from xueji.enrolplans import selectors, services
from xueji.enrolplans.models import EnrolmentPlan
from xueji.jobs.models import Job, JobStatus

from .conftest import sheet_bytes


def _rows(content: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(content)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_template_lists_the_scopes_schools_with_their_plans_and_escapes_formulas(client, world, year):
    world.th_middle.name = "=HYPERLINK(\"x\")中学"
    world.th_middle.save()
    services.set_plan(world.users.th_registrar, world.th_school, year, "1", 88)
    client.force_login(world.users.th_registrar)
    response = client.get(reverse("enrolplans:template"), {"year": year})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = _rows(response.content)
    assert rows[0] == list(services.HEADERS)
    assert [world.th_school.code, "天河测试小学", str(year), "1-小学", 88] in rows
    assert [world.th_middle.code, "'=HYPERLINK(\"x\")中学", str(year), "2-初中", None] in rows
    assert [world.th_middle.code, "'=HYPERLINK(\"x\")中学", str(year), "3-高中", None] in rows
    assert all(r[0] not in (world.hz_school.code, world.city_school.code) for r in rows)
    only = _rows(client.get(reverse("enrolplans:template"), {"year": year, "stage": "3"}).content)
    assert [r[3] for r in only[1:]] == ["3-高中"]
    for bad in ({"year": "abc"}, {"year": year, "stage": "7"}):
        assert client.get(reverse("enrolplans:template"), bad).status_code == 403
    client.force_login(world.users.school_registrar)
    assert client.get(reverse("enrolplans:template")).status_code == 403


def _upload(client, content: bytes, name="plans.xlsx"):
    return client.post(reverse("enrolplans:import"), {"file": SimpleUploadedFile(name, content)})


def test_import_writes_the_passing_rows_and_reports_each_failing_one(client, world, year):
    u = world.users
    services.set_plan(u.th_registrar, world.th_middle, year, "2", 300)
    content = sheet_bytes([
        (world.th_school.code, "天河测试小学", year, "1-小学", 120),            # 2: set
        (world.th_middle.code, "天河测试中学", year, "2-初中", 300),            # 3: unchanged
        (world.th_middle.code, "天河测试中学", str(year), "高中", "250"),       # 4: set
        ("9999999999", "不存在", year, "1", 10),                              # 5: unknown school
        (world.hz_school.code, "海珠测试小学", year, "1", 10),                  # 6: out of scope
        (world.th_school.code, "天河测试小学", year, "2-初中", 10),             # 7: no such stage
        (world.th_middle.code, "天河测试中学", year - 1, "2", -4),              # 8: negative
        (world.th_middle.code, "天河测试中学", year - 1, "3", "many"),          # 9: not a number
        (world.th_middle.code, "天河测试中学", year + 1, "3", 9000),            # 10: too big
        (world.th_school.code, "天河测试小学", year, "1", 130),                 # 11: repeated
        (world.th_school.code, "天河测试小学", year - 1, "1", ""),              # 12: blank: left as it is
        ("", "", year, "1", 5),                                                # 13: no code
        (world.th_school.code, "天河测试小学", year + 9, "1", 5),               # 14: year out of range
    ])
    client.force_login(u.th_registrar)
    response = _upload(client, content)
    job = Job.objects.get(kind=services.IMPORT_JOB)
    assert response.status_code == 302 and job.status == JobStatus.DONE
    result = job.result
    assert (result["changed"], result["unchanged"], result["blank"], result["failed_count"]) == (2, 1, 1, 9)
    reasons = {f["row"]: ";".join(f["messages"]) for f in result["failures"]}
    assert "不存在或不在您的数据范围内" in reasons[5] and "不存在或不在您的数据范围内" in reasons[6]
    assert "没有初中学段" in reasons[7] and "不能为负数" in reasons[8] and "不是整数" in reasons[9]
    assert "不能超过5,000" in reasons[10] and "与第2行是同一学校" in reasons[11] and "不能为空" in reasons[13]
    assert "不在可设置的范围内" in reasons[14]
    assert selectors.plan_for(world.th_school, year, "1") == 120
    assert selectors.plan_for(world.th_middle, year, "3") == 250
    assert selectors.plan_for(world.th_middle, year, "2") == 300
    assert EnrolmentPlan.objects.count() == 3
    entry = AuditEntry.objects.get(action="enrolplans.imported")
    assert len(entry.after) == 2
    page = client.get(reverse("enrolplans:plans") + f"?job={job.pk}").content.decode()
    assert "未通过9行" in page and "没有初中学段" in page
    # another county's registrar does not read the result
    client.force_login(u.hz_registrar)
    assert client.get(reverse("enrolplans:plans") + f"?job={job.pk}").status_code == 404
    assert client.get(reverse("enrolplans:plans") + "?job=abc").status_code == 404


def test_fake_and_wrong_files_never_500(client, world, year):
    client.force_login(world.users.th_registrar)
    # not an Excel name: refused by the form
    page = client.post(reverse("enrolplans:import"), {"file": SimpleUploadedFile("a.txt", b"x")}, follow=True)
    assert "只能导入Excel文件" in page.content.decode()
    # an .xlsx that is not one: the job fails with the reason, nothing written
    response = _upload(client, b"PK\x03\x04 not really a zip")
    assert response.status_code == 302
    job = Job.objects.get(kind=services.IMPORT_JOB)
    assert job.status == JobStatus.FAILED and "Excel" in job.message
    # a workbook without the template's header row
    _upload(client, sheet_bytes([("a", "b")], headers=("甲", "乙")))
    job = Job.objects.filter(kind=services.IMPORT_JOB).latest("id")
    assert job.status == JobStatus.FAILED and "表头" in job.message
    # no file at all
    page = client.post(reverse("enrolplans:import"), {}, follow=True)
    assert page.status_code == 200
    assert not EnrolmentPlan.objects.exists()


def test_oversized_sheet_is_refused_before_any_work(client, world, year, settings):
    settings.XUEJI_IMPORT_MAX_ROWS = 3
    client.force_login(world.users.th_registrar)
    rows = [(world.th_school.code, "天河测试小学", year, "1", n) for n in range(5)]
    page = client.post(reverse("enrolplans:import"), {"file": SimpleUploadedFile("big.xlsx", sheet_bytes(rows))},
                       follow=True)
    assert "超过" in page.content.decode()
    assert not Job.objects.filter(kind=services.IMPORT_JOB).exists()
