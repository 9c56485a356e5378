"""A key data change in the browser, from the application to the last approval: the
registrar finds the pupil, changes the name with a proof image, the leader and the county
approve it from 关键数据变更审核 (待审核业务), and the record carries the new name."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from xueji.students.models import Student
from xueji.testing import PASSWORD
from xueji.workflow.models import Business, BusinessStatus


def _login(page, base, username):
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (30, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.browser
def test_a_name_change_from_application_to_approval(live_server, page, place):
    s = place.pupil()
    base = live_server.url
    _login(page, base, "sch_registrar")
    page.goto(base + reverse("changes:key_change_apply"))  # 日常管理 is folded: many entries
    page.fill("#id_number", s.national_number)
    page.get_by_role("button", name="查询").click()
    assert s.name in page.get_by_test_id("student-info").inner_text()
    page.fill("#id_name", "李明")
    page.set_input_files("#id_proof", files=[{"name": "户籍证明.png", "mimeType": "image/png", "buffer": _png()}])
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/workflow/businesses/*/")
    assert f"{s.name} → 李明" in page.get_by_test_id("business-payload").inner_text()
    assert "认证通过" in page.get_by_test_id("business-facts").inner_text()
    business = Business.objects.get(student=s)

    for username in ("sch_leader", "th_registrar"):
        _login(page, base, username)
        page.goto(base + reverse("changes:key_change_list"))
        page.wait_for_url("**/workflow/queue/?kind=key_change*")
        page.locator(f"a[href=\"/workflow/businesses/{business.pk}/\"]").first.click()
        page.wait_for_url(f"**/workflow/businesses/{business.pk}/")
        page.get_by_test_id("decide-form").get_by_role("button", name="审核通过").click()
        page.wait_for_load_state()
    business.refresh_from_db()
    assert business.status == BusinessStatus.PASSED
    assert Student.objects.get(pk=s.pk).name == "李明"
