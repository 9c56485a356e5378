"""升级 reads, scoped to the user: the moment in force, the runs and the school reports."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from xueji.org.models import Authority, School
from xueji.org.selectors import authority_prefix, schools_for

from . import rules
from .models import PromotionMoment, PromotionRun, SchoolPromotion


def province_of(authority: Authority) -> Authority | None:
    """The province an authority is in (itself for a province; None for the ministry)."""
    for node in authority.ancestors():
        if node.level == 1:
            return node
    return None


def moment_values(authority: Authority) -> tuple[tuple[int, int, int, int], str]:
    """(month, day, hour, minute) in force for a province and who set it: its own, else
    the ministry's national default, else the built-in default."""
    for node in authority.ancestors():
        moment = PromotionMoment.objects.filter(authority=node).first()
        if moment is not None:
            return (moment.month, moment.day, moment.hour, moment.minute), node.name
    return rules.DEFAULT_MOMENT, "系统默认"


def moment_at(authority: Authority, year: int) -> dt.datetime:
    values, _ = moment_values(authority)
    return rules.moment_in(year, *values, timezone.get_current_timezone())


def runs_for(user) -> QuerySet[PromotionRun]:
    """The runs of the user's province (the ministry: every province)."""
    prefix = authority_prefix(user)
    if prefix is not None:
        return PromotionRun.objects.filter(authority__prefix__startswith=prefix[:2]).select_related("authority", "job")
    if user.is_authenticated and user.is_school_user and user.school_id:
        return PromotionRun.objects.filter(
            authority__prefix=user.school.supervisor.prefix[:2]).select_related("authority", "job")
    return PromotionRun.objects.none()


def reports_for(user) -> QuerySet[SchoolPromotion]:
    """School reports in the user's scope."""
    return SchoolPromotion.objects.filter(school__in=schools_for(user)).select_related("school", "run")


def school_of(user) -> School | None:
    return user.school if user.is_authenticated and user.is_school_user else None
