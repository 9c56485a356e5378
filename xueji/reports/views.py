"""综合查询 pages: 在校生查询 and 学生信息查询 (SPEC F-80), their column chooser, the Excel
export and the photo export (both background jobs, both after the F-14 second-account
check). Thin: conditions in ``forms``, scope and reads in ``selectors``, display in
``rules``, the jobs in ``jobs``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xueji.accounts.second_account import render_verification, second_account_step
from xueji.org.selectors import chosen_in_scope, classes_for, grades_for, record_scope_violation

from . import jobs, rules, selectors
from .forms import QueryForm, conditions_of

#: page key → (title, every status?)
PAGES = {
    "students": ("在校生查询", False),
    "student_search": ("学生信息查询", True),
}


def _session_key(page: str) -> str:
    return f"reports.columns.{page}"


def _columns(request, page: str) -> list[str]:
    return rules.clean_columns(request.session.get(_session_key(page)), page)


def _query(request, page: str):
    """(form, queryset or None): the page's conditions from the query string and the
    scoped students they select; None when a condition is not valid (the form says why).
    A condition out of scope: 403 + ``scope.denied``."""
    if not rules.may_query(request.user.role):
        raise PermissionDenied("您的角色不能使用综合查询")
    _title, all_statuses = PAGES[page]
    form = QueryForm(request.GET or None, all_statuses=all_statuses)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    try:
        students = selectors.query(request.user, data, all_statuses=all_statuses)
    except selectors.FilterRefused as refused:
        record_scope_violation(request, refused.what, refused.lookup)
        raise PermissionDenied(f"所选{refused.what}不存在或不在您的数据范围内") from None
    return form, students


def _list(request, page: str):
    title, _all = PAGES[page]
    if request.method == "POST":
        if request.POST.get("action") == "columns":
            request.session[_session_key(page)] = rules.clean_columns(request.POST.getlist("col"), page)
            messages.success(request, "已保存显示的信息项")
        return redirect(request.get_full_path())
    form, students = _query(request, page)
    columns = _columns(request, page)
    chosen = [rules.BY_KEY[k] for k in columns]
    result, rows = None, []
    if students is not None:
        sort, descending = rules.parse_sort(request.GET.get("sort"))
        result = selectors.page_of(students, sort, descending, rules.parse_page(request.GET.get("page")),
                                   rules.parse_size(request.GET.get("size")))
        attrs = rules.division_attrs(columns)
        codes = {getattr(s, a) for s in result.rows for a in attrs}
        member_columns = rules.member_columns(columns)
        if member_columns:
            selectors.attach_members(result.rows)
            codes |= {getattr(m, c.attr) for s in result.rows for m in s.members_by_seq.values()
                      for c in member_columns if c.kind == "division"}
        names = selectors.division_names(codes)
        label = selectors.class_labeller()
        rows = [(s, [rules.display(c, s, full=False, divisions=names, class_label=label) for c in chosen])
                for s in result.rows]
    user = request.user
    school_user = user.is_school_user
    return render(request, "reports/query.html", {
        "title": title, "page_key": page, "form": form, "result": result, "rows": rows,
        "headers": [(c, rules.SORT_OF_COLUMN.get(c.key)) for c in chosen],
        "all_columns": rules.COLUMNS, "columns": set(columns), "fixed": set(rules.FIXED_COLUMNS),
        "school_user": school_user,
        "grades": list(grades_for(user).order_by("stage", "-entry_year")) if school_user else [],
        "classes": list(classes_for(user).select_related("grade", "school").order_by("code")) if school_user else [],
        "may_export": rules.may_export(user.role),
        "export_url": reverse(f"reports:{page}_export"), "photos_url": reverse(f"reports:{page}_photos"),
    })


@login_required
def students(request):
    """在校生查询: the students in school (在校, 休学) in the user's scope."""
    return _list(request, "students")


@login_required
def student_search(request):
    """学生信息查询: the students of every status (毕业, 转出, 已删除 …) in the user's scope."""
    return _list(request, "student_search")


def _export(request, page: str, what: str):
    """The two steps of an export: the verification page (how many, which columns), then
    — with the other account of the unit (F-14) — the job."""
    if not rules.may_export(request.user.role):
        raise PermissionDenied("您的角色不能导出学生信息")
    title, _all = PAGES[page]
    back = reverse(f"reports:{page}") + ("?" + request.GET.urlencode() if request.GET else "")
    form, students = _query(request, page)
    if students is None:
        messages.error(request, "查询条件不正确,请修改后再导出")
        return redirect(back)
    ids = request.POST.getlist("s")
    try:
        if ids:
            students = chosen_in_scope(request, students, ids, "学生")
        count = students.order_by()[: rules.EXPORT_CAP + 1].count()
        jobs.check_count(what, count)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    purpose = f"{title}{'导出Excel' if what == 'excel' else '导出照片'}"
    step = second_account_step(request, purpose)
    if step.second is not None:
        job = jobs.submit(what, request.user, page=page, query=conditions_of(request.GET),
                          ids=[int(i) for i in students.values_list("pk", flat=True)] if ids else None,
                          columns=_columns(request, page), sort=request.GET.get("sort", ""),
                          count=count, second=step.second, request=request)
        return redirect("jobs:detail", pk=job.pk)
    columns = [rules.BY_KEY[k].label for k in _columns(request, page)] if what == "excel" else []
    return render_verification(
        request, step, purpose=purpose, back=back, notice="导出学生个人信息,须输入本单位另一账号的用户名和密码进行验证。导出将记录两位用户的姓名。",
        summary=f"将导出{count}名学生" + ("的照片(以全国学籍号命名)" if what == "photos" else "") + "。",
        details="导出的信息项:" + "、".join(columns) if columns else "",
        hidden=[("s", i) for i in students.values_list("pk", flat=True)] if ids else [])


@login_required
@require_POST
def students_export(request):
    return _export(request, "students", "excel")


@login_required
@require_POST
def student_search_export(request):
    return _export(request, "student_search", "excel")


@login_required
@require_POST
def students_photos(request):
    return _export(request, "students", "photos")


@login_required
@require_POST
def student_search_photos(request):
    return _export(request, "student_search", "photos")
