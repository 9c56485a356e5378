"""Reads of 招生入学, scoped to the user (org.selectors' scope): the result rows a unit
sees, the school's lists (待录取, 待调档, 待分班), the 省内招生升学查询, the import
settings shown from the province down."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from xueji.accounts.models import Role
from xueji.common.params import id_number_query, national_number_query
from xueji.org.models import Authority

from . import rules, services
from .models import AdmissionResult, ImportSetting, State

VIEWERS = (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR)


def require(user, *roles) -> None:
    if getattr(user, "role", None) not in roles:
        raise PermissionDenied("您无权使用该功能")


def _base() -> QuerySet[AdmissionResult]:
    return AdmissionResult.objects.select_related("student", "graduating_school", "admitting_school", "grade", "klass",
                                                  "imported_by_school", "imported_by_authority", "graduate")


def results_for(user) -> QuerySet[AdmissionResult]:
    """Rows a user sees: a school's users those admitted into their school (and those
    their school imported); an authority user those whose admitting or graduating school
    is within the authority."""
    if user.is_authenticated and user.is_school_user and user.role in (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER):
        return _base().filter(Q(admitting_school_id=user.school_id) | Q(imported_by_school_id=user.school_id))
    if user.is_authenticated and user.role == Role.AUTHORITY_REGISTRAR:
        prefix = user.authority.prefix
        return _base().filter(Q(admitting_school__supervisor__prefix__startswith=prefix)
                              | Q(graduating_school__supervisor__prefix__startswith=prefix))
    return AdmissionResult.objects.none()


def school_list(user, state: str) -> QuerySet[AdmissionResult]:
    """The admitting school's rows in ``state`` (录取新生: 待录取; 调档: 待调档; 分班: 已调档)."""
    if not (user.is_authenticated and user.is_school_user):
        return AdmissionResult.objects.none()
    return _base().filter(admitting_school_id=user.school_id, state=state)


def filtered(queryset, params) -> QuerySet[AdmissionResult]:
    """The query conditions of the lists: 学籍号, 姓名, 教育阶段, 身份证件号, 状态, 招生年度.
    A value that can't be a condition (a stage or state that does not exist, a year that is
    not a number) refuses with 403."""
    number = national_number_query(params.get("number", ""))
    if number is None:
        raise PermissionDenied("学籍号查询条件不正确")
    if number:
        queryset = queryset.filter(student__national_number=number)
    name = (params.get("name") or "").strip()[:50]
    if name:
        queryset = queryset.filter(student__name__contains=name)
    stage = params.get("stage", "")
    if stage:
        if stage not in rules.ADMISSION_STAGES:
            raise PermissionDenied("教育阶段查询条件不正确")
        queryset = queryset.filter(stage=stage)
    id_number = id_number_query(params.get("id_number", ""))
    if id_number is None:
        raise PermissionDenied("身份证件号查询条件不正确")
    if id_number:
        queryset = queryset.filter(student__id_number=id_number)
    state = params.get("state", "")
    if state:
        if state not in State.values:
            raise PermissionDenied("状态查询条件不正确")
        queryset = queryset.filter(state=state)
    year = params.get("year", "")
    if year:
        if not year.isdigit() or len(year) != 4:
            raise PermissionDenied("招生年度查询条件不正确")
        queryset = queryset.filter(year=int(year))
    return queryset


def progression_for(user) -> QuerySet[AdmissionResult]:
    """省内招生升学查询: retrieved admissions (已调档 / 已分班) in the authority's scope."""
    if not (user.is_authenticated and user.role == Role.AUTHORITY_REGISTRAR):
        return AdmissionResult.objects.none()
    return results_for(user).filter(state__in=(State.RETRIEVED, State.PLACED))


def setting_rows(authority: Authority, stage: str) -> tuple[list[dict], rules.Effective, list[dict]]:
    """The settings from the province down to ``authority`` (页面默认显示从省级开始的各级教育
    部门的设置情况), then each subordinate authority with its effective level."""
    cache = services.SettingCache(stage)
    chain = cache.chain(authority)
    rows = []
    for pk, _level, value in chain:
        node = Authority.objects.get(pk=pk) if pk != authority.pk else authority
        rows.append({"authority": node, "setting": value,
                     "level_name": rules.LEVEL_NAMES[value.level] if value else "未设置",
                     "delegate": ("是" if value.delegate else "否") if value else "—"})
    effective = rules.effective_setting(chain)
    children = []
    for child in Authority.objects.filter(parent=authority, is_active=True).order_by("code"):
        child_effective = rules.effective_setting(cache.chain(child))
        children.append({"authority": child, "level_name": rules.LEVEL_NAMES[child_effective.level],
                         "may_set": child_effective.may_set})
    return rows, effective, children


def own_setting(authority: Authority, stage: str) -> ImportSetting | None:
    return ImportSetting.objects.filter(authority=authority, stage=stage).first()


def school_todo_counts(user) -> dict[str, int]:
    """The admitting school's 待录取 / 待调档 / 待分班 for the home page's to-dos, in one query
    (index ``(admitting_school, state)``). 待调档 leaves out duplicates not yet resolved: they
    cannot be retrieved (暂停调档) and wait under 待处理的重复招生 instead."""
    from django.db.models import Count

    keys = ("waiting", "approved", "retrieved")
    if not (user.is_authenticated and user.role == Role.SCHOOL_REGISTRAR and user.school_id):
        return dict.fromkeys(keys, 0)
    counts = AdmissionResult.objects.filter(
        admitting_school_id=user.school_id, state__in=(State.WAITING, State.APPROVED, State.RETRIEVED),
    ).aggregate(
        waiting=Count("pk", filter=Q(state=State.WAITING)),
        approved=Count("pk", filter=Q(state=State.APPROVED, duplicate=False)),
        retrieved=Count("pk", filter=Q(state=State.RETRIEVED)),
    )
    return {key: counts[key] or 0 for key in keys}


def school_importers(school) -> list[dict]:
    """招生结果管理 for a school's users: per admission stage the school has, the unit that
    imports its results by the import settings (本校, or the authority named)."""
    stages = [s for s, has in (("2", school.has_junior), ("3", school.has_senior)) if has]
    rows = []
    for stage in stages:
        unit = services.importer_of(school, stage)
        own = unit is not None and isinstance(unit, type(school)) and unit.pk == school.pk
        rows.append({"stage_name": rules.STAGE_NAMES[stage], "own": own,
                     "unit_name": "本校" if own else (unit.name if unit is not None else "主管教育行政部门")})
    return rows
