"""The second-account check of exports (F-14, issue 7 §6): only another active account
of the same unit; a wrong password counts toward that account's lockout; the same answer
for every failure; a password an administrator reset (and its owner has not changed) is
refused, so one administrator cannot be both accounts."""

import pytest
from django.core.exceptions import ValidationError

from xueji.accounts import services
from xueji.accounts.models import LockReason
from xueji.audit.models import AuditEntry
from xueji.testing import PASSWORD

URL = "/accounts/users/export/"


def _verify(world, username, password):
    return services.verify_second_account(None, world.users.th_admin, username, password, purpose="测试导出")


def _refused(world, username, password) -> str:
    with pytest.raises(ValidationError) as caught:
        _verify(world, username, password)
    return caught.value.messages[0]


def test_same_unit_account_passes(world):
    assert _verify(world, "th_admin2", PASSWORD) == world.users.th_admin2


@pytest.mark.parametrize("username,password", [
    ("th_admin2", "wrong"), ("hz_admin", PASSWORD), ("hz_admin", "wrong"), ("ghost", "x"),
    ("th_admin", PASSWORD), ("sch_registrar", PASSWORD), ("", ""),
])
def test_every_failure_says_the_same(world, username, password):
    assert _refused(world, username, password) == services.SECOND_ACCOUNT_REFUSED


def test_another_units_password_is_never_tried(world):
    """A right password of another unit's account gives nothing away and counts nothing."""
    _refused(world, "hz_admin", PASSWORD)
    _refused(world, "hz_admin", "wrong")
    world.users.hz_admin.refresh_from_db()
    assert world.users.hz_admin.failed_logins == 0


def test_wrong_passwords_lock_the_second_account(world):
    for _ in range(3):
        _refused(world, "th_admin2", "wrong")
    second = world.users.th_admin2
    second.refresh_from_db()
    assert second.is_locked and second.lock_reason == LockReason.FAILED_LOGINS
    # Now even the right password is refused.
    assert _refused(world, "th_admin2", PASSWORD) == services.SECOND_ACCOUNT_REFUSED
    assert AuditEntry.objects.filter(action="auth.locked", actor_username="th_admin2").exists()


def test_a_reset_password_is_refused_until_its_owner_changes_it(client, world):
    client.force_login(world.users.th_admin)
    # th_admin resets th_admin2's password, and so knows it …
    client.post(f"/accounts/users/{world.users.th_admin2.pk}/", {"action": "reset", "new_password": "Temp#Pass2026"})
    response = client.post(URL, {"second_username": "th_admin2", "second_password": "Temp#Pass2026"})
    assert services.SECOND_ACCOUNT_REFUSED in response.content.decode()
    assert not response["Content-Type"].startswith("text/csv")
    entry = AuditEntry.objects.filter(action="export.second_account_failed").latest("seq")
    assert "修改密码" in entry.summary
    # … until th_admin2 sets their own.
    second = world.users.th_admin2
    second.refresh_from_db()
    services.change_own_password(None, second, "Temp#Pass2026", "Own#Choice2026")
    assert _verify(world, "th_admin2", "Own#Choice2026") == second


@pytest.mark.parametrize("field,value", [
    ("is_active", False), ("lock_reason", LockReason.ADMINISTRATOR), ("lock_reason", LockReason.DORMANT),
])
def test_an_account_that_may_not_act_is_refused(world, field, value):
    from django.utils import timezone

    second = world.users.th_admin2
    setattr(second, field, value)
    if field == "lock_reason":
        second.locked_at = timezone.now()
    second.save()
    assert _refused(world, "th_admin2", PASSWORD) == services.SECOND_ACCOUNT_REFUSED


def test_failures_are_audited_with_the_reason(world):
    _refused(world, "hz_admin", PASSWORD)
    entry = AuditEntry.objects.filter(action="export.second_account_failed").latest("seq")
    assert entry.actor_username == "th_admin" and "不是本单位" in entry.summary
