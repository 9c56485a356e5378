"""Browser: a school registrar finds a pupil in 学籍数据维护, edits a non-key item, sees it
saved and in 历史记录; key data stays read-only."""

from __future__ import annotations

import pytest
from django.db import transaction

from xueji.students import services as S
from xueji.students.models import Student
from xueji.students.tests.conftest import place  # noqa: F401 - the fixture
from xueji.testing import PASSWORD


@pytest.mark.browser
def test_edit_a_record_and_see_its_history(live_server, page, place):  # noqa: F811
    with transaction.atomic():
        (created,) = S.create_records([place.spec(1)])
    student = Student.objects.get(pk=created.pk)
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "sch_registrar")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.goto(base + "/changes/maintenance/")
    page.get_by_role("link", name="维护", exact=True).first.click()
    page.wait_for_url(f"**/changes/records/{student.pk}/")
    form = page.get_by_test_id("fields-form")
    assert form.get_by_role("textbox", name="姓名", exact=True).count() == 0  # key data: shown, not editable
    assert form.get_by_role("textbox", name="姓名拼音", exact=True).count() == 1
    form.get_by_role("textbox", name="联系电话").fill("13912345678")
    form.get_by_role("combobox", name="健康状况").select_option("20")
    form.get_by_role("button", name="保存").click()
    page.wait_for_url("**?tab=basic")
    assert "已保存,修改了2项信息" in page.content()
    page.get_by_role("link", name="历史记录", exact=True).click()
    history = page.get_by_test_id("history")
    assert "字段修改" in history.inner_text() and "20-一般或较弱" in history.inner_text()
    assert Student.objects.get(pk=student.pk).phone == "13912345678"
