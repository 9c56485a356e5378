"""Writes on accounts: login attempts, locks, passwords, sessions, second-account checks.

Every function owns its transaction and writes its audit entry in it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xueji.audit.services import client_ip, record_event

from . import rules
from .models import (
    AUTHORITY_ROLES,
    SCHOOL_ROLES,
    ApiToken,
    LockReason,
    LoginThrottle,
    PasswordHistory,
    Role,
    User,
    UsernameValidator,
    UserSession,
)
from .passwords import HISTORY_DEPTH
from .selectors import same_unit, users_for

GENERIC_LOGIN_ERROR = "用户名或密码错误"
#: One answer for every failed second-account check (F-14), whatever the reason.
SECOND_ACCOUNT_REFUSED = (
    "第二账号验证未通过:须本单位另一有效账号的用户名和正确密码,且该账号已自行修改过初始密码"
)
ADDRESS_BLOCKED = "登录失败次数过多,请稍后再试"


@dataclass
class LoginOutcome:
    user: User | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.user is not None and not self.error


_DUMMY_HASH: list[str] = []


def _burn_hash(password: str) -> None:
    """Verify ``password`` against a hash of nothing: the same work as checking a real
    account's password, so an unknown username takes as long as a known one."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(make_password(secrets.token_urlsafe(16)))
    check_password(password or "", _DUMMY_HASH[0])


def attempt_login(request, username: str, password: str) -> LoginOutcome:
    """Check a username and password (the first factor), with lockout (F-12):

    - the password is always checked (a hash of nothing for an unknown username), and
      every wrong answer says the same thing, so that neither the message nor the time
      tells a known username from an unknown one;
    - each wrong password counts (:func:`register_password_failure`); at the threshold
      (three) the account locks; the server also counts failures per username and per
      client address (:func:`login_gate`);
    - a lock after failed logins lapses by itself after the configured minutes, any
      other lock needs an administrator; only the right password learns of a lock;
    - an account not used for the dormant period is locked as dormant when its owner
      comes back (with the right password).
    Every outcome is audited. The caller logs the user in (or asks for the second
    factor) when the outcome is ok."""
    now = timezone.now()
    username = (username or "").strip()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None or not user.is_active:
            if user is None:
                _burn_hash(password)
            else:
                user.check_password(password or "")
            record_event(
                action="auth.login_failed", summary=f"登录失败:账号“{username[:150]}”不存在或已停用",
                request=request, after={"username": username[:150]},
            )
            _note_failure(request, username, now)
            return LoginOutcome(None, GENERIC_LOGIN_ERROR)

        _lapse_lock(request, user, now)
        if not user.check_password(password or ""):
            register_password_failure(request, user, now, context="登录")
            _note_failure(request, username, now)
            return LoginOutcome(None, GENERIC_LOGIN_ERROR)

        if user.is_locked:
            record_event(action="auth.login_refused", summary=f"登录被拒绝:账号{user.username}已锁定",
                         actor=user, request=request, target=user)
            return LoginOutcome(None, _locked_message(user))

        if rules.is_dormant(user.last_login, user.date_joined, now, settings.XUEJI_DORMANT_DAYS):
            _lock(user, LockReason.DORMANT, now)
            record_event(action="auth.locked", summary=f"账号{user.username}长期未登录,已锁定",
                         actor=user, request=request, target=user)
            _revoke_tokens(request, user, None, "账号长期未登录被锁定")
            return LoginOutcome(None, _locked_message(user))

        if user.failed_logins:
            user.failed_logins = 0
            user.save(update_fields=["failed_logins"])
        LoginThrottle.objects.filter(kind=LoginThrottle.Kind.USERNAME, key=_throttle_key(username)).delete()
        return LoginOutcome(user)


def _lapse_lock(request, user: User, now: dt.datetime) -> None:
    """Unlock (audited) a lock after failed logins whose minutes have passed."""
    if user.is_locked and rules.lock_has_lapsed(user.locked_at, user.lock_reason, now,
                                                settings.XUEJI_LOCKOUT_MINUTES):
        _unlock(user)
        record_event(action="auth.unlocked", summary=f"账号{user.username}锁定时间已过,自动解锁",
                     actor=user, request=request, target=user)


def register_password_failure(request, user: User, now: dt.datetime, *, context: str) -> bool:
    """A wrong password for ``user`` (locked ``select_for_update`` by the caller's
    transaction): count it, lock the account at the threshold, audit both. The one place
    of the lockout rule, for the login page and the second-account check alike.
    Returns whether this failure locked the account."""
    user.failed_logins = min(user.failed_logins + 1, 32767)
    fields = ["failed_logins"]
    newly_locked = False
    if not user.is_locked and user.failed_logins >= settings.XUEJI_LOCKOUT_THRESHOLD:
        _lock(user, LockReason.FAILED_LOGINS, now, save=False)
        fields += ["locked_at", "lock_reason"]
        newly_locked = True
    user.save(update_fields=fields)
    record_event(action="auth.login_failed",
                 summary=f"{context}失败:账号{user.username}密码错误(第{user.failed_logins}次)",
                 actor=user, request=request, target=user)
    if newly_locked:
        record_event(action="auth.locked",
                     summary=f"账号{user.username}连续{user.failed_logins}次密码错误,已锁定",
                     actor=user, request=request, target=user)
    return newly_locked


# --- server-side throttling of the login (F-12) ---------------------------------------
@dataclass
class LoginGate:
    captcha: bool
    blocked: bool


def _throttle_key(value: str) -> str:
    return (value or "").strip().lower()[:150]


def _recent_failures(kind: str, key: str, now: dt.datetime) -> int:
    since = now - dt.timedelta(minutes=settings.XUEJI_LOGIN_THROTTLE_MINUTES)
    row = LoginThrottle.objects.filter(kind=kind, key=key, last_failure_at__gte=since).first()
    return row.failures if row is not None else 0


def login_gate(request, username: str | None = None) -> LoginGate:
    """Whether the next login attempt for ``username`` from this client must carry a
    CAPTCHA, or is refused outright (too many failures from the address). Counted on the
    server per username and per client address, so a client without cookies is held to
    the same rule. ``username`` None: the login page before anything is typed."""
    now = timezone.now()
    address = client_ip(request) or ""
    by_address = _recent_failures(LoginThrottle.Kind.ADDRESS, address, now) if address else 0
    by_username = _recent_failures(LoginThrottle.Kind.USERNAME, _throttle_key(username), now) if username else 0
    return LoginGate(
        captcha=rules.captcha_needed(by_username, by_address, settings.XUEJI_CAPTCHA_AFTER_FAILURES),
        blocked=rules.address_blocked(by_address, settings.XUEJI_LOGIN_ADDRESS_LIMIT),
    )


def note_captcha_failure(request) -> None:
    """A wrong or missing CAPTCHA counts against the client address (not the account)."""
    with transaction.atomic():
        _bump(LoginThrottle.Kind.ADDRESS, client_ip(request) or "", timezone.now())


def _note_failure(request, username: str, now: dt.datetime) -> None:
    _bump(LoginThrottle.Kind.USERNAME, _throttle_key(username), now)
    _bump(LoginThrottle.Kind.ADDRESS, client_ip(request) or "", now)


def _bump(kind: str, key: str, now: dt.datetime) -> None:
    if not key:
        return
    since = now - dt.timedelta(minutes=settings.XUEJI_LOGIN_THROTTLE_MINUTES)
    row, created = LoginThrottle.objects.select_for_update().get_or_create(
        kind=kind, key=key, defaults={"failures": 1, "last_failure_at": now},
    )
    if not created:
        row.failures = row.failures + 1 if row.last_failure_at >= since else 1
        row.last_failure_at = now
        row.save(update_fields=["failures", "last_failure_at"])


def clear_stale_throttles(now: dt.datetime | None = None) -> int:
    """Remove counts older than the window (``lock_dormant_accounts`` runs it too)."""
    now = now or timezone.now()
    since = now - dt.timedelta(minutes=settings.XUEJI_LOGIN_THROTTLE_MINUTES)
    return LoginThrottle.objects.filter(last_failure_at__lt=since).delete()[0]


def _locked_message(user: User) -> str:
    if user.lock_reason == LockReason.FAILED_LOGINS and settings.XUEJI_LOCKOUT_MINUTES:
        return (f"账号已锁定:连续{settings.XUEJI_LOCKOUT_THRESHOLD}次密码错误,"
                f"请{settings.XUEJI_LOCKOUT_MINUTES}分钟后再试或联系上级管理员解锁")
    return f"账号已锁定({user.get_lock_reason_display()}),请联系上级管理员解锁"


def _lock(user: User, reason: str, now: dt.datetime, save: bool = True) -> None:
    user.locked_at = now
    user.lock_reason = reason
    if save:
        user.save(update_fields=["locked_at", "lock_reason"])


def _unlock(user: User) -> None:
    user.locked_at = None
    user.lock_reason = ""
    user.failed_logins = 0
    user.save(update_fields=["locked_at", "lock_reason", "failed_logins"])


def record_login(request, user: User) -> None:
    """Audit a completed login (both factors)."""
    record_event(action="auth.login", summary=f"{user.real_name}({user.username})登录",
                 actor=user, request=request, target=user)


def _require_manager(admin: User, target: User) -> None:
    """An administrator manages accounts of their own unit and the units below."""
    if admin.role != Role.AUTHORITY_ADMIN or not users_for(admin).filter(pk=target.pk).exists():
        raise PermissionDenied("该账号不在您的管理范围内")


def unlock_user(request, admin: User, target: User) -> None:
    """解锁: an administrator above (or of the same unit) unlocks an account."""
    _require_manager(admin, target)
    if target.pk == admin.pk:
        raise PermissionDenied("不能解锁自己的账号")
    with transaction.atomic():
        before = {"locked_at": target.locked_at, "lock_reason": target.lock_reason}
        _unlock(target)
        if rules.is_dormant(target.last_login, target.date_joined, timezone.now(), settings.XUEJI_DORMANT_DAYS):
            # Give a woken dormant account a fresh start, or it would lock again at once.
            target.last_login = timezone.now()
            target.save(update_fields=["last_login"])
        record_event(action="account.unlocked", summary=f"解锁账号{target.username}",
                     actor=admin, request=request, target=target, before=before, after={"locked_at": None})


def lock_user(request, admin: User, target: User) -> None:
    """An administrator locks an account by hand."""
    _require_manager(admin, target)
    if target.pk == admin.pk:
        raise PermissionDenied("不能锁定自己的账号")
    with transaction.atomic():
        _lock(target, LockReason.ADMINISTRATOR, timezone.now())
        end_sessions(target)
        record_event(action="account.locked", summary=f"锁定账号{target.username}",
                     actor=admin, request=request, target=target)
        _revoke_tokens(request, target, admin, "管理员锁定账号")


def deactivate_user(request, admin: User, target: User) -> None:
    """停用: the account can no longer log in, use a token or confirm an export; its
    sessions end and its tokens are revoked. Its history (audit, businesses) stays."""
    _require_manager(admin, target)
    if target.pk == admin.pk:
        raise PermissionDenied("不能停用自己的账号")
    with transaction.atomic():
        target.is_active = False
        target.save(update_fields=["is_active"])
        end_sessions(target)
        record_event(action="account.deactivated", summary=f"停用账号{target.username}",
                     actor=admin, request=request, target=target, after={"is_active": False})
        _revoke_tokens(request, target, admin, "账号停用")


def activate_user(request, admin: User, target: User) -> None:
    """启用 a deactivated account again (its revoked tokens stay revoked)."""
    _require_manager(admin, target)
    with transaction.atomic():
        target.is_active = True
        target.save(update_fields=["is_active"])
        record_event(action="account.activated", summary=f"启用账号{target.username}",
                     actor=admin, request=request, target=target, after={"is_active": True})


def lock_dormant_accounts(now: dt.datetime | None = None) -> int:
    """Lock every active, unlocked account that has been dormant for the configured days."""
    now = now or timezone.now()
    days = settings.XUEJI_DORMANT_DAYS
    if not days:
        return 0
    cutoff = now - dt.timedelta(days=days)
    with transaction.atomic():
        dormant = User.objects.filter(is_active=True, locked_at__isnull=True).filter(
            Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
        )
        names = list(dormant.values_list("username", flat=True))
        if names:
            User.objects.filter(username__in=names).update(locked_at=now, lock_reason=LockReason.DORMANT)
            revoked = _active_tokens().filter(user__username__in=names).update(
                revoked_at=now, revoke_reason="账号长期未登录被锁定")
            record_event(action="account.dormant_locked",
                         summary=f"锁定{len(names)}个长期未登录账号(超过{days}天),作废接口令牌{revoked}个",
                         after={"usernames": names[:1000], "count": len(names), "tokens_revoked": revoked})
    clear_stale_throttles(now)
    return len(names)


def set_password(user: User, raw_password: str, *, must_change: bool = False) -> None:
    """Set a password, keeping the old hash in the history (no reuse of the last few)."""
    if user.password:
        PasswordHistory.objects.create(user=user, password=user.password)
        stale = user.password_history.values_list("pk", flat=True)[HISTORY_DEPTH:]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    user.set_password(raw_password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])


def change_own_password(request, user: User, old_password: str, new_password: str) -> None:
    """修改密码: the user changes their own password (old one required, policy applied)."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": "原密码不正确"})
    validate_password(new_password, user)
    with transaction.atomic():
        set_password(user, new_password)
        record_event(action="account.password_changed", summary=f"{user.username}修改密码",
                     actor=user, request=request, target=user)
        _revoke_tokens(request, user, user, "修改密码")


def reset_password(request, admin: User, target: User, new_password: str) -> None:
    """重置密码: an administrator sets a temporary password the user must change."""
    _require_manager(admin, target)
    validate_password(new_password, target)
    with transaction.atomic():
        set_password(target, new_password, must_change=True)
        end_sessions(target)
        record_event(action="account.password_reset", summary=f"重置账号{target.username}的密码",
                     actor=admin, request=request, target=target)
        _revoke_tokens(request, target, admin, "管理员重置密码")


def create_user(
    request, admin: User | None, *, username: str, password: str, real_name: str, role: str,
    authority=None, school=None, phone: str = "", must_change: bool = True,
) -> User:
    """新增用户. ``admin`` None is the system itself (demo data, initial setup)."""
    if role in SCHOOL_ROLES and school is None:
        raise ValidationError({"school": "学校角色须选择所属学校"})
    if role in AUTHORITY_ROLES and authority is None:
        raise ValidationError({"authority": "教育部门角色须选择所属教育行政部门"})
    if role in SCHOOL_ROLES:
        authority = None
    elif role in AUTHORITY_ROLES:
        school = None
    else:
        authority = school = None
    if admin is not None:
        from xueji.org.selectors import authorities_for, schools_for

        if admin.role != Role.AUTHORITY_ADMIN:
            raise PermissionDenied("只有系统管理员可以新增用户")
        if school is not None and not schools_for(admin).filter(pk=school.pk).exists():
            raise PermissionDenied("所选学校不在您的管理范围内")
        if authority is not None and not authorities_for(admin).filter(pk=authority.pk).exists():
            raise PermissionDenied("所选教育行政部门不在您的管理范围内")
    try:
        UsernameValidator()(username)
    except ValidationError as error:
        raise ValidationError({"username": error.messages}) from None
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"用户名“{username}”已存在"})
    user = User(username=username, real_name=real_name, role=role, authority=authority,
                school=school, phone=phone, created_by=admin)
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.must_change_password = must_change
        user.save()
        record_event(action="account.created",
                     summary=f"新增用户{username}({user.get_role_display()},{user.unit_name})",
                     actor=admin, request=request, target=user,
                     after={"username": username, "role": role, "unit": user.unit_name})
    return user


def track_session(request, user: User) -> None:
    """Remember a new login session for the online-user list (在线用户)."""
    key = request.session.session_key
    if not key:
        request.session.save()
        key = request.session.session_key
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip_address": request.META.get("REMOTE_ADDR"),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "last_seen_at": timezone.now(),
        },
    )


def forget_session(session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def end_sessions(user: User) -> int:
    """End every session of ``user``."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def force_offline(request, admin: User, sessions) -> int:
    """强制下线: end the given tracked sessions (already limited to the admin's scope)."""
    if admin.role != Role.AUTHORITY_ADMIN:
        raise PermissionDenied("只有系统管理员可以强制用户下线")
    rows = list(sessions.values_list("session_key", "user__username"))
    keys = [k for k, _ in rows if k != request.session.session_key]
    if not keys:
        return 0
    with transaction.atomic():
        Session.objects.filter(session_key__in=keys).delete()
        UserSession.objects.filter(session_key__in=keys).delete()
        names = sorted({u for k, u in rows if k in keys})
        record_event(action="account.forced_offline",
                     summary=f"强制下线{len(keys)}个会话:{'、'.join(names[:20])}",
                     actor=admin, request=request, after={"usernames": names})
    return len(keys)


def verify_second_account(request, user: User, username: str, password: str, purpose: str) -> User:
    """导出需本单位另一账号验证 (F-14): the username and password of another account of
    the same unit that may act now (active, not locked, not dormant, its password neither
    expired nor a reset one its owner has not changed yet — so one administrator who
    reset a colleague's password cannot be both accounts).

    - A wrong password counts toward that account's lockout (the login's rule,
      :func:`register_password_failure`); for an account that is not a candidate (unknown,
      the user's own, another unit's, deactivated) no password is checked against it (a
      hash of nothing is, for the same time), so the form can neither guess nor lock the
      passwords of other units.
    - Every failure gets the same message (:data:`SECOND_ACCOUNT_REFUSED`); the audit entry
      records the reason and both names.

    Returns the second user; raises ValidationError otherwise."""
    now = timezone.now()
    username = (username or "").strip()[:150]
    problem = ""
    with transaction.atomic():
        second = User.objects.select_for_update().filter(username=username).first()
        if second is None:
            problem = "账号不存在"
        elif second.pk == user.pk:
            problem = "使用了本人账号"
        elif not same_unit(user, second):
            problem = "不是本单位的账号"
        elif not second.is_active:
            problem = "账号已停用"
        if problem:
            _burn_hash(password)
        else:
            _lapse_lock(request, second, now)
            if not second.check_password(password or ""):
                problem = "密码错误"
                register_password_failure(request, second, now, context=f"{purpose}第二账号验证")
            else:
                refusal = account_refusal(second, now)
                if refusal:
                    problem = rules.REFUSAL_MESSAGES[refusal]
        if problem:
            record_event(action="export.second_account_failed",
                         summary=f"{purpose}:{user.username}的第二账号验证失败(“{username}”:{problem})",
                         actor=user, request=request, after={"second_username": username, "reason": problem})
        else:
            record_event(action="export.second_account_verified",
                         summary=f"{purpose}:{user.real_name}({user.username})经{second.real_name}({second.username})验证",
                         actor=user, request=request,
                         after={"second_username": second.username, "second_name": second.real_name})
    if problem:
        raise ValidationError(SECOND_ACCOUNT_REFUSED)
    return second


def account_refusal(user: User, now: dt.datetime) -> str | None:
    """Why ``user`` may not act now (``rules.account_refusal`` on the account's state)."""
    return rules.account_refusal(
        is_active=user.is_active, locked_at=user.locked_at, lock_reason=user.lock_reason,
        last_login=user.last_login, joined=user.date_joined, password_changed_at=user.password_changed_at,
        must_change_password=user.must_change_password, now=now,
        lockout_minutes=settings.XUEJI_LOCKOUT_MINUTES, dormant_days=settings.XUEJI_DORMANT_DAYS,
        password_max_age_days=settings.XUEJI_PASSWORD_MAX_AGE_DAYS,
    )


# --- API tokens (F-84) ----------------------------------------------------------------------
#: Who may hold API tokens (the registrars, as SPEC F-84 has it).
TOKEN_ROLES = frozenset({Role.AUTHORITY_REGISTRAR, Role.SCHOOL_REGISTRAR})
#: Tokens one account may hold at once (valid, not revoked).
MAX_ACTIVE_TOKENS = 5
_TOUCH_TOKEN_EVERY = dt.timedelta(minutes=1)


class TokenRefused(Exception):
    """A token that does not authenticate; the message is for the caller (Chinese)."""


def _active_tokens():
    return ApiToken.objects.filter(revoked_at__isnull=True)


def issue_api_token(request, user: User, name: str = "") -> tuple[ApiToken, str]:
    """生成接口令牌: a new random key for ``user``; returns the token and the key, which
    is shown once and never stored (only its SHA-256). Expires after
    ``XUEJI_API_TOKEN_DAYS``. Audited with its name and prefix, never the key."""
    if user.role not in TOKEN_ROLES:
        raise PermissionDenied("只有学籍管理员可以申请接口令牌")
    name = (name or "").strip()[:50] or "接口令牌"
    now = timezone.now()
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per user
        if _active_tokens().filter(user=user, expires_at__gt=now).count() >= MAX_ACTIVE_TOKENS:
            raise ValidationError(f"有效的接口令牌最多{MAX_ACTIVE_TOKENS}个,请先作废不用的令牌")
        token = ApiToken.objects.create(
            user=user, name=name, prefix=key[:8], digest=rules.token_digest(key),
            expires_at=now + dt.timedelta(days=settings.XUEJI_API_TOKEN_DAYS),
        )
        record_event(action="api.token_issued",
                     summary=f"{user.username}生成接口令牌“{name}”({token.prefix}…),有效期至{timezone.localtime(token.expires_at):%Y-%m-%d}",
                     actor=user, request=request, target=token,
                     after={"name": name, "prefix": token.prefix, "expires_at": token.expires_at})
    return token, key


def revoke_api_token(request, actor: User, token: ApiToken) -> None:
    """作废 one token: its owner, or an administrator whose scope holds the owner."""
    if token.user_id != actor.pk:
        _require_manager(actor, token.user)
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.revoke_reason = "本人作废" if token.user_id == actor.pk else "管理员作废"
        token.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        record_event(action="api.token_revoked",
                     summary=f"作废{token.user.username}的接口令牌“{token.name}”({token.prefix}…)",
                     actor=actor, request=request, target=token, school=token.user.school,
                     authority_prefix=token.user.scope_prefix)


def _revoke_tokens(request, user: User, by: User | None, reason: str) -> int:
    """Revoke every token of ``user`` (inside the caller's transaction), audited."""
    count = _active_tokens().filter(user=user).update(revoked_at=timezone.now(), revoked_by=by,
                                                        revoke_reason=reason[:100])
    if count:
        record_event(action="api.token_revoked", summary=f"{reason}:作废{user.username}的接口令牌{count}个",
                     actor=by, request=request, target=user, after={"count": count, "reason": reason})
    return count


def authenticate_token(request, key: str) -> tuple[User, ApiToken]:
    """The owner of an API token, with every rule the login applies (F-12, F-84):
    the token exists, is not revoked and has not expired; its owner is active, not locked
    (a lock after failed logins lapses as at the login), not dormant, and needs no
    password change (reset or expired). Raises :class:`TokenRefused` otherwise.

    The second factor (TOTP) is not asked for: a token is issued only from a web session
    that passed both factors, it is a 256-bit random secret itself, and a program cannot
    answer a TOTP on each request. Its lifetime and revocation take the place of that.

    Reads only, but for ``last_used_at`` written at most once a minute."""
    now = timezone.now()
    token = (ApiToken.objects.select_related("user", "user__school__supervisor", "user__authority")
             .filter(digest=rules.token_digest(key or "")).first())
    if token is None:
        raise TokenRefused("令牌无效")
    if token.revoked_at is not None:
        raise TokenRefused("令牌已作废")
    if token.expires_at <= now:
        raise TokenRefused("令牌已过期,请重新生成")
    user = token.user
    refusal = account_refusal(user, now)
    if refusal:
        raise TokenRefused(f"令牌的账号不能使用:{rules.REFUSAL_MESSAGES[refusal]}")
    if token.last_used_at is None or now - token.last_used_at >= _TOUCH_TOKEN_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=client_ip(request))
    return user, token


# --- second factor (TOTP) ---------------------------------------------------------------------
def totp_device_for(user: User):
    """The user's confirmed TOTP device, or an unconfirmed one to enrol (created once)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = (TOTPDevice.objects.filter(user=user, confirmed=False).first()
                  or TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False))
    return device


def confirm_totp_device(request, user: User, device) -> None:
    """绑定动态口令设备: the first right token confirms the device; with its audit entry."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_event(action="auth.totp_enrolled", summary=f"{user.username}绑定动态口令设备",
                     actor=user, request=request, target=user)


def record_totp_failure(request, user: User) -> None:
    record_event(action="auth.totp_failed", summary=f"{user.username}动态口令错误",
                 actor=user, request=request, target=user)
