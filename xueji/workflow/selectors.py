"""Reads of the approval workflow, always limited to the user's data scope (SPEC F-11).

- a school user (registrar, leader, data-check account) sees the businesses of their
  school; a class teacher only those they applied for; a parent none;
- an authority user sees every business of the schools in their scope (so every reviewer
  of a chain sees it: the chain's authorities are the school supervisor's ancestors).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.org.models import Authority, School
from xueji.org.selectors import get_in_scope

from . import registry, rules
from .models import Business, BusinessStatus, BusinessWindow, Material, ProcessConfig


def businesses_for(user) -> QuerySet[Business]:
    """Every business (open or finished) ``user`` may see."""
    if not user.is_authenticated:
        return Business.objects.none()
    if user.is_authority_user:
        return Business.objects.filter(school__supervisor__prefix__startswith=user.authority.prefix)
    if user.role == Role.CLASS_TEACHER:
        return Business.objects.filter(applicant=user)
    if user.is_school_user:
        return Business.objects.filter(school_id=user.school_id)
    return Business.objects.none()


def _with_relations(queryset: QuerySet[Business]) -> QuerySet[Business]:
    return queryset.select_related("school", "student", "current_authority")


def queue_for(user) -> QuerySet[Business]:
    """待审核业务: businesses waiting at the user's step — a school leader's school step,
    an authority registrar's own authority. Businesses not yet reported (上报) to the
    authority stay out; those on another hold show (and can't be decided)."""
    if not user.is_authenticated:
        return Business.objects.none()
    base = Business.objects.filter(status=BusinessStatus.OPEN)
    if user.role == Role.SCHOOL_LEADER:
        queue = base.filter(current_level=registry.SCHOOL, school_id=user.school_id)
    elif user.role == Role.AUTHORITY_REGISTRAR:
        queue = base.filter(current_authority_id=user.authority_id)
    else:
        return Business.objects.none()
    hidden = registry.hidden_holds()
    if hidden:
        queue = queue.exclude(hold__in=hidden)
    return _with_relations(queue)


def decidable_queue_for(user) -> QuerySet[Business]:
    """The queue without the businesses on hold: what the user can decide now."""
    return queue_for(user).filter(hold="")


def open_businesses_for(user) -> QuerySet[Business]:
    """异动在办业务查询 (F-33): every open business in scope."""
    return _with_relations(businesses_for(user).filter(status=BusinessStatus.OPEN))


def business_for(request, pk: int) -> Business:
    """One business in the user's scope; otherwise 404 and an audit entry."""
    return get_in_scope(
        request, _with_relations(businesses_for(request.user)).select_related("applicant"), "业务", pk=pk,
    )


def material_for(request, pk: int) -> Material:
    """One proof material of a business in the user's scope; otherwise 404 and audit."""
    materials = Material.objects.filter(business__in=businesses_for(request.user)).select_related("business")
    return get_in_scope(request, materials, "证明材料", pk=pk)


def age_in_days(business: Business, now=None) -> int:
    now = now or timezone.now()
    return max(0, (now - business.created_at).days)


# --- configuration -------------------------------------------------------------------------
def configs_for(user) -> QuerySet[ProcessConfig]:
    """业务流程配置 a user may see: the ones that apply to their unit (set above it) and,
    for an authority user, the ones set within their scope."""
    if not user.is_authenticated:
        return ProcessConfig.objects.none()
    if user.is_authority_user:
        above = [a.pk for a in user.authority.ancestors()]
        queryset = ProcessConfig.objects.filter(
            Q(scope_id__in=above) | Q(scope__prefix__startswith=user.authority.prefix)
        )
    elif user.is_school_user:
        queryset = ProcessConfig.objects.filter(scope_id__in=[a.pk for a in user.school.supervisor.ancestors()])
    else:
        return ProcessConfig.objects.none()
    return queryset.select_related("scope")


def editable_configs_for(user) -> QuerySet[ProcessConfig]:
    """The configurations ``user`` may change: those of their own scope."""
    if not rules.can_manage_configs(user):
        return ProcessConfig.objects.none()
    return ProcessConfig.objects.filter(scope__prefix__startswith=user.authority.prefix).select_related("scope")


def config_scopes_for(user) -> QuerySet[Authority]:
    """The scopes (作用范围) ``user`` may configure: their authority and those below it."""
    if not rules.can_manage_configs(user):
        return Authority.objects.none()
    return Authority.objects.filter(prefix__startswith=user.authority.prefix, is_active=True).order_by("code")


def config_for_school(school: School, kind: str, stage: str) -> ProcessConfig | None:
    """The configuration in force for ``kind`` at ``school`` and ``stage``: the most
    specific of those set for the school's supervising authority and its ancestors."""
    chain = school.supervisor.ancestors()
    candidates = ProcessConfig.objects.filter(
        business_type=kind, category=school.category, stage=stage, scope_id__in=[a.pk for a in chain],
    ).select_related("scope")
    return rules.pick_config(candidates, school.category, stage, [a.prefix for a in chain])


# --- business windows ------------------------------------------------------------------------
def windows_for(user) -> QuerySet[BusinessWindow]:
    """业务时间控制 a user may see: set above (they apply to the user) or within scope."""
    if not user.is_authenticated:
        return BusinessWindow.objects.none()
    if user.is_authority_user:
        above = [a.pk for a in user.authority.ancestors()]
        queryset = BusinessWindow.objects.filter(
            Q(authority_id__in=above) | Q(authority__prefix__startswith=user.authority.prefix)
        )
    elif user.is_school_user:
        queryset = BusinessWindow.objects.filter(
            authority_id__in=[a.pk for a in user.school.supervisor.ancestors()]
        )
    else:
        return BusinessWindow.objects.none()
    return queryset.select_related("authority")


def windows_for_school(school: School, now=None) -> QuerySet[BusinessWindow]:
    """Windows set by the school's province or the ministry still in force at ``now``."""
    now = now or timezone.now()
    above = [a.pk for a in school.supervisor.ancestors() if a.level <= 1]
    return BusinessWindow.objects.filter(authority_id__in=above, starts_at__lte=now, ends_at__gte=now)


# --- to-do (首页待办) ------------------------------------------------------------------------
def pending_review_count(user) -> int:
    return decidable_queue_for(user).count() if user.role in {Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR} else 0
