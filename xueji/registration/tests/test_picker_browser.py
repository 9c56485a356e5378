"""Browser tests of what a new user touches first: the side menu's collapsible groups, the
province → city → county picker of the single-entry form (JS from a static file, no
inline script), and 导出未通过行 from the row-error page."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from xueji.registration.testing import workbook_bytes
from xueji.students.excel import DATA_SHEET, REASON_HEADER
from xueji.testing import PASSWORD


def _login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


@pytest.mark.browser
def test_menu_groups_collapse_and_expand(live_server, page, reg):
    _login(page, live_server.url, "sch_registrar")
    menu = page.get_by_test_id("menu")
    group = menu.locator("details.menu-subgroup", has=page.locator("summary", has_text="学籍注册"))
    link = menu.get_by_role("link", name="小学新生注册上报", exact=True)
    # open at first when the user has few entries (OPEN_ALL_UP_TO), closed otherwise
    shown = link.is_visible()
    group.locator("summary").click()
    assert link.is_visible() is not shown
    group.locator("summary").press("Enter")  # keyboard works too
    assert link.is_visible() is shown
    if not shown:
        group.locator("summary").click()
    assert link.is_visible()
    link.click()
    page.wait_for_url("**/registration/pending/?state=report&group=primary")
    assert page.get_by_test_id("menu").locator("[aria-current=page]").inner_text() == "小学新生注册上报"


@pytest.mark.browser
def test_division_picker_fills_the_code(live_server, page, reg):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _login(page, live_server.url, "sch_registrar")
    page.goto(live_server.url + "/registration/single/other-resident/")
    province = page.get_by_role("combobox", name="籍贯(省级)")
    province.select_option(label="广东省")
    city = page.get_by_role("combobox", name="籍贯(地市)")
    city.select_option(label="广州市")
    county = page.get_by_role("combobox", name="籍贯(区县)")
    county.select_option(label="天河区")
    assert page.locator("input[name='籍贯']").input_value() == "440106000000"
    # a name typed instead is kept as typed (the field rules read it)
    page.fill("input[name='出生地行政区划代码']", "广东省广州市海珠区")
    assert page.locator("input[name='出生地行政区划代码']").input_value() == "广东省广州市海珠区"
    assert errors == []


@pytest.mark.browser
def test_failed_rows_download_from_the_result_page(live_server, page, reg, tmp_path):
    _login(page, live_server.url, "sch_registrar")
    bad = reg.row(2, 出生日期="20190230")
    page.goto(live_server.url + "/registration/upload/primary-resident/")
    path = tmp_path / "学生.xlsx"
    path.write_bytes(workbook_bytes("primary-resident", [reg.row(1), bad]))
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="上传").click()
    page.wait_for_url("**/registration/uploads/*/")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-failed").click()
    download = download_info.value
    assert download.suggested_filename == "居民身份证小学新生注册未通过行.xlsx"
    saved = tmp_path / "out.xlsx"
    download.save_as(saved)
    sheet = load_workbook(saved)[DATA_SHEET]
    headers = [c.value for c in sheet[1]]
    row = dict(zip(headers, (c.value for c in sheet[2]), strict=True))
    assert row["出生日期"] == "20190230" and "出生日期" in row[REASON_HEADER]
