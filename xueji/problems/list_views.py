"""问题学籍 lists, query, overview (问题学籍概况) and 催办 pages. Thin: conditions in
``list_forms``, scope and reads in ``list_selectors``, what a row shows in ``list_rules``,
the export job in ``jobs``, the one write (marking 催办 read) in ``list_services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xueji.accounts.models import Role
from xueji.accounts.second_account import render_verification, second_account_step
from xueji.common.lists import DEFAULT_PAGE_SIZE, ListResult, paginate_sorted
from xueji.org.selectors import classes_for, grades_for, record_scope_violation

from . import jobs, list_selectors, list_services
from .list_forms import ORIGINS, ListQueryForm, conditions_of

#: page key → URL name
URL_NAMES = {
    "handle": "problems:handle_list", "review": "problems:review_list", "arbitration": "problems:arbitration_list",
    "xp_handle": "problems:cross_province_list", "xp_review": "problems:cross_province_review_list",
    "xp_arbitration": "problems:cross_province_arbitration_list", "query": "problems:index",
}


def _page(request, key: str):
    page = list_selectors.PAGES[key]
    if not list_selectors.may_open(request.user, page):
        raise PermissionDenied(f"您的角色不能使用{page.title}")
    return page


def query_of(request, page, data_source):
    """(form, rows or None): the page's conditions and the records they select; None when
    a condition is not valid (the form says why). Out of scope: 403 + ``scope.denied``."""
    user = request.user
    choices = {}
    if user.is_school_user:
        choices = {"grades": [(g.pk, g.name) for g in grades_for(user).order_by("stage", "-entry_year")],
                   "classes": [(k.pk, f"{k.grade.name}{k.name}") for k in
                               classes_for(user).select_related("grade").order_by("code")]}
    form = ListQueryForm(data_source or None, query=page.kind == "query", authority=user.is_authority_user,
                         **choices)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else ({"origin": "new"} if page.kind == "query" else {})
    try:
        rows = list_selectors.apply_conditions(user, list_selectors.rows_for(user, page), data)
    except list_selectors.FilterRefused as refused:
        record_scope_violation(request, refused.what, refused.lookup)
        raise PermissionDenied(f"所选{refused.what}不存在或不在您的数据范围内") from None
    return form, rows


def _list(request, key: str):
    page = _page(request, key)
    form, rows = query_of(request, page, request.GET)
    result, decorated = None, []
    if rows is not None:
        default = list_selectors.DEFAULT_SORT[page.kind]
        result = paginate_sorted(request, list_selectors.with_relations(rows), list_selectors.SORTABLE, default)
        decorated = list_selectors.decorate(result.objects, request.user)
    return render(request, "problems/list.html", {
        "page": page, "form": form, "result": result, "rows": decorated,
        "authority_user": request.user.is_authority_user,
        "export_url": reverse("problems:list_export", args=[key]),
        "row_link": "business" if page.kind == "review" else "group",
        "origins": ORIGINS if page.kind == "query" else (),
        "origin": (form.cleaned_data.get("origin") if form.is_bound and form.is_valid() else "") or "new",
    })


@login_required
def handle_list(request):
    """省内问题学籍处理: the school's records whose turn it is."""
    return _list(request, "handle")


@login_required
def review_list(request):
    """省内问题学籍审核: the actions waiting at the user's step."""
    return _list(request, "review")


@login_required
def arbitration_list(request):
    """省内问题学籍仲裁: the groups this authority arbitrates."""
    return _list(request, "arbitration")


@login_required
def cross_province_list(request):
    """跨省问题学籍处理."""
    return _list(request, "xp_handle")


@login_required
def cross_province_review_list(request):
    """跨省问题学籍审核."""
    return _list(request, "xp_review")


@login_required
def cross_province_arbitration_list(request):
    """跨省问题学籍仲裁 (教育部)."""
    return _list(request, "xp_arbitration")


@login_required
def index(request):
    """问题学籍查询: every record of a group in scope."""
    return _list(request, "query")


@login_required
@require_POST
def list_export(request, key: str):
    """导出Excel of a list: the verification page, then — with the other account of the
    unit (F-14) — the job."""
    if key not in list_selectors.PAGES:
        raise PermissionDenied("导出参数不正确")
    page = _page(request, key)
    back = reverse(URL_NAMES[key]) + ("?" + request.GET.urlencode() if request.GET else "")
    form, rows = query_of(request, page, request.GET)
    if rows is None:
        messages.error(request, "查询条件不正确,请修改后再导出")
        return redirect(back)
    try:
        count = rows.order_by()[: jobs.EXPORT_CAP + 1].count()
        jobs.check_count(count)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    purpose = f"{page.title}导出Excel"
    step = second_account_step(request, purpose)
    if step.second is not None:
        job = jobs.submit(request.user, page=key, query=conditions_of(request.GET),
                          sort=request.GET.get("sort", ""), count=count, second=step.second, request=request)
        return redirect("jobs:detail", pk=job.pk)
    return render_verification(
        request, step, purpose=purpose, back=back,
        notice="导出问题学籍学生个人信息,须输入本单位另一账号的用户名和密码进行验证。导出将记录两位用户的姓名。",
        summary=f"将导出{count}条问题学籍。", details="导出的信息项:" + "、".join(jobs.HEADERS), hidden=[])


@login_required
def overview(request):
    """问题学籍概况 (an authority): open groups by type and age, resolved this month, per school."""
    if not request.user.is_authority_user:
        raise PermissionDenied("只有教育行政部门可以查看问题学籍概况")
    return render(request, "problems/list_overview.html", {"overview": list_selectors.overview_for(request.user)})


@login_required
def reminders(request):
    """问题学籍催办 of the school: unread first; 标记为已读."""
    user = request.user
    if user.role not in (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER):
        raise PermissionDenied("只有学校学籍管理员和学籍主管领导可以查看问题学籍催办")
    if request.method == "POST":
        try:
            count = list_services.mark_reminders_read(request, request.POST.getlist("r"),
                                                      every=request.POST.get("all") == "1")
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"已将{count}条催办标记为已读")
        return redirect("problems:reminders")
    page = Paginator(list_selectors.reminders_for(user), DEFAULT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "problems/list_reminders.html", {
        "result": ListResult(page=page, sort="", page_size=DEFAULT_PAGE_SIZE),
        "unread": list_selectors.unread_reminders(user).count(),
    })
