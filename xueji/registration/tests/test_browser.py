"""Browser tests (Playwright + Debian's chromium) of 学籍注册:

1. resident-ID first-grade flow: download the template → upload it with one bad row →
   see the error → the leader audits all in 待审核业务 (seeing 查重认证) → the registrar
   reports → the county audits in 待审核业务 → the pupil is in the class with a G number;
2. a no-ID pupil entered singly climbs school → county → city → province.
"""

import io

import pytest
from openpyxl import load_workbook

from xueji.accounts.models import Role
from xueji.students.excel import DATA_SHEET
from xueji.students.models import Student
from xueji.testing import PASSWORD, make_user


def _login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _logout(page):
    page.get_by_role("button", name="注销").click()
    page.wait_for_url("**/accounts/login/")


def _approve_all(page, base, name: str) -> None:
    """待审核业务 (the one way in for reviewers): the school's registrations, 全部审核通过."""
    page.goto(base + "/workflow/queue/?group=学籍注册")
    assert name in page.get_by_test_id("queue-list").inner_text()
    page.get_by_test_id("queue-summary").get_by_role("link", name="查看/全部审核").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("school-batch").get_by_role("button", name="全部审核通过").click()
    page.wait_for_load_state()
    assert "审核通过1件业务" in page.content()


@pytest.mark.browser
def test_resident_first_grade_flow(live_server, page, reg, tmp_path):
    base = live_server.url
    good, bad = reg.row(1), reg.row(2, 出生日期="20190230")

    _login(page, base, "sch_registrar")
    page.goto(base + "/registration/")
    with page.expect_download() as download_info:
        page.get_by_test_id("entries").get_by_role("row", name="居民身份证小学新生注册").get_by_role(
            "link", name="下载模板").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    book = load_workbook(template)
    sheet = book[DATA_SHEET]
    headers = [c.value for c in sheet[1]]
    for row in (good, bad):
        sheet.append([row.get(h) for h in headers])
    filled = tmp_path / "一年级新生.xlsx"
    book.save(filled)

    page.get_by_test_id("entries").get_by_role("row", name="居民身份证小学新生注册").get_by_role(
        "link", name="导入").click()
    page.set_input_files("input[type=file]", str(filled))
    page.get_by_role("button", name="上传").click()
    page.wait_for_url("**/registration/uploads/*/")
    assert page.get_by_test_id("passed").inner_text() == "1"
    assert page.get_by_test_id("failed").inner_text() == "1"
    errors = page.get_by_test_id("row-errors").inner_text()
    assert "出生日期" in errors and bad["姓名"] in errors
    _logout(page)

    _login(page, base, "sch_leader")
    page.goto(base + "/registration/pending/?state=audit")
    assert good["姓名"] in page.get_by_test_id("pending-list").inner_text()
    page.get_by_test_id("review-link").get_by_role("link", name="去审核").click()
    assert "查重通过,认证通过" in page.get_by_test_id("queue-list").inner_text()
    _approve_all(page, base, good["姓名"])
    _logout(page)

    _login(page, base, "sch_registrar")
    page.goto(base + "/registration/pending/?state=report")
    page.get_by_role("button", name="全部上报").click()
    page.wait_for_load_state()
    assert "已上报1条" in page.content()
    _logout(page)

    _login(page, base, "th_registrar")
    page.goto(base + "/registration/review/")  # the old address leads to 待审核业务
    page.wait_for_url("**/workflow/queue/**")
    _approve_all(page, base, good["姓名"])

    student = Student.objects.get()
    assert student.national_number == "G" + good["身份证件号"]
    assert student.klass == reg.class1
    page.goto(base + f"/registration/{student.registration.pk}/")
    # The G number holds the ID number: masked like it.
    assert page.get_by_test_id("national-number").inner_text() == "G4401**********" + student.national_number[-4:]


@pytest.mark.browser
def test_no_id_single_entry_climbs_to_the_province(live_server, page, reg, tmp_path):
    from PIL import Image

    base = live_server.url
    gz = make_user("gz_reg_b", Role.AUTHORITY_REGISTRAR, authority=reg.world.tree.gz)
    gd = make_user("gd_reg_b", Role.AUTHORITY_REGISTRAR, authority=reg.world.tree.gd)
    row = reg.row(60, klass=reg.class3)
    row.update({"身份证件类型": "Z", "身份证件号": "", "成员1身份证件类型": "1",
                "成员1身份证件号": reg.row(61)["身份证件号"]})
    proof = tmp_path / "证明.png"
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (250, 250, 250)).save(out, format="PNG")
    proof.write_bytes(out.getvalue())

    _login(page, base, "sch_registrar")
    page.goto(base + "/registration/single/other-no-id/")
    for header, value in row.items():
        if header == "学校标识码" or value in (None, ""):
            continue
        field = page.locator(f'[name="{header}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            _select_by_text(field, str(value))
        else:
            field.fill(str(value))
    page.set_input_files('input[name="proof"]', str(proof))
    page.get_by_role("button", name="保存并提交").click()
    page.wait_for_url("**/registration/pending/?state=audit&group=other")  # where it now waits
    _logout(page)

    _login(page, base, "sch_leader")
    _approve_all(page, base, row["姓名"])
    _logout(page)
    _login(page, base, "sch_registrar")
    page.goto(base + "/registration/pending/?state=report")
    page.get_by_role("button", name="全部上报").click()
    _logout(page)
    for username in ("th_registrar", gz.username, gd.username):
        _login(page, base, username)
        _approve_all(page, base, row["姓名"])
        _logout(page)
    student = Student.objects.get()
    assert student.national_number.startswith("J440106") and student.id_type == "Z"


def _select_by_text(select, value: str) -> None:
    """Pick the option whose code (value) is ``value``, or labelled "code-name" with that name."""
    codes = [o.get_attribute("value") for o in select.locator("option").all()]
    if value in codes:
        select.select_option(value=value)
        return
    options = select.locator("option").all_inner_texts()
    match = next(o for o in options if value in (o, *o.split("-", 1)))
    select.select_option(label=match)
