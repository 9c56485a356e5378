"""Every write and its audit entry share one transaction: when the audit write fails, the
account is neither created, locked nor given a new password (``failing_audit``)."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from xueji.accounts import services
from xueji.accounts.models import PasswordHistory, Role, User, UserSession
from xueji.audit.models import AuditEntry
from xueji.testing import PASSWORD


def _session_for(user) -> str:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    UserSession.objects.create(user=user, session_key=store.session_key, last_seen_at=timezone.now())
    return store.session_key


def test_create_user_rolls_back(world, failing_audit):
    failing_audit.expect_failure(
        services.create_user, None, world.users.th_admin, username="th_new", password="Xj-new-pass-2026!",
        real_name="新用户", role=Role.AUTHORITY_REGISTRAR, authority=world.tree.tianhe,
    )
    assert failing_audit.attempts == ["account.created"]
    assert not User.objects.filter(username="th_new").exists()
    assert not AuditEntry.objects.exists()


def test_lock_user_rolls_back(world, failing_audit):
    target = world.users.th_registrar
    key = _session_for(target)
    failing_audit.expect_failure(services.lock_user, None, world.users.th_admin, target)
    target.refresh_from_db()
    assert target.locked_at is None and target.lock_reason == ""
    assert UserSession.objects.filter(session_key=key).exists()  # not sent offline either
    assert Session.objects.filter(session_key=key).exists()


def test_unlock_user_rolls_back(world, failing_audit):
    target = world.users.th_registrar
    failing_audit.disarm()
    services.lock_user(None, world.users.th_admin, target)
    failing_audit.arm()
    failing_audit.expect_failure(services.unlock_user, None, world.users.th_admin, target)
    target.refresh_from_db()
    assert target.locked_at is not None


def test_reset_password_rolls_back(world, failing_audit):
    target = world.users.th_registrar
    history = PasswordHistory.objects.filter(user=target).count()
    failing_audit.expect_failure(services.reset_password, None, world.users.th_admin, target,
                                 "Xj-reset-pass-2026!")
    target = User.objects.get(pk=target.pk)
    assert target.check_password(PASSWORD) and not target.check_password("Xj-reset-pass-2026!")
    assert not target.must_change_password
    assert PasswordHistory.objects.filter(user=target).count() == history


def test_without_failure_the_same_calls_write(world):
    target = world.users.th_registrar
    services.lock_user(None, world.users.th_admin, target)
    services.reset_password(None, world.users.th_admin, target, "Xj-reset-pass-2026!")
    target.refresh_from_db()
    assert target.locked_at is not None and target.must_change_password
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "account.locked", "account.password_reset"]
