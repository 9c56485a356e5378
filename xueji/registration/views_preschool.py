"""Pages of 学前调档 (学籍注册 → 学前调档名单管理 / 学前档案信息补录, F-45) and of
首次数据采集 (F-46). Thin: parse, call ``preschool`` / ``collection``, render.

学前调档 is the school registrar's alone: every other role gets 403, and a request of
another school is a 404 with an audit entry (``get_in_scope``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xueji.accounts.models import Role
from xueji.accounts.second_account import names_summary, render_verification, second_account_step
from xueji.common.lists import paginate_sorted
from xueji.common.spreadsheets import xlsx_response
from xueji.jobs import selectors as job_selectors
from xueji.org.selectors import (
    chosen_in_scope,
    get_in_scope,
    record_personal_view,
    record_scope_violation,
    schools_for,
)

from . import collection, jobs, preschool
from .forms import UploadForm
from .forms_preschool import ChildForm, ChildQueryForm, CollectionForm, SupplementForm
from .models import Entry, PreschoolStatus

SORTABLE = {"name": "name", "created": "created_at", "birth": "birth_date", "status": "status"}
#: Failed rows shown on a result page (all of them are in the command's JSON).
SHOWN_FAILURES = 500


def _registrar_school(user):
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        raise PermissionDenied("只有学校学籍管理员可以办理学前调档")
    return user.school


def _own(request, pk: int):
    """One request of the registrar's school (404 and an audit entry otherwise)."""
    school = _registrar_school(request.user)
    return get_in_scope(request, preschool.children_for(school), "学前调档学生", pk=pk)


_xlsx = xlsx_response


def _labelled(result):
    """Give each listed request its 学籍注册状态 label."""
    for child in result.objects:
        child.reg_label = preschool.REG_STATE_LABELS.get(child.reg_state, "")
    return result


def _chosen(request, queryset):
    """The requests the POST names (``req``), or every one the query conditions select
    (``all=1``)."""
    if request.POST.get("all") == "1":
        return list(ChildQueryForm(request.GET).filter(queryset))
    return list(chosen_in_scope(request, queryset, request.POST.getlist("req"), "调档学生"))


def _job_result(request, kind: str) -> dict | None:
    """The result of the job ``?job=`` names (a finished job of ``kind`` the user may see:
    404 and an audit entry otherwise), shown on the page that started it."""
    value = request.GET.get("job", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404("后台任务不存在")
    job = get_in_scope(request, job_selectors.jobs_for(request.user).filter(kind=kind), "后台任务", pk=int(value))
    return job.result if job.status == "done" else None


# --- 学前调档名单管理 ---------------------------------------------------------------------------

@login_required
def preschool_list(request):
    """学前调档名单管理: query conditions, the list with 处理状态, 是否完成补录 and
    学籍注册状态; 删除 and 重新匹配 of the selected rows."""
    school = _registrar_school(request.user)
    children = preschool.children_for(school).select_related("registration__business")
    query = ChildQueryForm(request.GET)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            chosen = _chosen(request, children)
            if not chosen:
                raise ValidationError("请先选择学生")
            if action == "delete":
                count = preschool.delete_children(chosen, request.user, request=request)
                messages.success(request, f"已删除{count}名学生")
            elif action == "rematch":
                count = preschool.rematch_children(chosen, request.user, request=request)
                messages.success(request, f"已重新匹配{count}名学生")
            else:
                raise PermissionDenied("未知的操作")
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(reverse("registration:preschool_list") + ("?" + request.GET.urlencode() if request.GET else ""))
    result = _labelled(paginate_sorted(request, query.filter(children), SORTABLE, "-created"))
    return render(request, "registration/preschool/list.html", {
        "result": result, "query": query,
        "to_confirm": PreschoolStatus.TO_CONFIRM, "matched": PreschoolStatus.MATCHED,
    })


@login_required
def preschool_add(request):
    """新增: one child; matched at once."""
    school = _registrar_school(request.user)
    form = ChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = preschool.add_children(school, request.user, [(1, form.raw_row())], request=request)
        if outcome.created:
            child = outcome.created[0]
            messages.success(request, f"已录入{child.name},{child.get_status_display()}")
            if request.POST.get("continue"):
                return redirect("registration:preschool_add")
            return redirect("registration:preschool_list")
        for message in outcome.failed[0].messages:
            form.add_error(None, message)
    return render(request, "registration/preschool/child_form.html", {"form": form, "title": "新增调档学生"})


@login_required
def preschool_edit(request, pk: int):
    """修改: refused once the child is in registration; matched again."""
    child = _own(request, pk)
    if preschool.is_in_registration(child):
        messages.error(request, "已发起学籍注册业务或已成为正式学籍的学生信息,不允许修改")
        return redirect("registration:preschool_list")
    form = ChildForm(request.POST or None, initial=ChildForm.initial_of(child))
    if request.method == "POST" and form.is_valid():
        try:
            child = preschool.update_child(child, request.user, form.raw_row(), request=request)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"已修改{child.name},{child.get_status_display()}")
            return redirect("registration:preschool_list")
    record_personal_view(request, "学前调档学生", child, school=child.school, summary=child.name)
    return render(request, "registration/preschool/child_form.html",
                  {"form": form, "title": f"修改调档学生:{child.name}", "child": child})


@login_required
def preschool_import(request):
    """Excel导入: the five-column template; every failing row with its reasons."""
    school = _registrar_school(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = jobs.submit_preschool_import(school, request.user, form.cleaned_data["file"], request=request)
        return redirect("jobs:detail", pk=job.pk)
    outcome = _job_result(request, jobs.PRESCHOOL_IMPORT_JOB)
    return render(request, "registration/preschool/import.html", {
        "form": form, "outcome": outcome,
        "counts": outcome.get("counts", []) if outcome else [],
        "failures": outcome.get("failures", []) if outcome else [],
    })


@login_required
def preschool_template(request):
    _registrar_school(request.user)
    return _xlsx(preschool.build_children_template(), preschool.TEMPLATE_FILENAME, "preschool-template.xlsx")


@login_required
@require_POST
def preschool_export(request):
    """调档学生导出 of the selected rows (or all the query conditions select): the
    children's personal data in bulk, so — F-14 — only after the username and password
    of another active account of the same unit (``accounts.services.verify_second_account``,
    audited with both names). The selection is checked first (a refusal says why at
    once); the verification page carries the chosen ids; the job starts after it."""
    school = _registrar_school(request.user)
    back = reverse("registration:preschool_list") + ("?" + request.GET.urlencode() if request.GET else "")
    verifying = request.POST.get("step") == "verify"
    try:
        if verifying:
            chosen = list(chosen_in_scope(request, preschool.children_for(school), request.POST.getlist("req"),
                                          "调档学生"))
        else:
            chosen = _chosen(request, preschool.children_for(school))
        preschool.check_export(chosen, request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    step = second_account_step(request, "调档学生导出")
    if step.second is not None:
        job = jobs.submit_preschool_export(chosen, request.user, request=request, second=step.second)
        return redirect("jobs:detail", pk=job.pk)
    return render_verification(
        request, step, purpose="调档学生导出", back=back,
        summary=f"将导出{len(chosen)}名学生:{names_summary([c.name for c in chosen])}。",
        hidden=[("req", c.pk) for c in chosen])


@login_required
def preschool_confirm(request, pk: int):
    """学前学籍确认 of a 待确认学前学籍 child: one of the records, or none."""
    child = _own(request, pk)
    if request.method == "POST":
        ref = request.POST.get("ref", "") if request.POST.get("action") == "match" else None
        try:
            if request.POST.get("action") == "match" and not ref:
                raise ValidationError("请选择一条学前学籍")
            child = preschool.confirm_match(child, request.user, ref, request=request)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("registration:preschool_confirm", pk=pk)
        messages.success(request, f"{child.name}:{child.get_status_display()}")
        return redirect("registration:preschool_list")
    record_personal_view(request, "学前调档学生", child, school=child.school, summary=child.name)
    return render(request, "registration/preschool/confirm.html", {"child": child})


# --- 学前档案信息补录 --------------------------------------------------------------------------

@login_required
def preschool_supplement_list(request):
    """学前档案信息补录: by default the children matched and not yet completed."""
    school = _registrar_school(request.user)
    params = request.GET.copy()
    if "status" not in params and "supplement_done" not in params:
        params.update({"status": PreschoolStatus.MATCHED, "supplement_done": "0"})
    query = ChildQueryForm(params)
    children = query.filter(preschool.children_for(school).select_related("registration__business"))
    result = _labelled(paginate_sorted(request, children, SORTABLE, "-created"))
    return render(request, "registration/preschool/supplement_list.html", {
        "result": result, "query": query, "matched": PreschoolStatus.MATCHED,
    })


@login_required
def preschool_supplement(request, pk: int):
    """学籍信息补录 of one matched child, through the 小学新生注册 pipeline."""
    child = _own(request, pk)
    if child.status != PreschoolStatus.MATCHED:
        messages.error(request, "只有处理状态为“已匹配学前学籍”的学生可以补录学籍信息")
        return redirect("registration:preschool_supplement_list")
    if preschool.is_in_registration(child):
        messages.error(request, "该学生已发起学籍注册业务或已成为正式学籍,不能再次补录")
        return redirect("registration:preschool_supplement_list")
    entry = Entry(preschool.registration_entry(child.id_type))
    form = SupplementForm(request.POST or None, request.FILES or None, entry=entry, school=child.school,
                          prefill=preschool.supplement_initial(child))
    if request.method == "POST" and form.is_valid():
        try:
            outcome = preschool.supplement(child, request.user, form.raw_row(), proof=form.cleaned_data.get("proof"),
                                           request=request)
        except ValidationError as error:
            outcome = None
            for message in error.messages:
                form.add_error(None, message)
        if outcome is not None and outcome.passed:
            messages.success(request, f"已补录{child.name}的学籍信息并提交注册申请,等待学校审核")
            return redirect("registration:preschool_supplement_list")
        if outcome is not None:
            form.add_rule_errors(outcome.failed[0].messages)
    record_personal_view(request, "学前调档学生", child, school=child.school, summary=child.name)
    return render(request, "registration/preschool/supplement.html", {"form": form, "child": child, "entry": entry})


# --- 首次数据采集 ------------------------------------------------------------------------------

@login_required
def initial_collection(request):
    """首次数据采集: an authority registrar loads a school's existing records."""
    user = request.user
    if not collection.may_collect(user):
        raise PermissionDenied("只有教育部门学籍管理员可以办理首次数据采集")
    form = CollectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["school_code"]
        school = schools_for(user).filter(code=code).first()
        if school is None:
            record_scope_violation(request, "学校", {"code": code})
            form.add_error("school_code", "学校不存在或不在您的数据范围内")
        else:
            try:
                job = jobs.submit_collection(school, user, form.cleaned_data["file"], request=request,
                                             create_classes=form.cleaned_data["create_classes"])
            except (PermissionDenied, ValidationError) as error:
                for message in getattr(error, "messages", None) or [str(error)]:
                    form.add_error(None, message)
            else:
                return redirect("jobs:detail", pk=job.pk)
    report = _job_result(request, jobs.COLLECTION_JOB)
    return render(request, "registration/collection/index.html", {
        "form": form, "report": report, "failures": report.get("failures", []) if report else [],
        "shown": jobs.SHOWN_FAILURES,
    })
