"""综合查询 in the browser: a school registrar opens 在校生查询 from the menu, filters by a
condition, chooses the columns shown, and exports the result to Excel — the second
account's verification page, then the job page and the file."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from xueji.audit.models import AuditEntry
from xueji.jobs.models import Job
from xueji.reports import rules
from xueji.testing import PASSWORD


@pytest.mark.browser
def test_filter_choose_columns_and_export(live_server, page, q):
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "sch_registrar")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    menu = page.get_by_test_id("menu")
    link = menu.get_by_role("link", name="在校生查询", exact=True)
    if not link.is_visible():  # the group starts closed when the menu is long
        menu.locator("summary", has_text="综合查询").click()
    link.click()
    page.wait_for_url("**/reports/students/")
    listing = page.get_by_test_id("student-list")
    shown = listing.inner_text()
    # the school's students in school (在校, 休学), not another school's nor the graduated
    for student in (q.a1, q.a2, q.b1, q.b_suspended, q.c1):
        assert student.name in shown, student.name
    for student in (q.m1, q.h1, q.b_graduated, q.b_deleted):
        assert student.name not in shown, student.name
    assert q.a1.id_number not in shown  # ID numbers masked in the list

    # a condition: 性别 女
    conditions = page.get_by_test_id("query-conditions")
    conditions.get_by_label("性别", exact=True).select_option("2")
    conditions.get_by_role("button", name="查询").click()
    page.wait_for_url("**gender=2*")
    rows = listing.locator("tbody tr")
    assert rows.count() == 1 and "张二" in rows.first.inner_text()
    assert page.get_by_test_id("count").inner_text() == rules.count_text(1)

    # the columns: 是否留守儿童 added, 家庭地址 left out
    chooser = page.get_by_test_id("column-chooser")
    chooser.locator("summary").click()
    chooser.get_by_label("是否留守儿童", exact=True).check()
    chooser.get_by_label("家庭地址", exact=True).uncheck()
    chooser.get_by_role("button", name="确定").click()
    page.wait_for_url("**gender=2*")
    assert "已保存显示的信息项" in page.content()
    headers = listing.locator("thead").inner_text()
    assert "是否留守儿童" in headers and "家庭地址" not in headers
    assert "是" in listing.locator("tbody tr").first.inner_text()

    # 导出Excel: the second account first, nothing started before it
    page.get_by_test_id("export").click()
    page.get_by_test_id("second-account").wait_for()
    assert "将导出1名学生" in page.get_by_test_id("export-count").inner_text()
    assert "是否留守儿童" in page.content()
    assert not Job.objects.exists()
    page.fill("#id_second_username", "sch_leader")
    page.fill("#id_second_password", PASSWORD)
    page.get_by_role("button", name="确定导出").click()
    page.wait_for_url("**/jobs/*/")
    download = page.get_by_test_id("job-download")
    download.wait_for()
    assert page.get_by_test_id("job-status").inner_text() == "已完成"
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(open(info.value.path(), "rb").read()), read_only=True).active
    header, *data = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert "是否留守儿童" in header and "家庭地址" not in header
    assert len(data) == 1
    row = dict(zip(header, data[0], strict=False))
    assert row["姓名"] == "张二" and row["身份证件号"] == q.a2.id_number and row["是否留守儿童"] == "是"
    entry = AuditEntry.objects.get(action="reports.exported")
    assert "sch_registrar" in entry.summary and "sch_leader" in entry.summary
