"""Browser test (Playwright + Debian's chromium): a county registrar logs in, opens the
school list, opens a school and logs out."""

import pytest

from xueji.testing import PASSWORD


@pytest.mark.browser
def test_county_registrar_browses_schools(live_server, page, world):
    page.goto(live_server.url + "/accounts/login/")
    assert page.get_by_test_id("no-2fa-notice").is_visible()
    page.fill("#id_username", "th_registrar")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_test_id("home-unit").inner_text() == "天河区教育局"

    page.get_by_role("link", name="学校列表").click()
    page.wait_for_url("**/org/schools/")
    table = page.get_by_test_id("school-list")
    assert "天河测试小学" in table.inner_text()
    assert "海珠测试小学" not in table.inner_text()

    page.get_by_role("link", name="天河测试小学").click()
    page.wait_for_url(f"**/org/schools/{world.th_school.pk}/")
    assert page.locator("h1").inner_text() == "天河测试小学"
    assert "3440106001" in page.content()
    page.get_by_role("tab", name="年级班级").click()
    assert page.locator("#grades").is_visible()

    page.get_by_role("button", name="注销").click()
    page.wait_for_url("**/accounts/login/")
    page.goto(live_server.url + "/org/schools/")
    assert "/accounts/login/" in page.url


@pytest.mark.browser
def test_wrong_password_shows_captcha_then_locks(live_server, page, world):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "th_registrar")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    # The same answer as for an unknown username (issue 7 §6).
    assert page.locator(".alert-danger").inner_text().strip() == "用户名或密码错误"
    captcha = page.locator("img[alt=验证码]")
    assert captcha.is_visible()
    # The image loads after the page: wait for it rather than racing it.
    page.wait_for_function("() => { const i = document.querySelector('img[alt=验证码]');"
                           " return i && i.complete && i.naturalWidth > 0; }", timeout=10000)
    assert captcha.evaluate("img => img.naturalWidth") > 0
    # A click fetches a fresh image (the page's own script, no inline handler).
    before = captcha.evaluate("i => i.src")
    captcha.click()
    page.wait_for_function("(old) => document.querySelector('img[alt=验证码]').src !== old", arg=before)
