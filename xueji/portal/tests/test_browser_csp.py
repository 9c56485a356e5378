"""The pages work under the Content-Security-Policy (issue 7 §6): no script or style is
refused by the browser, and the behaviours moved out of inline handlers still work (a
confirmation, the CAPTCHA refresh, the ID-number fields of the preschool form)."""

import pytest

from xueji.testing import PASSWORD


def _watch(page) -> list[str]:
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused


def _login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


@pytest.mark.browser
def test_pages_run_under_the_policy(live_server, page, world):
    refused = _watch(page)
    base = live_server.url
    _login(page, base, "sch_registrar")
    for path in ("/", "/org/my-school/grades/", "/registration/", "/registration/preschool/",
                 "/registration/preschool/new/", "/accounts/api-token/"):
        response = page.goto(base + path)
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
    # The preschool form fills 性别 and 出生日期 from a resident ID (static script).
    page.goto(base + "/registration/preschool/new/")
    page.select_option("[data-id-type]", "1")
    page.fill("[data-id-number]", "440106201901011234")
    assert page.locator("#id_birth_date").input_value() == "20190101"
    assert page.locator("#id_gender").input_value() == "1"
    assert page.locator("#id_birth_date").is_disabled()
    # A confirmation (data-confirm): dismissing it keeps the token.
    page.goto(base + "/accounts/api-token/")
    page.get_by_role("button", name="生成令牌").click()
    page.wait_for_selector("[data-testid=api-token]")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="作废").click()
    page.goto(base + "/accounts/api-token/")
    assert "有效" in page.get_by_test_id("token-list").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="作废").click()
    page.wait_for_load_state()
    assert "已作废" in page.get_by_test_id("token-list").inner_text()
    assert refused == []
