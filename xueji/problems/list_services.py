"""The one write of the 问题学籍 lists: a school marks its 催办 read. It changes no group
(the groups' writer is ``services``); it owns its transaction and audit entry."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.org.selectors import chosen_in_scope

from . import list_selectors


def mark_reminders_read(request, ids, *, every: bool = False) -> int:
    """标记为已读: the chosen unread 催办 of the user's school (``every``: all of them). An id
    that is not one of the school's refuses the whole request (``scope.denied``)."""
    user = request.user
    unread = list_selectors.unread_reminders(user)
    if not every:
        if not ids:
            raise ValidationError("请选择要标记为已读的催办")
        unread = chosen_in_scope(request, list_selectors.reminders_for(user), ids, "催办").filter(
            read_at__isnull=True)
    with transaction.atomic():
        chosen = list(unread.select_for_update().values_list("pk", flat=True))
        if not chosen:
            return 0
        count = unread.model.objects.filter(pk__in=chosen).update(read_at=timezone.now())
        record_event(action="problems.reminders_read", summary=f"问题学籍催办标记为已读:{count}条",
                     actor=user, request=request, school=user.school, after={"count": count, "ids": chosen[:100]})
    return count
