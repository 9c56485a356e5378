"""学籍卡管理 in the browser: choose two students of a class, 导出, the second account, the
job page's download — a zip with one Word card per student."""

from __future__ import annotations

import io
import zipfile

import pytest

from xueji.testing import PASSWORD

from .test_record_cards import pupils  # noqa: F401  (the fixture)


@pytest.mark.browser
def test_export_two_cards_through_the_page(live_server, page, pupils):  # noqa: F811
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "sch_registrar")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    menu = page.get_by_test_id("menu")
    link = menu.get_by_role("link", name="学籍卡管理", exact=True)
    if not link.is_visible():  # the 日常管理 group starts closed when the menu is long
        menu.locator("summary", has_text="日常管理").click()
    link.click()
    page.wait_for_url("**/students/record-cards/")
    page.select_option("#klass", value=str(pupils.c1.pk))
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**klass=*")
    rows = page.get_by_test_id("record-card-row")
    assert rows.count() == 2
    for student in pupils.records[:2]:
        page.get_by_label(f"选择{student.name}").check()
    page.get_by_role("button", name="导出所选学生的学籍卡").click()
    assert "将导出2名学生的学籍卡" in page.get_by_test_id("export-count").inner_text()
    page.fill("#id_second_username", "sch_registrar2")
    page.fill("#id_second_password", PASSWORD)
    page.get_by_role("button", name="确定导出").click()
    page.wait_for_url("**/jobs/*/")
    link = page.get_by_test_id("job-download")
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    content = open(info.value.path(), "rb").read()
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert sorted(names) == sorted(f"{s.national_number}.docx" for s in pupils.records[:2])
