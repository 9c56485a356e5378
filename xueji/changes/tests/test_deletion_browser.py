"""误操作删除 in the browser: the school registrar asks, the leader passes, the county
删除 — the list moves the request from 未处理 to 已删除."""

from __future__ import annotations

import pytest

from xueji.students.models import Student
from xueji.testing import PASSWORD

from .test_deletion import pupils, reg  # noqa: F401  (the fixtures)


def _login(page, base, username):
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


@pytest.mark.browser
def test_ask_pass_delete(live_server, page, pupils):  # noqa: F811
    page.on("dialog", lambda dialog: dialog.accept())
    student = pupils.records[0]
    base = live_server.url
    _login(page, base, "sch_registrar")
    page.goto(base + "/changes/mistaken-deletions/")
    page.get_by_test_id("deletion-apply").click()
    page.fill("#number", student.national_number)
    page.get_by_role("button", name="查找").click()
    assert student.name in page.get_by_test_id("deletion-student").inner_text()
    page.fill("#id_reason", "重复注册")
    page.get_by_role("button", name="提交删除申请").click()
    page.wait_for_url("**/changes/mistaken-deletions/")
    assert "申请删除中" in page.get_by_test_id("deletion-row").inner_text()

    _login(page, base, "sch_leader")
    page.goto(base + "/changes/mistaken-deletions/")
    page.get_by_test_id("deletion-decide").get_by_role("button", name="审核通过").click()
    page.wait_for_url("**/changes/mistaken-deletions/")

    _login(page, base, "th_registrar")
    page.goto(base + "/changes/mistaken-deletions/")
    page.get_by_test_id("deletion-decide").get_by_role("button", name="删除").click()
    page.wait_for_url("**/changes/mistaken-deletions/")
    assert page.get_by_test_id("deletion-row").count() == 0
    page.get_by_role("link", name="已删除", exact=True).click()
    assert student.name in page.get_by_test_id("deletion-row").inner_text()
    assert Student.objects.get(pk=student.pk).status == "99"
