"""Thin views of 招生计划数 and 招生计划数变更核办."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xueji.common.forms import error_messages
from xueji.common.lists import paginate_sorted
from xueji.common.params import local_url, parse_id
from xueji.common.spreadsheets import xlsx_response
from xueji.jobs.selectors import jobs_for
from xueji.org import selectors as org_selectors
from xueji.org.roles import Role

from . import rules, selectors, services
from .forms import PlanSheetForm
from .models import ChangeState


def _require(user, *roles) -> None:
    if user.role not in roles:
        raise PermissionDenied("您无权使用该功能")


def _refuse_filter(request, what: str, lookup: dict):
    org_selectors.record_scope_violation(request, what, lookup)
    refusal = PermissionDenied(f"所选{what}不存在或不在您的数据范围内")
    refusal.audited = True
    raise refusal


def _filters(request) -> dict:
    """The list's conditions; a bad one (not a year, an unknown stage, a school that is
    not an id or not in scope) is a 403."""
    data = request.GET
    today = timezone.localdate()
    year = rules.enrolment_year(today) if not data.get("year") else rules.parse_year(data["year"])
    if year is None:
        raise PermissionDenied("招生年度不正确")
    stage = data.get("stage") or "1"
    if stage not in rules.STAGE_NAMES:
        raise PermissionDenied("教育阶段不正确")
    school = None
    if data.get("school"):
        school = parse_id(data["school"])
        if school is None:
            _refuse_filter(request, "学校", {"school": data["school"][:20]})
    return {"year": year, "stage": stage, "school": school, "q": (data.get("q") or "").strip()[:50],
            "unset": data.get("unset") == "1"}


@login_required
def plans(request):
    """招生计划数: authorities the schools of their scope (set one by one or by Excel);
    a school its own plans, read-only, with 申请变更 and its requests."""
    user = request.user
    _require(user, *selectors.VIEWERS)
    if user.is_school_user:
        years = rules.settable_years(timezone.localdate())
        return render(request, "enrolplans/school_plans.html", {
            "rows": selectors.school_plans(user.school, years),
            "changes": selectors.changes_for(user).order_by("-created_at")[:50],
            "can_request": user.role == Role.SCHOOL_REGISTRAR, "plan_max": rules.PLAN_MAX,
        })
    f = _filters(request)
    try:
        rows = selectors.plan_rows(user, year=f["year"], stage=f["stage"], school_id=f["school"], query=f["q"],
                                   unset=f["unset"])
    except selectors.FilterRefused as refused:
        _refuse_filter(request, refused.what, refused.lookup)
    result = paginate_sorted(request, rows, {"code": "code", "name": "name"}, "code")
    job = None
    if request.GET.get("job"):
        job = org_selectors.get_in_scope(request, jobs_for(user).filter(kind=services.IMPORT_JOB), "后台任务",
                                         pk=parse_id(request.GET["job"]) or 0)
    listed = [{"school": s, "grade": rules.first_grade_label(f["stage"], selectors.school_years(s))}
              for s in result.page]
    return render(request, "enrolplans/plans.html", {
        "f": f, "result": result, "page": result.page, "rows": listed, "can_set": selectors.may_set(user),
        "stages": list(rules.STAGE_NAMES.items()), "years": rules.settable_years(timezone.localdate()),
        "form": PlanSheetForm(), "job": job, "outcome": (job.result or {}) if job else None,
        "plan_max": rules.PLAN_MAX, "here": request.get_full_path(),
    })


@login_required
@require_POST
def plan_set(request):
    user = request.user
    if not selectors.may_set(user):
        raise PermissionDenied("只有区县、地市、省级教育行政部门学籍管理员可以设置招生计划数")
    school = org_selectors.get_in_scope(request, org_selectors.schools_for(user), "学校",
                                        pk=parse_id(request.POST.get("school")) or 0)
    try:
        plan = services.set_plan(user, school, request.POST.get("year"), request.POST.get("stage"),
                                 request.POST.get("planned"), request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        messages.success(request, f"已设置{school.name}{plan.year}年{rules.STAGE_NAMES[plan.stage]}招生计划数:{plan.planned}")
    return redirect(local_url(request.POST.get("next"), request, reverse("enrolplans:plans")))


@login_required
def template(request):
    """The template of plans to fill: the schools of the scope for a year (and stage)."""
    user = request.user
    if not selectors.may_set(user):
        raise PermissionDenied("只有区县、地市、省级教育行政部门学籍管理员可以导入招生计划数")
    year = rules.parse_year(request.GET.get("year") or rules.enrolment_year(timezone.localdate()))
    stage = request.GET.get("stage") or ""
    if year is None or (stage and stage not in rules.STAGE_NAMES):
        raise PermissionDenied("招生年度或教育阶段不正确")
    content = services.template_workbook(user, year, [stage] if stage else rules.STAGES)
    return xlsx_response(content, f"招生计划数{year}.xlsx", f"enrolment-plans-{year}.xlsx")


@login_required
@require_POST
def plan_import(request):
    user = request.user
    if not selectors.may_set(user):
        raise PermissionDenied("只有区县、地市、省级教育行政部门学籍管理员可以导入招生计划数")
    form = PlanSheetForm(request.POST, request.FILES)
    if not form.is_valid():
        for message in form.errors.get("file", ["请选择文件"]):
            messages.error(request, message)
        return redirect("enrolplans:plans")
    job = services.submit_import(user, form.cleaned_data["file"], request=request)
    return redirect("jobs:detail", pk=job.pk)


@login_required
@require_POST
def change_request(request):
    user = request.user
    _require(user, Role.SCHOOL_REGISTRAR)
    data = request.POST
    try:
        change = services.request_change(user, year=data.get("year"), stage=data.get("stage"),
                                         requested=data.get("requested"), reason=data.get("reason", ""),
                                         request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        messages.success(request, f"已提交{change.year}年{change.stage_name}招生计划数变更申请,等待主管教育行政部门审核")
    return redirect("enrolplans:plans")


_STATES = {"open": [ChangeState.OPEN], "done": [ChangeState.APPROVED, ChangeState.REJECTED, ChangeState.WITHDRAWN],
           "all": None}


@login_required
def changes(request):
    """招生计划数变更核办: the requests of the scope; those at the user's authority are decided here."""
    user = request.user
    _require(user, Role.AUTHORITY_REGISTRAR)
    state = request.GET.get("state") or "open"
    if state not in _STATES:
        raise PermissionDenied("状态不正确")
    queryset = selectors.changes_for(user)
    if _STATES[state]:
        queryset = queryset.filter(state__in=_STATES[state])
    result = paginate_sorted(request, queryset, {"created": "created_at"}, "-created")
    rows = [{"c": c, "can_decide": c.state == ChangeState.OPEN and c.business is not None
             and c.business.current_authority_id == user.authority_id} for c in result.page]
    return render(request, "enrolplans/changes.html", {
        "rows": rows, "result": result, "page": result.page, "state": state,
        "states": [("open", "待核办"), ("done", "已办结"), ("all", "全部")],
    })


@login_required
@require_POST
def change_decide(request, pk: int):
    change = selectors.change_for(request, pk)
    passed = request.POST.get("passed")
    if passed not in ("1", "0"):
        messages.error(request, "请选择同意或不同意")
        return redirect("enrolplans:changes")
    try:
        services.decide_change(request.user, change, passed == "1", request.POST.get("opinion", ""), request=request)
    except (ValidationError, PermissionDenied) as error:
        for message in getattr(error, "messages", [str(error)]):
            messages.error(request, message)
    else:
        messages.success(request, f"已{'同意' if passed == '1' else '不同意'}{change.school.name}的招生计划数变更申请")
    return redirect("enrolplans:changes")
