"""Reads of organisation data, always limited to the user's data scope (SPEC F-11).

The scope of a user:
- an authority user (教育部门): their authority and every authority below it, and every
  school whose supervising authority (主管教育行政部门) is one of those;
- a school user (学校): their own school; a class teacher only their own classes;
- a parent: nothing of the organisation beyond what their child's record shows.

Views and the API never build an organisation queryset themselves: they ask here, so a
queryset that is not scoped cannot reach a template.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from xueji.org.roles import Role

from .models import Authority, Division, Grade, School, SchoolClass, Term
from .rules import (
    PLACEHOLDER_NAMES,
    DivisionNames,
    build_division_names,
    chain_from_top,
    lowest_common_superior,
)


class ScopeViolation(Http404):
    """Something outside the user's scope was asked for. A 404, so that guessing ids
    tells nothing about what exists elsewhere."""


def authority_prefix(user) -> str | None:
    """The authority prefix an authority user reaches below; None for other users."""
    if user.is_authenticated and user.is_authority_user:
        return user.authority.prefix
    return None


def authorities_for(user) -> QuerySet[Authority]:
    prefix = authority_prefix(user)
    if prefix is None:
        if user.is_authenticated and user.is_school_user:
            return Authority.objects.filter(pk=user.school.supervisor_id)
        return Authority.objects.none()
    return Authority.objects.filter(prefix__startswith=prefix)


def divisions_for(user) -> QuerySet[Division]:
    prefix = authority_prefix(user)
    if prefix is None:
        if user.is_authenticated and user.is_school_user:
            return Division.objects.filter(pk=user.school.division_id)
        return Division.objects.none()
    return Division.objects.filter(code__startswith=prefix)


def division_children(parent: str = "") -> list[dict]:
    """The active divisions under ``parent`` (the provinces without one), for the division
    picker: ``{"code", "name", "leaf"}``, leaving out the placeholder counties 市辖区;
    ``leaf``: nothing active below (a county, or a city without counties: 东莞市)."""
    divisions = Division.objects.filter(is_active=True)
    divisions = divisions.filter(parent_id=parent) if parent else divisions.filter(level=1)
    divisions = divisions.exclude(level=3, name__in=PLACEHOLDER_NAMES).annotate(
        n_children=Count("children", filter=Q(children__is_active=True)))
    return [
        {"code": code, "name": name, "leaf": level == 3 or not n_children}
        for code, name, level, n_children
        in divisions.order_by("code").values_list("code", "name", "level", "n_children")
    ]


def division_label(code: str) -> str:
    """A division code with its full name ("440106000000 广东省广州市天河区"); the code alone
    when the national list does not have it."""
    division = Division.objects.select_related("parent__parent").filter(code=code).first() if code else None
    return f"{code} {division.full_name}" if division else (code or "")


def schools_for(user) -> QuerySet[School]:
    """The schools a user may see."""
    prefix = authority_prefix(user)
    if prefix is not None:
        return School.objects.filter(supervisor__prefix__startswith=prefix)
    if user.is_authenticated and user.is_school_user:
        return School.objects.filter(pk=user.school_id)
    return School.objects.none()


def grades_for(user) -> QuerySet[Grade]:
    if user.is_authenticated and user.role == Role.CLASS_TEACHER:
        return Grade.objects.filter(classes__head_teacher=user).distinct()
    return Grade.objects.filter(school__in=schools_for(user))


def classes_for(user) -> QuerySet[SchoolClass]:
    if user.is_authenticated and user.role == Role.CLASS_TEACHER:
        return SchoolClass.objects.filter(head_teacher=user)
    return SchoolClass.objects.filter(school__in=schools_for(user))


def terms_for(user) -> QuerySet[Term]:
    """Terms set by the user's authority chain: those above (which apply to the user)
    and, for an authority user, those below."""
    if not user.is_authenticated:
        return Term.objects.none()
    if user.is_authority_user:
        above = [a.pk for a in user.authority.ancestors()]
        return Term.objects.filter(
            Q(authority__in=above) | Q(authority__prefix__startswith=user.authority.prefix)
        )
    if user.is_school_user:
        return Term.objects.filter(authority__in=[a.pk for a in user.school.supervisor.ancestors()])
    return Term.objects.none()


def current_term(authority: Authority, day) -> Term | None:
    """The term in force on ``day`` for ``authority``: the nearest authority up the chain
    that set one covering the day."""
    chain = authority.ancestors()
    terms = {
        t.authority_id: t
        for t in Term.objects.filter(
            authority__in=[a.pk for a in chain], start_date__lte=day, end_date__gte=day
        )
    }
    for node in chain:
        if node.pk in terms:
            return terms[node.pk]
    return None


def get_in_scope(request, queryset: QuerySet, what: str, **lookup):
    """The one object of ``queryset`` (already scoped for ``request.user``) matching
    ``lookup``; otherwise a 404 and an audit entry (越权访问) naming what was asked for."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        record_scope_violation(request, what, lookup)
        raise ScopeViolation(f"{what}不存在或不在您的数据范围内")
    return obj


def record_scope_violation(request, what: str, lookup: dict) -> None:
    from xueji.audit.services import record_event

    asked = ", ".join(f"{k}={v}" for k, v in lookup.items())
    record_event(
        action="scope.denied",
        summary=f"越权访问被拒绝: {what} ({asked}) {request.method} {request.path}",
        actor=request.user if request.user.is_authenticated else None,
        request=request,
        after={"what": what, "lookup": {k: str(v) for k, v in lookup.items()}},
    )


def chosen_in_scope(request, queryset: QuerySet, values, what: str) -> QuerySet:
    """The objects a batch form names (``values``: the ids posted), all of which must be
    in ``queryset`` (the user's scope, or the list the page showed). Any id that is not
    (or is not an id at all) refuses the whole request: a ``scope.denied`` audit entry
    lists them and a ValidationError says so — nothing is silently dropped."""
    from django.core.exceptions import ValidationError

    from xueji.common.params import parse_ids

    ids, bad = parse_ids(values)
    found = set(queryset.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    refused = [str(pk) for pk in ids if pk not in found] + bad
    if refused:
        record_scope_violation(request, what, {"ids": ",".join(refused[:100])})
        raise ValidationError(
            f"所选{what}中有{len(refused)}项不存在、不在您的数据范围内或已不在当前列表中,本次操作未执行,请刷新页面后重新选择"
        )
    return queryset.filter(pk__in=ids)


def record_personal_view(request, what: str, target, *, school=None, summary: str = "") -> None:
    """A page that shows a person's full ID number (or other unmasked personal data)
    was viewed (F-16): one audit entry ``personal.viewed`` naming who saw what."""
    from xueji.audit.services import record_event

    record_event(
        action="personal.viewed",
        summary=f"查看个人信息:{what}{(' ' + summary) if summary else ''} {request.path}"[:500],
        actor=request.user if request.user.is_authenticated else None,
        request=request, target=target, school=school,
    )


_DIVISIONS: tuple[int, frozenset, frozenset, DivisionNames] | None = None


def division_sets() -> tuple[frozenset, frozenset, DivisionNames]:
    """Known 12-digit division codes, their 6-digit prefixes and the name index (籍贯 may
    be written "广东省广州市天河区") — what the field rules' context needs — cached while
    the table is unchanged (one COUNT a call)."""
    global _DIVISIONS
    count = Division.objects.count()
    if _DIVISIONS is None or _DIVISIONS[0] != count:
        rows = list(Division.objects.values_list("code", "name", "level", "parent_id"))
        codes = frozenset(code for code, *_ in rows)
        _DIVISIONS = (count, codes, frozenset(c[:6] for c in codes), build_division_names(rows))
    return _DIVISIONS[1], _DIVISIONS[2], _DIVISIONS[3]


def common_superior(supervisor_ids) -> Authority | None:
    """The lowest common superior authority of these supervising authorities
    (``rules.lowest_common_superior``; 教育部 across provinces): the arbiter of 问题学籍
    and of 重复招生. One query per level of the tree."""
    supervisors = {s for s in supervisor_ids if s is not None}
    parents: dict[int, int | None] = {}
    wanted = set(supervisors)
    while wanted:
        rows = dict(Authority.objects.filter(pk__in=wanted).values_list("pk", "parent_id"))
        parents.update(rows)
        wanted = {p for p in rows.values() if p is not None and p not in parents}
    pk = lowest_common_superior([chain_from_top(s, parents) for s in sorted(supervisors)])
    return Authority.objects.filter(pk=pk).first() if pk is not None else None
