"""Reads of the approval workflow, always limited to the user's data scope (SPEC F-11).

- a school user (registrar, leader, data-check account) sees the businesses of their
  school — those it applied for and those it is a party of (the sending school of a
  transfer); a class teacher only those they applied for; a parent none;
- an authority user sees every business one of whose party schools is in their scope
  (so every reviewer of a chain sees it: the chain's authorities are the party schools'
  supervisors and their ancestors).

The other parties of a multi-party business are ``BusinessParty`` rows (indexed by
school), so each of these reads is one query.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.org.models import Authority, School
from xueji.org.selectors import get_in_scope

from . import registry, rules
from .models import (
    BatchMember,
    BatchOperation,
    BatchStatus,
    Business,
    BusinessParty,
    BusinessStatus,
    BusinessWindow,
    Material,
    ProcessConfig,
)


def businesses_for(user) -> QuerySet[Business]:
    """Every business (open or finished) ``user`` may see."""
    if not user.is_authenticated:
        return Business.objects.none()
    if user.is_authority_user:
        prefix = user.authority.prefix
        if not prefix:  # the ministry
            return Business.objects.all()
        # two indexed IN subqueries, not an OR across joins (docs/PERFORMANCE.md, the user list)
        schools = School.objects.filter(supervisor__prefix__startswith=prefix).values("pk")
        parties = BusinessParty.objects.filter(school_id__in=schools).values("business_id")
        return Business.objects.filter(Q(school_id__in=schools) | Q(pk__in=parties))
    if user.role == Role.CLASS_TEACHER:
        return Business.objects.filter(applicant=user)
    if user.is_school_user:
        parties = BusinessParty.objects.filter(school_id=user.school_id)
        return Business.objects.filter(Q(school_id=user.school_id) | Q(pk__in=parties.values("business_id")))
    return Business.objects.none()


def _with_relations(queryset: QuerySet[Business]) -> QuerySet[Business]:
    return queryset.select_related("school", "student", "current_authority")


def queue_for(user) -> QuerySet[Business]:
    """待审核业务: businesses waiting at the user's step — a school step of the leader's
    school (applicant or another party), an authority registrar's own authority.
    Businesses not yet reported (上报) to the authority stay out; those on another hold
    show (and can't be decided)."""
    if not user.is_authenticated:
        return Business.objects.none()
    base = Business.objects.filter(status=BusinessStatus.OPEN)
    if user.role == Role.SCHOOL_LEADER:
        if user.school_id is None:
            return Business.objects.none()
        queue = base.filter(current_school_id=user.school_id)
    elif user.role == Role.AUTHORITY_REGISTRAR:
        queue = base.filter(current_authority_id=user.authority_id)
    else:
        return Business.objects.none()
    hidden = registry.hidden_holds()
    if hidden:
        queue = queue.exclude(hold__in=hidden)
    return _with_relations(queue)


def queue_schools_for(user) -> QuerySet[School]:
    """The applicant schools a reviewer may filter the queue by: those in scope, and
    those whose businesses wait at the user's step (a transfer from another county)."""
    from xueji.org.selectors import schools_for

    return School.objects.filter(Q(pk__in=schools_for(user).values("pk"))
                                 | Q(pk__in=queue_for(user).order_by().values("school_id")))


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


# --- deadlines (办理期限) ------------------------------------------------------------------------
def overdue_queue_for(user, now=None) -> QuerySet[Business]:
    """超期未审核: the businesses waiting at the user's step past its deadline."""
    return queue_for(user).filter(step_due__lt=now or timezone.now())


def overdue_in_scope(user, now=None) -> QuerySet[Business]:
    """超期业务 of the user's scope (an authority's overview): open businesses of the
    schools in scope whose current step is past its deadline, wherever they wait."""
    return open_businesses_for(user).filter(step_due__lt=now or timezone.now())


# --- to-do (首页待办) ------------------------------------------------------------------------
def pending_review_count(user) -> int:
    """待审核业务 of the home page's to-dos: what the linked page lists — the queue (those on
    a hold it shows, such as 待查重认证, with the hold's name) and the batch operations."""
    if user.role not in {Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR}:
        return 0
    return queue_for(user).count() + batch_queue_for(user).count()


# --- batch operations (批量业务) ------------------------------------------------------------------
def batches_for(user) -> QuerySet[BatchOperation]:
    """Batch operations ``user`` may see: their school's; an authority's own and those of
    the schools and authorities in its scope."""
    if not user.is_authenticated:
        return BatchOperation.objects.none()
    queryset = BatchOperation.objects.select_related("school", "authority", "current_authority")
    if user.is_authority_user:
        prefix = user.authority.prefix
        if not prefix:
            return queryset
        return queryset.filter(Q(school__supervisor__prefix__startswith=prefix)
                               | Q(authority__prefix__startswith=prefix))
    if user.role in (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER):
        return queryset.filter(school_id=user.school_id)
    return BatchOperation.objects.none()


def batch_queue_for(user) -> QuerySet[BatchOperation]:
    """批量业务 waiting at the user's step (as :func:`queue_for`)."""
    base = BatchOperation.objects.filter(status=BatchStatus.REVIEWING).select_related("school", "authority")
    if user.role == Role.SCHOOL_LEADER and user.school_id is not None:
        return base.filter(current_school_id=user.school_id)
    if user.role == Role.AUTHORITY_REGISTRAR and user.authority_id is not None:
        return base.filter(current_authority_id=user.authority_id)
    return BatchOperation.objects.none()


def batch_for(request, pk: int) -> BatchOperation:
    """One batch operation in the user's scope; otherwise 404 and an audit entry."""
    return get_in_scope(request, batches_for(request.user), "批量业务", pk=pk)


def batch_failures(batch: BatchOperation) -> QuerySet[BatchMember]:
    return batch.members.filter(outcome="failed").select_related("student").order_by("student_id")


# --- what reviewers see of a business ----------------------------------------------------------
def facts_for(businesses) -> dict[int, dict[str, str]]:
    """Each type's reviewer facts (查重认证 …) of ``businesses`` (a page of them), one call
    per type: ``{business id: {label: text}}``."""
    by_kind: dict[str, list[Business]] = {}
    for business in businesses:
        by_kind.setdefault(business.kind, []).append(business)
    result: dict[int, dict[str, str]] = {}
    for kind, members in by_kind.items():
        btype = registry.find(kind)
        if btype is None or btype.facts is None:
            continue
        for pk, rows in btype.facts(members).items():
            result[pk] = dict(rows)
    return result


def fact_columns(businesses) -> list[str]:
    """The fact labels of the types among ``businesses``, in first-seen order."""
    columns: list[str] = []
    for kind in dict.fromkeys(b.kind for b in businesses):
        btype = registry.find(kind)
        for label in (btype.fact_columns if btype else ()):
            if label not in columns:
                columns.append(label)
    return columns


def parties_of(business: Business) -> list[tuple[str, School]]:
    """(Chinese role, school) of every party; a single-party business's one party is its
    applicant school."""
    btype = registry.find(business.kind)
    if btype is None or not btype.multi_party:
        return [("申请学校", business.school)]
    rows = {p.role: p.school for p in business.parties.select_related("school")}
    return [(party.name, rows[party.role]) for party in btype.all_parties if party.role in rows]


def division_names(codes) -> dict[str, str]:
    """{code: full name} (广东省广州市天河区, as on the school's page) of division codes."""
    from xueji.org.models import Division

    codes = [c for c in codes if c]
    if not codes:
        return {}
    return {d.code: d.full_name for d in Division.objects.filter(code__in=codes).select_related("parent__parent")}


def class_labels(school, codes) -> dict[str, str]:
    """{班号: label} (一年级1班(2026101), ``org.SchoolClass.label``) of classes of ``school``."""
    from xueji.org.models import SchoolClass

    codes = [c for c in codes if c]
    if school is None or not codes:
        return {}
    classes = SchoolClass.objects.filter(school=school, code__in=codes).select_related("grade", "school")
    return {c.code: c.label for c in classes}
