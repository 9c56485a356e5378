"""Audit reads, always scoped (F-11, F-15): who may see which entries, and the search."""

from __future__ import annotations

import datetime as dt
import ipaddress

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEntry


def can_read_audit_log(user) -> bool:
    """Only education-authority users (教育部门学籍管理员, 系统管理员) search the log."""
    return bool(
        user is not None and getattr(user, "is_authenticated", False)
        and getattr(user, "is_authority_user", False) and user.authority_id
    )


def entries_visible_to(user) -> QuerySet[AuditEntry]:
    """The entries ``user`` may see: for an authority user, those whose authority prefix
    starts with their authority's prefix (the ministry's '' sees all); nobody else sees
    any."""
    if not can_read_audit_log(user):
        return AuditEntry.objects.none()
    prefix = user.authority.prefix
    entries = AuditEntry.objects.all()
    if prefix:
        entries = entries.filter(authority_prefix__startswith=prefix)
    return entries


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search_entries(
    entries: QuerySet[AuditEntry],
    *,
    date_from: dt.date | dt.datetime | None = None,
    date_to: dt.date | dt.datetime | None = None,
    action: str = "",
    actor: str = "",
    object_id: str = "",
    ip: str = "",
    text: str = "",
) -> QuerySet[AuditEntry]:
    """Narrow an already scoped queryset by the search conditions.

    - ``date_from`` / ``date_to``: dates are whole days in the site's time zone (both
      inclusive); datetimes are used as given (``date_to`` exclusive).
    - ``action``: an exact code (``auth.login_failed``) or an area (``auth``: every
      ``auth.*`` code).
    - ``actor``: part of the username or the real name.
    - ``object_id``: the exact object identifier.
    - ``ip``: a whole address, or the beginning of one (``10.1.``).
    - ``text``: part of the summary.
    """
    if date_from:
        start = date_from if isinstance(date_from, dt.datetime) else _day_start(date_from)
        entries = entries.filter(occurred_at__gte=start)
    if date_to:
        end = (date_to if isinstance(date_to, dt.datetime)
               else _day_start(date_to + dt.timedelta(days=1)))
        entries = entries.filter(occurred_at__lt=end)
    action = (action or "").strip()
    if action:
        area = action.rstrip(".")
        entries = entries.filter(Q(action=area) | Q(action__startswith=area + "."))
    actor = (actor or "").strip()
    if actor:
        entries = entries.filter(Q(actor_username__icontains=actor) | Q(actor_name__icontains=actor))
    object_id = (object_id or "").strip()
    if object_id:
        entries = entries.filter(object_id=object_id)
    ip = (ip or "").strip()
    if ip:
        try:
            entries = entries.filter(ip_address=str(ipaddress.ip_address(ip)))
        except ValueError:
            entries = entries.filter(ip_address__startswith=ip)
    text = (text or "").strip()
    if text:
        entries = entries.filter(summary__icontains=text)
    return entries


def visible_entry(user, pk: int) -> AuditEntry | None:
    """Entry number ``pk`` if ``user`` may see it, else None."""
    return entries_visible_to(user).filter(pk=pk).first()
