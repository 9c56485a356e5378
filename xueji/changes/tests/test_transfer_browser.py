"""Browser test (Playwright + Debian's chromium) of 省内转学: the receiving registrar finds
the pupil by 学籍号 + 姓名 and applies; the four parties pass on the business page; the
record moves; the receiving registrar places the pupil in a class."""

import pytest

from xueji.students.models import Student
from xueji.testing import PASSWORD

from .conftest import make_student


def _login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _logout(page):
    page.get_by_role("button", name="注销").click()
    page.wait_for_url("**/accounts/login/")


@pytest.mark.browser
def test_transfer_from_application_to_class(live_server, page, world, people):
    base = live_server.url
    pupil = make_student(people.futian, name="转学生")

    _login(page, base, "sch_registrar")
    page.goto(base + "/changes/transfers/")
    page.get_by_role("link", name="省内转学申请").click()
    page.fill("#id_national_number", pupil.national_number)
    page.fill("#id_name", "转学省")           # a wrong name: only 未找到
    page.get_by_role("button", name="查询").click()
    assert "未找到" in page.content() and "福田测试小学" not in page.content()
    page.fill("#id_name", "转学生")
    page.get_by_role("button", name="查询").click()
    assert "福田测试小学" in page.get_by_test_id("found-student").inner_text()
    form = page.get_by_test_id("apply-form")
    form.locator("select[name=to_grade]").select_option(label="小学2024级")
    form.locator("textarea[name=reason]").fill("随父母工作调动")
    form.get_by_role("button", name="保存").click()
    page.wait_for_url("**/workflow/businesses/*/")
    business_url = page.url
    assert "等待" in page.get_by_test_id("business-status").inner_text()
    _logout(page)

    for reviewer in ("sch_leader", "th_registrar", "futian_leader", "futian_county"):
        _login(page, base, reviewer)
        page.goto(business_url)
        page.get_by_test_id("decide-form").get_by_role("button", name="审核通过").click()
        page.wait_for_load_state()
        _logout(page)

    pupil.refresh_from_db()
    assert pupil.school_id == world.th_school.pk
    _login(page, base, "sch_registrar")
    assert "转入待分班的学生" in page.content()
    page.goto(base + "/changes/transfers/placement/")
    row = page.get_by_test_id("placement-list").get_by_role("row", name="转学生")
    row.locator("select[name=klass]").select_option(index=1)
    row.get_by_role("button", name="分班").click()
    page.wait_for_load_state()
    assert "已分班" in page.content()
    pupil = Student.objects.select_related("klass").get(pk=pupil.pk)
    assert pupil.klass.code == "2024102"
