"""升级 pages: the province's page (moment, start, progress, report per school), the
ministry's national default, the schools' reports for the authorities below and a
school's own report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from xueji.common.lists import paginate_sorted
from xueji.org import selectors as org_selectors

from . import rules, selectors, services
from .models import SchoolState


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


@login_required
def index(request):
    user = request.user
    if not rules.can_read_reports(user):
        raise PermissionDenied("无权查看升级")
    if user.is_school_user:
        return redirect("promotion:school_report", pk=user.school_id)
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "moment":
                services.set_moment(user, month=request.POST.get("month"), day=request.POST.get("day"),
                                    hour=request.POST.get("hour"), minute=request.POST.get("minute"),
                                    request=request)
                messages.success(request, "升级时间已保存")
                return redirect("promotion:index")
            if action == "start":
                run = services.start_promotion(user, request=request)
                return redirect("jobs:detail", pk=run.job_id) if run.job_id else redirect("promotion:index")
            raise ValidationError("未知的操作")
        except ValidationError as error:
            errors = _errors(error)
    province = selectors.province_of(user.authority) if user.authority else None
    values, source = selectors.moment_values(province or user.authority)
    runs = selectors.runs_for(user)
    run = runs.filter(authority=province).first() if province else None
    reports = selectors.reports_for(user).filter(run=run) if run else selectors.reports_for(user).none()
    state = request.GET.get("state", "")
    if state in SchoolState.values:
        reports = reports.filter(state=state)
    result = paginate_sorted(request, reports, {"school": "school__code", "moved": "moved"}, "school")
    return render(request, "promotion/index.html", {
        "errors": errors, "moment": rules.moment_label(*values), "moment_values": values, "source": source,
        "can_configure": rules.can_configure(user), "can_start": rules.can_start(user), "province": province,
        "run": run, "runs": runs if province is None else [], "result": result, "state": state,
        "states": SchoolState.choices,
    })


@login_required
def school_report(request, pk: int):
    """A school's report: what moved (年级 before → after, how many), what did not and why."""
    if not rules.can_read_reports(request.user):
        raise PermissionDenied("无权查看升级")
    school = org_selectors.get_in_scope(request, org_selectors.schools_for(request.user), "学校", pk=pk)
    province = selectors.province_of(school.supervisor)
    values, _ = selectors.moment_values(province or school.supervisor)
    rows = selectors.reports_for(request.user).filter(school=school).order_by("-run__school_year")
    return render(request, "promotion/school_report.html", {
        "school": school, "rows": rows, "moment": rules.moment_label(*values),
    })
