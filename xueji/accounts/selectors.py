"""Reads of accounts, scoped (SPEC F-11, F-13)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from xueji.org.selectors import authorities_for, authority_prefix, schools_for

from .models import ApiToken, Role, User, UserSession


def users_for(user) -> QuerySet[User]:
    """The accounts an authority user may see and manage: those of their authority and
    every authority and school below it. Other users manage no accounts."""
    prefix = authority_prefix(user)
    if prefix is None:
        return User.objects.none()
    # Two indexed IN-subqueries rather than an OR across two joins, which would make the
    # database walk every account.
    return User.objects.filter(
        Q(authority__in=authorities_for(user)) | Q(school__in=schools_for(user))
    ).select_related("authority", "school")


def online_sessions_for(user) -> QuerySet[UserSession]:
    """在线用户: sessions active within the session timeout, of accounts in scope."""
    since = timezone.now() - dt.timedelta(minutes=settings.XUEJI_SESSION_TIMEOUT_MINUTES)
    return UserSession.objects.filter(
        user__in=users_for(user), last_seen_at__gte=since
    ).select_related("user", "user__authority", "user__school")


def same_unit(a: User, b: User) -> bool:
    """Both accounts act for the same school or the same authority."""
    if a.school_id:
        return a.school_id == b.school_id
    return a.authority_id is not None and a.authority_id == b.authority_id


def tokens_for(user) -> QuerySet[ApiToken]:
    """API tokens the user may see: their own, and an administrator's those of every
    account in scope (to revoke them)."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    own = Q(user=user)
    if user.role == Role.AUTHORITY_ADMIN:
        own |= Q(user__in=users_for(user))
    return ApiToken.objects.filter(own).select_related("user", "revoked_by")


def first_user(role: str, *, school=None, authority=None) -> User | None:
    """The earliest active account of ``role`` at ``school`` (or else at ``authority``): the
    person the demo data acts as (not scoped: demo loaders run without a user)."""
    users = User.objects.filter(role=role, is_active=True)
    users = users.filter(school=school) if school is not None else users.filter(authority=authority)
    return users.order_by("pk").first()
