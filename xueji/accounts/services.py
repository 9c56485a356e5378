"""Writes on accounts: login attempts, locks, passwords, sessions, second-account checks.

Every function owns its transaction and writes its audit entry in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xueji.audit.services import record_event

from . import rules
from .models import (
    AUTHORITY_ROLES,
    SCHOOL_ROLES,
    LockReason,
    PasswordHistory,
    Role,
    User,
    UserSession,
)
from .passwords import HISTORY_DEPTH
from .selectors import same_unit, users_for

GENERIC_LOGIN_ERROR = "用户名或密码错误"


@dataclass
class LoginOutcome:
    user: User | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.user is not None and not self.error


def attempt_login(request, username: str, password: str) -> LoginOutcome:
    """Check a username and password (the first factor), with lockout (F-12):
    - a locked account is refused; a lock after failed logins lapses by itself after the
      configured minutes, any other lock needs an administrator;
    - an account not used for the dormant period is locked as dormant;
    - each wrong password counts; at the threshold (three) the account locks.
    Every outcome is audited. The caller logs the user in (or asks for the second
    factor) when the outcome is ok."""
    now = timezone.now()
    username = (username or "").strip()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None or not user.is_active:
            record_event(
                action="auth.login_failed", summary=f"登录失败:账号“{username}”不存在或已停用",
                request=request, after={"username": username},
            )
            return LoginOutcome(None, GENERIC_LOGIN_ERROR)

        if user.is_locked:
            if rules.lock_has_lapsed(user.locked_at, user.lock_reason, now, settings.XUEJI_LOCKOUT_MINUTES):
                _unlock(user)
                record_event(action="auth.unlocked", summary=f"账号{user.username}锁定时间已过,自动解锁",
                             actor=user, request=request, target=user)
            else:
                record_event(action="auth.login_refused", summary=f"登录被拒绝:账号{user.username}已锁定",
                             actor=user, request=request, target=user)
                return LoginOutcome(None, _locked_message(user))

        if rules.is_dormant(user.last_login, user.date_joined, now, settings.XUEJI_DORMANT_DAYS):
            _lock(user, LockReason.DORMANT, now)
            record_event(action="auth.locked", summary=f"账号{user.username}长期未登录,已锁定",
                         actor=user, request=request, target=user)
            return LoginOutcome(None, _locked_message(user))

        if not user.check_password(password):
            user.failed_logins += 1
            fields = ["failed_logins"]
            if user.failed_logins >= settings.XUEJI_LOCKOUT_THRESHOLD:
                _lock(user, LockReason.FAILED_LOGINS, now, save=False)
                fields += ["locked_at", "lock_reason"]
            user.save(update_fields=fields)
            record_event(action="auth.login_failed",
                         summary=f"登录失败:账号{user.username}密码错误(第{user.failed_logins}次)",
                         actor=user, request=request, target=user)
            if user.is_locked:
                record_event(action="auth.locked",
                             summary=f"账号{user.username}连续{user.failed_logins}次密码错误,已锁定",
                             actor=user, request=request, target=user)
                return LoginOutcome(None, _locked_message(user))
            left = rules.attempts_left(user.failed_logins, settings.XUEJI_LOCKOUT_THRESHOLD)
            return LoginOutcome(None, f"{GENERIC_LOGIN_ERROR},再错{left}次账号将被锁定")

        if user.failed_logins:
            user.failed_logins = 0
            user.save(update_fields=["failed_logins"])
        return LoginOutcome(user)


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
            record_event(action="account.dormant_locked",
                         summary=f"锁定{len(names)}个长期未登录账号(超过{days}天)",
                         after={"usernames": names[:1000], "count": len(names)})
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


def reset_password(request, admin: User, target: User, new_password: str) -> None:
    """重置密码: an administrator sets a temporary password the user must change."""
    _require_manager(admin, target)
    validate_password(new_password, target)
    with transaction.atomic():
        set_password(target, new_password, must_change=True)
        end_sessions(target)
        record_event(action="account.password_reset", summary=f"重置账号{target.username}的密码",
                     actor=admin, request=request, target=target)


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
    """导出需本单位另一账号验证 (F-14): the credentials of another active, unlocked user
    of the same unit. Audited with both names, whether it passes or not.

    Returns the second user; raises ValidationError with a Chinese message otherwise."""
    second = User.objects.filter(username=(username or "").strip()).first()
    problem = ""
    if second is None or not second.check_password(password or ""):
        problem = "验证账号或密码不正确"
    elif second.pk == user.pk:
        problem = "须使用本单位另一账号验证,不能使用本人账号"
    elif not second.is_active or second.is_locked:
        problem = "验证账号已停用或已锁定"
    elif not same_unit(user, second):
        problem = "验证账号须为本单位的另一账号"
    if problem:
        record_event(action="export.second_account_failed",
                     summary=f"{purpose}:{user.username}的第二账号验证失败({problem})",
                     actor=user, request=request, after={"second_username": username})
        raise ValidationError(problem)
    record_event(action="export.second_account_verified",
                     summary=f"{purpose}:{user.real_name}({user.username})经{second.real_name}({second.username})验证",
                     actor=user, request=request,
                     after={"second_username": second.username, "second_name": second.real_name})
    return second
