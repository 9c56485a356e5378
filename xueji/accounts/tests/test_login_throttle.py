"""Login (issue 7 §6): a known and an unknown username get the same message and the same
work (one password hash each); the CAPTCHA and the throttling are counted on the server
per username and per client address, so a client without cookies cannot skip them and
cannot lock somebody's account with three requests."""

import pytest
from django.contrib.auth.hashers import get_hasher
from django.test import Client, override_settings
from django.urls import reverse

from xueji.accounts.captcha import SESSION_KEY as CAPTCHA_KEY
from xueji.accounts.models import LoginThrottle
from xueji.testing import PASSWORD

LOGIN = "/accounts/login/"


def _error(response) -> str:
    """The text of the page's error box."""
    html = response.content.decode()
    start = html.index('class="alert alert-danger')
    return html[html.index(">", start) + 1:html.index("</div>", start)]


@pytest.fixture
def hash_checks(monkeypatch):
    """Count the password hashes verified (with the configured hasher: Argon2 in
    production, a fast one in the tests)."""
    calls = []
    hasher = type(get_hasher())
    original = hasher.verify

    def counting(self, password, encoded):
        calls.append(password)
        return original(self, password, encoded)

    monkeypatch.setattr(hasher, "verify", counting)
    return calls


def test_known_and_unknown_usernames_answer_alike(world, hash_checks):
    known = Client().post(LOGIN, {"username": "th_registrar", "password": "wrong"})
    assert len(hash_checks) == 1
    unknown = Client(REMOTE_ADDR="10.0.0.2").post(LOGIN, {"username": "nobody", "password": "wrong"})
    assert len(hash_checks) == 2  # the same hash work for an unknown username
    assert _error(known) == _error(unknown) == "用户名或密码错误"


def test_inactive_account_answers_like_an_unknown_one(world, hash_checks):
    world.users.th_registrar.is_active = False
    world.users.th_registrar.save()
    response = Client().post(LOGIN, {"username": "th_registrar", "password": PASSWORD})
    assert _error(response) == "用户名或密码错误" and len(hash_checks) == 1


def test_lock_is_told_only_to_the_right_password(world):
    for _ in range(3):
        client = Client()
        client.get(reverse("accounts:captcha"))
        response = client.post(LOGIN, {"username": "th_registrar", "password": "wrong",
                                       "captcha": client.session[CAPTCHA_KEY]})
        assert _error(response) == "用户名或密码错误"
    world.users.th_registrar.refresh_from_db()
    assert world.users.th_registrar.is_locked
    client = Client()
    client.get(reverse("accounts:captcha"))
    response = client.post(LOGIN, {"username": "th_registrar", "password": PASSWORD,
                                   "captcha": client.session[CAPTCHA_KEY]})
    assert "已锁定" in _error(response)


def test_clients_without_cookies_cannot_lock_an_account(world):
    """Three requests from fresh clients (no session cookie, so no CAPTCHA answer): the
    first wrong password counts; the next two are refused before the password is tried."""
    responses = [Client().post(LOGIN, {"username": "th_registrar", "password": "wrong"}) for _ in range(3)]
    world.users.th_registrar.refresh_from_db()
    assert world.users.th_registrar.failed_logins == 1 and not world.users.th_registrar.is_locked
    for response in responses[1:]:
        assert 'name="captcha"' in response.content.decode() and "请输入验证码" in response.content.decode()


def test_the_username_asks_for_the_captcha_from_any_address(world):
    Client(REMOTE_ADDR="10.0.0.7").post(LOGIN, {"username": "th_registrar", "password": "wrong"})
    other = Client(REMOTE_ADDR="10.0.0.8")
    response = other.post(LOGIN, {"username": "th_registrar", "password": PASSWORD})
    assert response.status_code == 200 and "请输入验证码" in response.content.decode()
    # … while another username from a third address goes straight in.
    assert Client(REMOTE_ADDR="10.0.0.12").post(
        LOGIN, {"username": "sch_registrar", "password": PASSWORD}).status_code == 302


def test_the_address_asks_for_the_captcha_for_any_username(world):
    client = Client(REMOTE_ADDR="10.0.0.9")
    client.post(LOGIN, {"username": "nobody", "password": "wrong"})
    assert 'name="captcha"' in client.get(LOGIN).content.decode()
    response = Client(REMOTE_ADDR="10.0.0.9").post(LOGIN, {"username": "sch_registrar", "password": PASSWORD})
    assert response.status_code == 200 and "请输入验证码" in response.content.decode()
    row = LoginThrottle.objects.get(kind="address", key="10.0.0.9")
    assert row.failures == 2  # the missing CAPTCHA counted against the address too


@override_settings(XUEJI_LOGIN_ADDRESS_LIMIT=3)
def test_an_address_that_keeps_failing_is_refused(world, hash_checks):
    client = Client(REMOTE_ADDR="10.0.0.10")
    for name in ("a1", "a2", "a3"):
        client.get(reverse("accounts:captcha"))
        client.post(LOGIN, {"username": name, "password": "x", "captcha": client.session[CAPTCHA_KEY]})
    checked = len(hash_checks)
    client.get(reverse("accounts:captcha"))
    response = client.post(LOGIN, {"username": "sch_registrar", "password": PASSWORD,
                                   "captcha": client.session[CAPTCHA_KEY]})
    assert response.status_code == 200 and "登录失败次数过多" in response.content.decode()
    assert len(hash_checks) == checked  # not even tried
    # Another address is not affected.
    assert Client(REMOTE_ADDR="10.0.0.11").post(
        LOGIN, {"username": "sch_registrar", "password": PASSWORD}).status_code == 302


def test_success_clears_the_username_count(world):
    client = Client()
    client.post(LOGIN, {"username": "sch_registrar", "password": "wrong"})
    client.get(reverse("accounts:captcha"))
    assert client.post(LOGIN, {"username": "sch_registrar", "password": PASSWORD,
                               "captcha": client.session[CAPTCHA_KEY]}).status_code == 302
    assert not LoginThrottle.objects.filter(kind="username", key="sch_registrar").exists()


def test_old_counts_lapse(world):
    import datetime as dt

    from django.utils import timezone

    Client().post(LOGIN, {"username": "sch_registrar", "password": "wrong"})
    LoginThrottle.objects.update(last_failure_at=timezone.now() - dt.timedelta(minutes=16))
    assert Client().post(LOGIN, {"username": "sch_registrar", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("data", [
    {"username": "", "password": ""},
    {"username": "x" * 500, "password": "y"},
    {"username": "th_registrar", "password": "p" * 5000},
    {"username": "=cmd|' /C calc'!A0", "password": "x"},
])
def test_bad_input_is_a_form_error(client, world, data):
    assert client.post(LOGIN, data).status_code == 200
