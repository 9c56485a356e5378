"""API tokens (issue 7 §6, F-84): token authentication applies every rule of the login;
a lock, a password reset or change and a deactivation revoke the tokens; tokens expire,
an administrator lists and revokes them; the key is stored only as a digest and never
written to the audit log; each write and its audit entry are one transaction."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from xueji.accounts import services
from xueji.accounts.models import ApiToken, LockReason
from xueji.audit.models import AuditEntry
from xueji.testing import PASSWORD, make_api_token

STUDENTS = "/api/v1/students/"


def _client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def registrar(world):
    return world.users.school_registrar


@pytest.fixture
def key(registrar):
    return make_api_token(registrar)


def _detail(response) -> str:
    return response.json()["detail"]


def test_token_works(key):
    assert _client(key).get(STUDENTS).status_code == 200


def test_administrator_lock_revokes_the_token(client, world, registrar, key):
    client.force_login(world.users.th_admin)
    client.post(reverse("accounts:user_detail", args=[registrar.pk]), {"action": "lock"})
    response = _client(key).get(STUDENTS)
    assert response.status_code == 401 and "作废" in _detail(response)
    # Unlocking does not bring it back.
    client.post(reverse("accounts:user_detail", args=[registrar.pk]), {"action": "unlock"})
    assert _client(key).get(STUDENTS).status_code == 401
    assert AuditEntry.objects.filter(action="api.token_revoked", actor_username="th_admin").exists()


def test_failed_login_lock_suspends_the_token_until_it_lapses(registrar, key):
    registrar.locked_at = timezone.now()
    registrar.lock_reason = LockReason.FAILED_LOGINS
    registrar.failed_logins = 3
    registrar.save()
    response = _client(key).get(STUDENTS)
    assert response.status_code == 401 and "已锁定" in _detail(response)
    registrar.locked_at = timezone.now() - dt.timedelta(minutes=31)
    registrar.save()
    assert _client(key).get(STUDENTS).status_code == 200  # the lock lapsed, as at the login


def test_password_reset_revokes_the_token(client, world, registrar, key):
    client.force_login(world.users.th_admin)
    client.post(reverse("accounts:user_detail", args=[registrar.pk]),
                {"action": "reset", "new_password": "Temp#Pass2026"})
    assert _client(key).get(STUDENTS).status_code == 401
    assert ApiToken.objects.get(user=registrar).revoke_reason == "管理员重置密码"
    # Even after the owner changed the password, the old token stays revoked.
    registrar.refresh_from_db()
    services.change_own_password(None, registrar, "Temp#Pass2026", "Fresh#Pass2027")
    assert _client(key).get(STUDENTS).status_code == 401


def test_own_password_change_revokes_the_token(client, registrar, key):
    client.force_login(registrar)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Fresh#Pass2026", "new_password2": "Fresh#Pass2026"})
    assert response.status_code == 302
    assert _client(key).get(STUDENTS).status_code == 401


def test_deactivation_revokes_the_token(client, world, registrar, key):
    client.force_login(world.users.th_admin)
    client.post(reverse("accounts:user_detail", args=[registrar.pk]), {"action": "deactivate"})
    registrar.refresh_from_db()
    assert not registrar.is_active
    assert _client(key).get(STUDENTS).status_code == 401
    client.post(reverse("accounts:user_detail", args=[registrar.pk]), {"action": "activate"})
    assert _client(key).get(STUDENTS).status_code == 401


@pytest.mark.parametrize("change,fragment", [
    ({"is_active": False}, "停用"),
    ({"locked_at": "now", "lock_reason": LockReason.ADMINISTRATOR}, "已锁定"),
    ({"last_login": "long ago"}, "长期未登录"),
    ({"must_change_password": True}, "修改密码"),
    ({"password_changed_at": "long ago"}, "过期"),
])
def test_every_login_rule_applies(registrar, key, change, fragment):
    """Each account state the login refuses (or sends to the password form) refuses the
    token, even when it was set without going through a service."""
    long_ago = timezone.now() - dt.timedelta(days=200)
    for field, value in change.items():
        setattr(registrar, field, {"now": timezone.now(), "long ago": long_ago}.get(value, value))
    registrar.save()
    response = _client(key).get(STUDENTS)
    assert response.status_code == 401 and fragment in _detail(response)


def test_expired_token(registrar):
    key = make_api_token(registrar, days=-1)
    response = _client(key).get(STUDENTS)
    assert response.status_code == 401 and "过期" in _detail(response)


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token not-a-token", "Token \u00e9\u00e9"])
def test_malformed_or_unknown_token(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    assert client.get(STUDENTS).status_code == 401


def test_lock_dormant_accounts_revokes_tokens(registrar, key):
    from django.core.management import call_command

    registrar.last_login = timezone.now() - dt.timedelta(days=120)
    registrar.save()
    call_command("lock_dormant_accounts", verbosity=0)
    token = ApiToken.objects.get(user=registrar)
    assert token.revoked_at is not None and "长期未登录" in token.revoke_reason


def test_issue_on_the_page_shows_the_key_once_and_stores_a_digest(client, registrar):
    client.force_login(registrar)
    page = client.post(reverse("accounts:api_token"), {"action": "issue", "name": "省平台同步"}).content.decode()
    start = page.index('data-testid="api-token">') + len('data-testid="api-token">')
    key = page[start:page.index("</code>", start)]
    assert len(key) >= 40
    token = ApiToken.objects.get(user=registrar)
    assert token.name == "省平台同步" and key not in (token.digest, token.prefix) and key.startswith(token.prefix)
    assert token.expires_at.date() == (timezone.now() + dt.timedelta(days=90)).date()
    # The key itself is never shown again, nor written to the audit log.
    assert key not in client.get(reverse("accounts:api_token")).content.decode()
    for entry in AuditEntry.objects.all():
        assert key not in entry.summary and key not in str(entry.after) and key not in str(entry.before)
    assert AuditEntry.objects.filter(action="api.token_issued", actor_username=registrar.username).exists()
    response = _client(key).get(STUDENTS)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_ip == "127.0.0.1"


def test_owner_revokes_a_token(client, registrar, key):
    token = ApiToken.objects.get(user=registrar)
    client.force_login(registrar)
    client.post(reverse("accounts:api_token"), {"action": "revoke", "token": token.pk})
    assert _client(key).get(STUDENTS).status_code == 401
    token.refresh_from_db()
    assert token.revoked_by == registrar


def test_owner_cannot_revoke_anothers_token(client, world):
    other = make_api_token(world.users.hz_school_registrar)
    token = ApiToken.objects.get(user=world.users.hz_school_registrar)
    client.force_login(world.users.school_registrar)
    assert client.post(reverse("accounts:api_token"), {"action": "revoke", "token": token.pk}).status_code == 404
    assert client.post(reverse("accounts:api_token"), {"action": "revoke", "token": "abc"}).status_code == 404
    assert _client(other).get(STUDENTS).status_code == 200


def test_administrator_lists_and_revokes_tokens_in_scope(client, world, registrar, key):
    token = ApiToken.objects.get(user=registrar)
    url = reverse("accounts:user_detail", args=[registrar.pk])
    client.force_login(world.users.hz_admin)  # another county: not theirs
    assert client.post(url, {"action": "revoke_token", "token": token.pk}).status_code == 404
    client.force_login(world.users.th_admin)
    assert token.prefix in client.get(url).content.decode()
    assert client.post(url, {"action": "revoke_token", "token": token.pk}).status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == world.users.th_admin and token.revoke_reason == "管理员作废"
    assert _client(key).get(STUDENTS).status_code == 401


def test_too_many_tokens(client, registrar):
    for _ in range(services.MAX_ACTIVE_TOKENS):
        make_api_token(registrar)
    client.force_login(registrar)
    response = client.post(reverse("accounts:api_token"), {"action": "issue", "name": "x"})
    assert "最多" in response.content.decode()
    assert ApiToken.objects.filter(user=registrar).count() == services.MAX_ACTIVE_TOKENS


def test_only_registrars_hold_tokens(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.issue_api_token(None, world.users.class_teacher, "x")


# --- one transaction for a write and its audit entry -----------------------------------------
def _failing_audit(monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(services, "record_event", boom)


def test_token_issue_rolls_back_when_the_audit_fails(monkeypatch, registrar):
    _failing_audit(monkeypatch)
    with pytest.raises(RuntimeError):
        services.issue_api_token(None, registrar, "x")
    assert not ApiToken.objects.exists()


def test_token_revoke_rolls_back_when_the_audit_fails(monkeypatch, registrar, key):
    token = ApiToken.objects.get(user=registrar)
    _failing_audit(monkeypatch)
    with pytest.raises(RuntimeError):
        services.revoke_api_token(None, registrar, token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_totp_enrolment_rolls_back_when_the_audit_fails(monkeypatch, world):
    user = world.users.th_registrar
    device = services.totp_device_for(user)
    _failing_audit(monkeypatch)
    with pytest.raises(RuntimeError):
        services.confirm_totp_device(None, user, device)
    device.refresh_from_db()
    assert not device.confirmed


# --- the session path of the API ---------------------------------------------------------------
def test_session_api_refused_while_the_password_must_be_changed(world):
    user = world.users.school_registrar
    user.must_change_password = True
    user.save()
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 302  # the pages send the user to the password form …
    response = client.get(STUDENTS)             # … and the API does not let them around it
    assert response.status_code == 403 and "修改密码" in response.json()["detail"]
    user.must_change_password = False
    user.password_changed_at = timezone.now() - dt.timedelta(days=91)
    user.save()
    response = client.get(STUDENTS)
    assert response.status_code == 403 and "过期" in response.json()["detail"]


def test_session_api_needs_the_second_factor(settings, world):
    settings.XUEJI_REQUIRE_2FA = True
    client = Client()
    client.force_login(world.users.th_registrar)  # a session without the second factor
    response = client.get(STUDENTS)
    assert response.status_code == 403 and "双因素" in response.json()["detail"]


def test_session_api_works_for_a_sound_session(world):
    client = Client()
    client.force_login(world.users.school_registrar)
    assert client.get(STUDENTS).status_code == 200
