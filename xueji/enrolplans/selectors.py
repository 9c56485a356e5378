"""Reads of 招生计划数, each scoped to the user's data scope; and the two reads the
admission pages use (``plan_for``, ``plans_by_school``), which take a school (or ids)
the caller has already scoped."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Q, QuerySet, Subquery

from xueji.org import selectors as org_selectors
from xueji.org.models import School
from xueji.org.roles import Role

from . import rules
from .models import ChangeState, EnrolmentPlan, PlanChange

#: Who sees 招生计划数: the school's registrar and leader (their own, read-only), every
#: authority registrar (its scope).
VIEWERS = (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR)
#: A school offers a stage when it is marked and has its 学制 (years).
_STAGE_FILTER = {"1": {"has_primary": True, "primary_years__isnull": False},
                 "2": {"has_junior": True, "junior_years__isnull": False},
                 "3": {"has_senior": True, "senior_years__isnull": False}}


class FilterRefused(Exception):
    """A filter names something outside the user's scope (or not an id at all): the view
    answers 403 and writes ``scope.denied``."""

    def __init__(self, what: str, lookup: dict):
        super().__init__(what)
        self.what, self.lookup = what, lookup


def may_set(user) -> bool:
    """County, city and province registrars set the plans of the schools in their scope
    (the ministry reads them)."""
    return (user.is_authenticated and user.role == Role.AUTHORITY_REGISTRAR and user.authority is not None
            and user.authority.level in (1, 2, 3))


def school_years(school: School) -> dict[str, int | None]:
    return {"1": school.primary_years, "2": school.junior_years, "3": school.senior_years}


def school_stages(school: School) -> list[str]:
    """The stages the school offers (marked, with its 学制)."""
    years = school_years(school)
    return [s for s in school.stages if years.get(s)]


def schools_with_stage(user, stage: str) -> QuerySet[School]:
    """The schools in the user's scope offering ``stage``."""
    return org_selectors.schools_for(user).filter(**_STAGE_FILTER[stage])


def with_plan(schools: QuerySet[School], year: int, stage: str) -> QuerySet[School]:
    plans = EnrolmentPlan.objects.filter(school=OuterRef("pk"), year=year, stage=stage)
    return schools.annotate(planned=Subquery(plans.values("planned")[:1]),
                            plan_updated=Subquery(plans.values("updated_at")[:1]),
                            plan_unit=Subquery(plans.values("updated_unit")[:1]))


def plan_rows(user, *, year: int, stage: str, school_id: int | None = None, query: str = "",
              unset: bool = False) -> QuerySet[School]:
    """The rows of 招生计划数 for an authority: one per school in scope offering ``stage``,
    with its plan for ``year`` (``planned`` None: 未设置). ``school_id`` outside the
    scope raises :class:`FilterRefused`."""
    schools = schools_with_stage(user, stage)
    if school_id is not None:
        if not org_selectors.schools_for(user).filter(pk=school_id).exists():
            raise FilterRefused("学校", {"school": school_id})
        schools = schools.filter(pk=school_id)
    query = (query or "").strip()[:50]
    if query:
        schools = schools.filter(Q(name__contains=query) | Q(code=query))
    rows = with_plan(schools.select_related("supervisor"), year, stage)
    if unset:
        rows = rows.filter(planned__isnull=True)
    return rows


def plans_for(user) -> QuerySet[EnrolmentPlan]:
    if not user.is_authenticated or user.role not in VIEWERS:
        return EnrolmentPlan.objects.none()
    return EnrolmentPlan.objects.filter(school__in=org_selectors.schools_for(user))


def school_plans(school: School, years: Iterable[int]) -> list[dict]:
    """A school's own view: per year and stage it offers, the plan (None: 未设置) and the
    grade it is for."""
    years = list(years)
    found = {(p.year, p.stage): p for p in EnrolmentPlan.objects.filter(school=school, year__in=years)}
    open_changes = {(c.year, c.stage): c for c in PlanChange.objects.filter(school=school, year__in=years,
                                                                            state=ChangeState.OPEN)}
    rows = []
    for year in sorted(years, reverse=True):
        for stage in school_stages(school):
            plan = found.get((year, stage))
            rows.append({"year": year, "stage": stage, "stage_label": rules.stage_label(stage),
                         "grade": rules.first_grade_label(stage, school_years(school)),
                         "planned": plan.planned if plan else None, "plan": plan,
                         "open_change": open_changes.get((year, stage))})
    return rows


def changes_for(user) -> QuerySet[PlanChange]:
    if not user.is_authenticated or user.role not in VIEWERS:
        return PlanChange.objects.none()
    return (PlanChange.objects.filter(school__in=org_selectors.schools_for(user))
            .select_related("school", "business"))


def change_for(request, pk) -> PlanChange:
    return org_selectors.get_in_scope(request, changes_for(request.user), "招生计划数变更", pk=pk)


def changes_waiting_for(user) -> QuerySet[PlanChange]:
    """Open requests whose current step is the user's authority (待核办)."""
    if not user.is_authenticated or user.role != Role.AUTHORITY_REGISTRAR or user.authority_id is None:
        return PlanChange.objects.none()
    return changes_for(user).filter(state=ChangeState.OPEN, business__current_authority_id=user.authority_id)


# --- for the admission pages -------------------------------------------------------------------
def plan_for(school, year: int, stage: str) -> int | None:
    """招生计划数 of ``school`` (a School or its id) for ``year`` and ``stage``; None when
    not set. No scope check: the caller shows it for a school it already scoped."""
    school_id = getattr(school, "pk", school)
    return (EnrolmentPlan.objects.filter(school_id=school_id, year=year, stage=stage)
            .values_list("planned", flat=True).first())


def plans_by_school(school_ids: Iterable[int], year: int, stage: str | None = None) -> dict[tuple[int, str], int]:
    """``{(school id, stage): planned}`` of the schools ``school_ids`` for ``year`` (one
    query; a school/stage without a plan is absent). With ``rules.plan_progress`` the
    admission pages show 计划数 vs 已录取."""
    plans = EnrolmentPlan.objects.filter(school_id__in=list(school_ids), year=year)
    if stage is not None:
        plans = plans.filter(stage=stage)
    return {(school_id, s): n for school_id, s, n in plans.values_list("school_id", "stage", "planned")}
