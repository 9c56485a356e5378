"""Login security (F-12): lockout after three failures, unlock, CAPTCHA after a failure,
expiry, dormant accounts, second factor, session timeout."""

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from xueji.accounts.captcha import SESSION_KEY as CAPTCHA_KEY
from xueji.accounts.models import LockReason
from xueji.audit.models import AuditEntry
from xueji.testing import PASSWORD

LOGIN = "/accounts/login/"


def _post(client, username, password):
    """A login as a person makes it: the CAPTCHA answered (it is checked only when the
    server asks for it)."""
    client.get(reverse("accounts:captcha"))
    data = {"username": username, "password": password, "captcha": client.session[CAPTCHA_KEY]}
    return client.post(LOGIN, data)


def test_login_success(client, world):
    response = _post(client, "th_registrar", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/").content.decode()
    assert "天河区教育局" in home
    assert AuditEntry.objects.filter(action="auth.login", actor_username="th_registrar").exists()


def test_three_failures_lock_the_account(client, world):
    user = world.users.th_registrar
    first = _post(client, "th_registrar", "wrong")
    # Nothing tells a known username from an unknown one: no attempts left, no lock.
    assert "用户名或密码错误" in first.content.decode() and "再错" not in first.content.decode()
    _post(client, "th_registrar", "wrong")
    third = _post(client, "th_registrar", "wrong")
    assert "已锁定" not in third.content.decode() and "用户名或密码错误" in third.content.decode()
    user.refresh_from_db()
    assert user.is_locked and user.lock_reason == LockReason.FAILED_LOGINS
    # The right password no longer helps.
    response = _post(client, "th_registrar", PASSWORD)
    assert response.status_code == 200 and "已锁定" in response.content.decode()
    assert AuditEntry.objects.filter(action="auth.locked", actor_username="th_registrar").exists()


def test_lock_lapses_after_configured_minutes(client, world):
    user = world.users.th_registrar
    user.locked_at = timezone.now() - dt.timedelta(minutes=31)
    user.lock_reason = LockReason.FAILED_LOGINS
    user.failed_logins = 3
    user.save()
    assert _post(client, "th_registrar", PASSWORD).status_code == 302
    user.refresh_from_db()
    assert not user.is_locked and user.failed_logins == 0


@override_settings(XUEJI_LOCKOUT_MINUTES=0)
def test_lock_without_lapse_needs_an_administrator(client, world):
    user = world.users.th_registrar
    user.locked_at = timezone.now() - dt.timedelta(days=3)
    user.lock_reason = LockReason.FAILED_LOGINS
    user.save()
    assert _post(client, "th_registrar", PASSWORD).status_code == 200
    # A sibling county's administrator cannot unlock it …
    admin_client = client.__class__()
    admin_client.force_login(world.users.hz_admin)
    url = reverse("accounts:user_detail", args=[user.pk])
    assert admin_client.post(url, {"action": "unlock"}).status_code == 404
    user.refresh_from_db()
    assert user.is_locked
    # … the city's administrator can.
    admin_client.force_login(world.users.gz_admin)
    assert admin_client.post(url, {"action": "unlock"}).status_code == 302
    user.refresh_from_db()
    assert not user.is_locked
    assert AuditEntry.objects.filter(action="account.unlocked", actor_username="gz_admin").exists()
    assert _post(client.__class__(), "th_registrar", PASSWORD).status_code == 302


def test_failures_reset_after_success(client, world):
    _post(client, "th_registrar", "wrong")
    _post(client, "th_registrar", "wrong")
    assert _post(client, "th_registrar", PASSWORD).status_code == 302
    world.users.th_registrar.refresh_from_db()
    assert world.users.th_registrar.failed_logins == 0


def test_unknown_user_gives_the_generic_message(client, world):
    response = _post(client, "nobody", "x")
    assert "用户名或密码错误" in response.content.decode()
    assert AuditEntry.objects.filter(action="auth.login_failed").exists()


def test_captcha_required_after_a_failure(client, world):
    assert 'name="captcha"' not in client.get(LOGIN).content.decode()
    client.post(LOGIN, {"username": "th_registrar", "password": "wrong"})
    assert 'name="captcha"' in client.get(LOGIN).content.decode()
    # Without the CAPTCHA the right password is not even tried.
    response = client.post(LOGIN, {"username": "th_registrar", "password": PASSWORD})
    assert response.status_code == 200
    # A wrong CAPTCHA neither.
    client.get(reverse("accounts:captcha"))
    response = client.post(LOGIN, {"username": "th_registrar", "password": PASSWORD, "captcha": "XXXX"})
    assert "请输入正确的验证码" in response.content.decode()
    world.users.th_registrar.refresh_from_db()
    assert world.users.th_registrar.failed_logins == 1  # a bad CAPTCHA is not a password try
    # The CAPTCHA image is a PNG and the right answer lets the login through.
    image = client.get(reverse("accounts:captcha"))
    assert image["Content-Type"] == "image/png" and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    response = client.post(LOGIN, {"username": "th_registrar", "password": PASSWORD,
                                   "captcha": client.session[CAPTCHA_KEY].lower()})
    assert response.status_code == 302


def test_expired_password_must_be_changed(client, world):
    user = world.users.th_registrar
    user.password_changed_at = timezone.now() - dt.timedelta(days=91)
    user.save()
    assert _post(client, "th_registrar", PASSWORD).status_code == 302
    response = client.get(reverse("org:school_list"))
    assert response.status_code == 302 and reverse("accounts:password_change") in response["Location"]
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Fresh#Pass2026", "new_password2": "Fresh#Pass2026"})
    assert response.status_code == 302
    assert client.get(reverse("org:school_list")).status_code == 200


def test_days_left_shown(client, world):
    user = world.users.th_registrar
    user.password_changed_at = timezone.now() - dt.timedelta(days=80, hours=1)
    user.save()
    client.force_login(user)
    assert "您的密码将在9天后过期" in client.get("/").content.decode()


def test_dormant_account_is_locked_at_login(client, world):
    user = world.users.th_registrar
    user.last_login = timezone.now() - dt.timedelta(days=200)
    user.save()
    response = _post(client, "th_registrar", PASSWORD)
    assert response.status_code == 200 and "长期未登录" in response.content.decode()
    user.refresh_from_db()
    assert user.lock_reason == LockReason.DORMANT


def test_lock_dormant_accounts_command(world):
    from django.core.management import call_command

    user = world.users.hz_registrar
    user.last_login = timezone.now() - dt.timedelta(days=120)
    user.save()
    call_command("lock_dormant_accounts", verbosity=0)
    user.refresh_from_db()
    assert user.lock_reason == LockReason.DORMANT
    world.users.th_registrar.refresh_from_db()
    assert not world.users.th_registrar.is_locked


def test_session_timeout_setting():
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == settings.XUEJI_SESSION_TIMEOUT_MINUTES * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_logout(client, world):
    client.force_login(world.users.th_registrar)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_open_redirect_refused(client, world):
    response = client.post(LOGIN + "?next=https://evil.example/", {"username": "th_registrar", "password": PASSWORD})
    assert response["Location"] == "/"


class TestSecondFactor:
    @pytest.fixture(autouse=True)
    def _require_2fa(self, settings):
        settings.XUEJI_REQUIRE_2FA = True
        settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's back-off after a wrong token

    def _token(self, device):
        return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"

    def test_authority_enrols_then_verifies(self, client, world):
        response = _post(client, "th_registrar", PASSWORD)
        assert response["Location"] == reverse("accounts:otp")
        page = client.get(reverse("accounts:otp")).content.decode()
        assert "<svg" in page and "扫描" in page
        assert client.get("/").status_code == 302  # not logged in yet
        device = TOTPDevice.objects.get(user=world.users.th_registrar)
        assert client.post(reverse("accounts:otp"), {"token": "000000"}).status_code == 200
        response = client.post(reverse("accounts:otp"), {"token": self._token(device)})
        assert response.status_code == 302
        assert client.get("/").status_code == 200
        device.refresh_from_db()
        assert device.confirmed

    def test_school_user_needs_no_second_factor(self, client, world):
        assert _post(client, "sch_registrar", PASSWORD)["Location"] == "/"

    def test_session_without_verification_is_ended(self, client, world):
        client.force_login(world.users.th_registrar)  # bypasses the second factor
        assert client.get("/").status_code == 302
        assert client.get("/").status_code == 302

    def test_login_page_says_nothing_about_demo(self, client, world):
        assert "双因素认证(动态口令)已关闭" not in client.get(LOGIN).content.decode()


def test_demo_login_page_says_2fa_is_off(client, db):
    assert "双因素认证(动态口令)已关闭" in client.get(LOGIN).content.decode()


@pytest.mark.parametrize("password,fragment", [
    ("short1A!", None),
    ("Sh0rt!", "至少"),
    ("alllowercase", "至少3类"),
    ("12345678901", "只包含数字"),
    ("Password1", "太常见"),
])
def test_password_policy(client, world, password, fragment):
    client.force_login(world.users.th_registrar)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": password, "new_password2": password})
    if fragment is None:
        assert response.status_code == 302
    else:
        assert response.status_code == 200 and fragment in response.content.decode()


def test_password_reuse_refused(client, world):
    client.force_login(world.users.th_registrar)
    url = reverse("accounts:password_change")
    assert client.post(url, {"old_password": PASSWORD, "new_password1": "Second#Pass1",
                             "new_password2": "Second#Pass1"}).status_code == 302
    response = client.post(url, {"old_password": "Second#Pass1", "new_password1": PASSWORD,
                                 "new_password2": PASSWORD})
    assert "不能与最近5次" in response.content.decode()


def test_wrong_old_password(client, world):
    client.force_login(world.users.th_registrar)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "nope", "new_password1": "Fresh#Pass2026", "new_password2": "Fresh#Pass2026"})
    assert "原密码不正确" in response.content.decode()
