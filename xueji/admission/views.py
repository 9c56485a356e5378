"""Thin views of 招生入学: 初中/高中招生结果导入设置, 招生结果管理 (import, template, per-row
report, hand entry, list), 录取新生, 调取新生档案, 分班, 省内招生升学查询. 录取审核 is the
engine's work list (workflow:queue, types 初中/高中招生录取)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xueji.accounts.models import Role
from xueji.common.forms import error_messages
from xueji.common.lists import paginate_sorted
from xueji.common.params import parse_id
from xueji.common.spreadsheets import xlsx_response
from xueji.jobs.selectors import jobs_for
from xueji.org.models import SchoolClass
from xueji.org.selectors import chosen_in_scope, get_in_scope
from xueji.students.forms import SheetUploadForm

from . import rules, selectors, services
from .models import State

SORTS = {"name": "student__name", "number": "student__national_number", "school": "graduating_school__code",
         "updated": "updated_at"}


class ResultSheetForm(SheetUploadForm):
    file = forms.FileField(label="招生结果Excel文件", help_text="请使用下载的招生结果模板(.xlsx)")


def _registrar(user) -> None:
    selectors.require(user, Role.SCHOOL_REGISTRAR, Role.AUTHORITY_REGISTRAR)


@login_required
def import_settings(request, stage: str):
    user = request.user
    selectors.require(user, Role.AUTHORITY_REGISTRAR)
    authority = user.authority
    if authority.level not in rules.AUTHORITY_IMPORT_LEVEL:
        raise PermissionDenied("招生结果导入设置由省级、地市、区县教育行政部门设置")
    if request.method == "POST":
        try:
            services.save_setting(user, stage=stage, level=request.POST.get("level", ""),
                                  delegate=request.POST.get("delegate") == "1", request=request)
            messages.success(request, "配置信息保存成功")
        except ValidationError as error:
            error_messages(request, error)
        return redirect(request.path)
    rows, effective, children = selectors.setting_rows(authority, stage)
    own = selectors.own_setting(authority, stage)
    return render(request, "admission/import_settings.html", {
        "stage_name": rules.STAGE_NAMES[stage], "rows": rows, "children": children, "authority": authority,
        "may_set": services.may_set(authority, stage), "own": own,
        # the form shows what is in force: the own setting, else the level inherited
        "current_level": own.level if own else effective.level,
        "effective_name": rules.LEVEL_NAMES[effective.level], "is_county": authority.level == 3,
        "levels": [(code, rules.LEVEL_NAMES[code]) for code in rules.levels_allowed(authority.level)],
    })


@login_required
def results(request):
    user = request.user
    selectors.require(user, *selectors.VIEWERS)
    queryset = selectors.filtered(selectors.results_for(user), request.GET)
    page = paginate_sorted(request, queryset, SORTS, "-updated")
    job = None
    if request.GET.get("job"):
        job = get_in_scope(request, jobs_for(user).filter(kind=services.IMPORT_JOB), "后台任务",
                           pk=parse_id(request.GET["job"]) or 0)
    importers = selectors.school_importers(user.school) if user.is_school_user else []
    # a school imports only where the import settings say 学校 (each row is checked again)
    can_import = (user.role == Role.AUTHORITY_REGISTRAR
                  or (user.role == Role.SCHOOL_REGISTRAR and any(i["own"] for i in importers)))
    return render(request, "admission/results.html", {
        "result": page, "form": ResultSheetForm(), "can_import": can_import, "importers": importers,
        "job": job, "outcome": (job.result or {}) if job else None, "states": State.choices,
        "stages": [(s, rules.STAGE_NAMES[s]) for s in rules.ADMISSION_STAGES], "params": request.GET,
    })


@login_required
def template(request):
    _registrar(request.user)
    return xlsx_response(services.template_workbook(), "招生结果模板.xlsx", "admission_template.xlsx")


@login_required
@require_POST
def import_sheet(request):
    _registrar(request.user)
    form = ResultSheetForm(request.POST, request.FILES)
    if not form.is_valid():
        for message in form.errors.get("file", ["请选择文件"]):
            messages.error(request, message)
        return redirect("admission:results")
    job = services.submit_import(request.user, form.cleaned_data["file"], request=request)
    return redirect("jobs:detail", pk=job.pk)


@login_required
@require_POST
def enter(request):
    _registrar(request.user)
    data = request.POST
    try:
        services.enter_result(request.user, number=data.get("number", "")[:30], name=data.get("name", "")[:50],
                              graduating_code=data.get("graduating", "")[:20],
                              admitting_code=data.get("admitting", "")[:20], stage=data.get("stage", "")[:10],
                              request=request)
        messages.success(request, "招生结果已添加")
    except ValidationError as error:
        error_messages(request, error)
    return redirect("admission:results")


@login_required
@require_POST
def delete(request, pk: int):
    _registrar(request.user)
    result = get_in_scope(request, selectors.results_for(request.user), "招生结果", pk=pk)
    try:
        services.delete_result(request.user, result, request=request)
        messages.success(request, "招生结果已删除")
    except ValidationError as error:
        error_messages(request, error)
    return redirect("admission:results")


def _set_operation(request, queryset, operation, job_kind: str, what: str):
    """录取 / 调档 of the chosen rows: in the request up to INLINE_LIMIT, else a job."""
    try:
        chosen = list(chosen_in_scope(request, queryset, request.POST.getlist("result"), what)
                      .values_list("pk", flat=True))
        if not chosen:
            raise ValidationError("请勾选学生")
    except ValidationError as error:
        error_messages(request, error)
        return None
    if len(chosen) > services.INLINE_LIMIT:
        job = services.start_set_job(job_kind, request.user, chosen, request=request)
        return redirect("jobs:detail", pk=job.pk)
    outcome = operation(request.user, chosen, request=request)
    if outcome.done:
        messages.success(request, f"已完成{len(outcome.done)}人")
    for message in outcome.messages[:20]:
        messages.error(request, message)
    return None


def _school_page(request, state: str, template_name: str, extra=None):
    user = request.user
    selectors.require(user, Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)
    queryset = selectors.filtered(selectors.school_list(user, state), request.GET)
    page = paginate_sorted(request, queryset, SORTS, "number")
    context = {"result": page, "can_act": user.role == Role.SCHOOL_REGISTRAR, "params": request.GET,
               "stages": [(s, rules.STAGE_NAMES[s]) for s in rules.ADMISSION_STAGES]}
    context.update(extra or {})
    return render(request, template_name, context)


@login_required
def admit(request):
    user = request.user
    if request.method == "POST":
        selectors.require(user, Role.SCHOOL_REGISTRAR)
        if request.POST.get("by") == "number":
            try:
                outcome = services.admit_by_number(user, number=request.POST.get("number", "")[:30],
                                                   name=request.POST.get("name", "")[:50], request=request)
                if outcome.done:
                    messages.success(request, "已录取,已发起录取审核")
                for message in outcome.messages:
                    messages.error(request, message)
            except ValidationError as error:
                error_messages(request, error)
            return redirect("admission:admit")
        response = _set_operation(request, selectors.school_list(user, State.WAITING), services.admit,
                                  services.ADMIT_JOB, "招生结果")
        return response or redirect("admission:admit")
    return _school_page(request, State.WAITING, "admission/admit.html")


@login_required
def retrieve(request):
    user = request.user
    if request.method == "POST":
        selectors.require(user, Role.SCHOOL_REGISTRAR)
        response = _set_operation(request, selectors.school_list(user, State.APPROVED), services.retrieve,
                                  services.RETRIEVE_JOB, "待调档学生")
        return response or redirect("admission:retrieve")
    return _school_page(request, State.APPROVED, "admission/retrieve.html")


def _classes(user):
    return (SchoolClass.objects.filter(school_id=user.school_id, grade__entry_year=services.admission_year(),
                                       grade__stage__in=rules.ADMISSION_STAGES)
            .select_related("grade", "school").order_by("grade__stage", "code"))


@login_required
def placement(request):
    user = request.user
    report = None
    if request.method == "POST":
        selectors.require(user, Role.SCHOOL_REGISTRAR)
        try:
            chosen = list(chosen_in_scope(request, selectors.school_list(user, State.RETRIEVED),
                                          request.POST.getlist("result"), "待分班学生").values_list("pk", flat=True))
            classes = list(chosen_in_scope(request, _classes(user), request.POST.getlist("klass"), "班级"))
            if not chosen:
                raise ValidationError("请勾选学生")
            if not classes:
                raise ValidationError("请选择班级")
            if request.POST.get("how") == "auto":
                report = services.place_automatically(user, chosen, classes, request=request)
            else:
                if len(classes) != 1:
                    raise ValidationError("手动分班请选择一个班级")
                report = services.place_manually(user, chosen, classes[0], request=request)
            messages.success(request, f"已分班{sum(r.added for r in report)}人")
        except ValidationError as error:
            error_messages(request, error)
    classes = _classes(user) if user.is_school_user else SchoolClass.objects.none()
    loads = services.class_loads(list(classes))
    return _school_page(request, State.RETRIEVED, "admission/placement.html", {
        "report": report, "classes": [(c, loads[c.pk]) for c in classes]})


@login_required
def progression(request):
    user = request.user
    selectors.require(user, Role.AUTHORITY_REGISTRAR)
    queryset = selectors.filtered(selectors.progression_for(user), request.GET)
    school = request.GET.get("school", "").strip()[:10]
    if school:
        queryset = queryset.filter(admitting_school__code=school)
    page = paginate_sorted(request, queryset, SORTS, "number")
    return render(request, "admission/progression.html", {
        "result": page, "params": request.GET,
        "stages": [(s, rules.STAGE_NAMES[s]) for s in rules.ADMISSION_STAGES]})

