"""Thin views of 毕业, 往届生毕业, 毕业生信息维护 and 毕业生退回."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xueji.accounts.models import Role
from xueji.accounts.second_account import render_verification, second_account_step
from xueji.codes import tables as code_tables
from xueji.common.forms import error_messages
from xueji.common.lists import paginate_sorted
from xueji.common.params import parse_id, parse_ids
from xueji.jobs.selectors import jobs_for
from xueji.org import selectors as org_selectors
from xueji.students.forms import SheetUploadForm
from xueji.workflow.models import BatchStatus

from . import rules, selectors, services, sheets
from .models import GraduationSettings


class DestinationSheetForm(SheetUploadForm):
    file = forms.FileField(label="填好的毕业去向Excel文件",
                           help_text="请使用本页下载的毕业去向模板(.xlsx),填写“毕业去向”(如 01-升学)和“说明”")


def _require(user, *roles) -> None:
    if user.role not in roles:
        raise PermissionDenied("您无权使用该功能")


def _in_scope(request, queryset, values, what: str) -> list[int]:
    """The posted ids, every one in the user's scope (``queryset``); any other: 404 + audit."""
    ids, bad = parse_ids(values)
    found = set(queryset.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    refused = [str(pk) for pk in ids if pk not in found] + bad
    if refused:
        org_selectors.record_scope_violation(request, what, {"ids": ",".join(refused[:100])})
        raise org_selectors.ScopeViolation(f"{what}不存在或不在您的数据范围内")
    return ids


def _page(request, *, past: bool):
    user = request.user
    _require(user, *selectors.VIEWERS)
    registrar = user.role == Role.SCHOOL_REGISTRAR
    open_link = False
    if request.method == "POST":
        _require(user, Role.SCHOOL_REGISTRAR)
        data = request.POST
        by = data.get("by", "")
        grades = _in_scope(request, org_selectors.grades_for(user), data.getlist("grades"), "年级") if by == "grade" else []
        classes = _in_scope(request, org_selectors.classes_for(user), data.getlist("classes"), "班级") if by == "class" else []
        from xueji.students import selectors as student_selectors

        chosen = (_in_scope(request, student_selectors.students_for(user), data.getlist("students"), "学生")
                  if by == "students" else [])
        try:
            batch = services.start_graduation(user, kind=data.get("kind", ""), date=data.get("date", ""), by=by,
                                              grades=grades, classes=classes, student_ids=chosen, past=past,
                                              request=request)
        except services.GraduationRefused as error:
            error_messages(request, error)
            open_link = error.open_businesses
        except ValidationError as error:
            error_messages(request, error)
        else:
            messages.success(request, f"已提交{batch.summary}(学生{batch.total}人),等待审核")
            return redirect("graduation:past" if past else "graduation:graduation")
    grades = selectors.final_grades(user.school, past=past) if registrar else []
    result = paginate_sorted(request, selectors.graduation_batches_for(user, past=past), {"created": "created_at"},
                             "-created")
    rows = [{"b": b, "can_execute": registrar and b.school_id == user.school_id
             and b.status in (BatchStatus.APPROVED, BatchStatus.APPLYING)} for b in result.page]
    return render(request, "graduation/graduation.html", {
        "past": past, "title": "往届生毕业" if past else "毕业", "registrar": registrar, "grades": grades,
        "classes": selectors.final_classes(grades) if grades else [],
        "students": selectors.final_students(grades)[:2000] if grades else [],
        "kinds": list(rules.KIND_NAMES.items()), "rows": rows, "result": result, "page": result.page,
        "open_link": open_link, "today": services.timezone.localdate().isoformat(),
    })


@login_required
def graduation(request):
    """毕业: the school's registrar picks classes or students of the final grades."""
    return _page(request, past=False)


@login_required
def past_graduation(request):
    """往届生毕业: students left in grades whose final year is over."""
    return _page(request, past=True)


@login_required
@require_POST
def execute(request, pk: int):
    batch = org_selectors.get_in_scope(request, selectors.graduation_batches_for(request.user), "毕业业务", pk=pk)
    try:
        job = services.execute_graduation(request.user, batch, request=request)
    except ValidationError as error:
        error_messages(request, error)
        return redirect("graduation:graduation")
    if job is not None:
        return redirect("jobs:detail", pk=job.pk)
    batch.refresh_from_db()
    messages.success(request, f"毕业已执行:成功{batch.succeeded}人,失败{batch.failed}人")
    return redirect("graduation:past" if batch.criteria.get("past") else "graduation:graduation")


@login_required
def graduates(request):
    """毕业生信息维护: the graduates of the school (authorities: in scope), 毕业去向 per student
    (and by Excel: template, import with its result ``?job=``); 导出招生Excel."""
    user = request.user
    _require(user, *selectors.VIEWERS)
    queryset = selectors.find_graduates(selectors.graduates_for(user).filter(returned=False),
                                        request.GET.get("number", ""), request.GET.get("name", ""))
    result = paginate_sorted(request, queryset, {"date": "graduated_on", "name": "student__name"}, "-date")
    job = None
    if request.GET.get("job"):
        job = org_selectors.get_in_scope(request, jobs_for(user).filter(kind=sheets.IMPORT_JOB), "后台任务",
                                         pk=parse_id(request.GET["job"]) or 0)
    return render(request, "graduation/graduates.html", {
        "result": result, "page": result.page, "can_edit": user.role == Role.SCHOOL_REGISTRAR,
        "can_export": user.role in sheets.EXPORTERS, "form": DestinationSheetForm(),
        "destinations": code_tables.choices("graduation_destination"),
        "number": request.GET.get("number", "")[:19], "name": request.GET.get("name", "")[:50],
        "job": job, "outcome": (job.result or {}) if job else None,
    })


def _export_conditions(data) -> dict:
    year, stage = (data.get("year") or "").strip(), (data.get("stage") or "").strip()
    if year and not (year.isascii() and year.isdigit() and len(year) == 4):
        raise ValidationError("毕业年度应为4位年份")
    if stage and stage not in sheets.NEXT_STAGE:
        raise ValidationError("毕业教育阶段应为小学或初中")
    return {"year": int(year) if year else None, "stage": stage}


@login_required
@require_POST
def export(request):
    """导出招生Excel (``what=admission``) or the 毕业去向 template (``what=destinations``):
    the verification by the unit's second account (F-14), then the job."""
    user = request.user
    if user.role not in sheets.EXPORTERS:
        raise PermissionDenied("您的角色不能导出毕业生信息")
    what = request.POST.get("what", "")
    if what not in sheets.TITLES:
        raise PermissionDenied("导出类型不正确")
    back = reverse("graduation:graduates")
    try:
        conditions = _export_conditions(request.POST)
        count = sheets.filtered(user, what, conditions).order_by()[: sheets.EXPORT_CAP + 1].count()
        if count == 0:
            raise ValidationError("没有符合条件的毕业生")
    except ValidationError as error:
        error_messages(request, error)
        return redirect(back)
    purpose = sheets.TITLES[what]
    step = second_account_step(request, purpose)
    if step.second is not None:
        try:
            job = sheets.submit_export(user, what, conditions, count=count, second=step.second, request=request)
        except ValidationError as error:
            error_messages(request, error)
            return redirect(back)
        return redirect("jobs:detail", pk=job.pk)
    columns = sheets.DESTINATION_HEADERS if what == "destinations" else sheets.ADMISSION_COLUMNS + sheets.ADMISSION_EXTRA
    return render_verification(
        request, step, purpose=purpose, back=back,
        notice="导出毕业生信息(含完整的全国学籍号),须输入本单位另一账号的用户名和密码进行验证。导出将记录两位用户的姓名。",
        summary=f"将导出{count}名毕业生。", details="导出的信息项:" + "、".join(columns),
        hidden=[("what", what), ("year", conditions["year"] or ""), ("stage", conditions["stage"])])


@login_required
@require_POST
def destinations_import(request):
    _require(request.user, Role.SCHOOL_REGISTRAR)
    form = DestinationSheetForm(request.POST, request.FILES)
    if not form.is_valid():
        for message in form.errors.get("file", ["请选择文件"]):
            messages.error(request, message)
        return redirect("graduation:graduates")
    job = sheets.submit_import(request.user, form.cleaned_data["file"], request=request)
    return redirect("jobs:detail", pk=job.pk)


@login_required
def graduation_settings(request):
    """毕业设置 (province registrar): whether unresolved 问题学籍 must be resolved before graduation."""
    user = request.user
    if user.role != Role.AUTHORITY_REGISTRAR or user.authority is None or user.authority.level != 1:
        raise PermissionDenied("只有省级教育行政部门学籍管理员可以设置毕业设置")
    if request.method == "POST":
        services.save_settings(user, request.POST.get("require_problems_resolved") == "1", request=request)
        messages.success(request, "已保存毕业设置")
        return redirect("graduation:settings")
    row = GraduationSettings.objects.filter(authority=user.authority).first()
    return render(request, "graduation/settings.html", {
        "authority": user.authority, "required": bool(row and row.require_problems_resolved), "row": row,
    })


@login_required
@require_POST
def destination(request, pk: int):
    graduate = selectors.graduate_for(request, pk)
    try:
        services.set_destination(request.user, graduate, request.POST.get("destination", ""),
                                 request.POST.get("note", ""), request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        messages.success(request, f"已保存{graduate.student.name}的毕业去向")
    return redirect(reverse("graduation:graduates"))


@login_required
def returns(request):
    """毕业生退回: the authority finds a graduate (学籍号 / 姓名) and returns them; below, the
    returned graduates in scope (退回毕业生查询)."""
    user = request.user
    _require(user, Role.AUTHORITY_REGISTRAR, Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)
    number, name = request.GET.get("number", ""), request.GET.get("name", "")
    found = []
    if user.role == Role.AUTHORITY_REGISTRAR and (number.strip() or name.strip()):
        found = [{"g": g, "refusal": services.return_refusal(user, g), "deadline": rules.return_deadline(g.graduated_on)}
                 for g in selectors.find_graduates(selectors.graduates_for(user).filter(returned=False),
                                                   number, name)[:50]]
    result = paginate_sorted(request, selectors.graduates_for(user).filter(returned=True),
                             {"returned": "returned_at"}, "-returned")
    return render(request, "graduation/returns.html", {
        "found": found, "result": result, "page": result.page, "number": number[:19], "name": name[:50],
        "can_return": user.role == Role.AUTHORITY_REGISTRAR,
    })


@login_required
@require_POST
def return_graduate(request, pk: int):
    graduate = selectors.graduate_for(request, pk)
    try:
        services.return_graduate(request.user, graduate, request.POST.get("reason", ""), request=request)
    except (ValidationError, PermissionDenied) as error:
        for message in getattr(error, "messages", [str(error)]):
            messages.error(request, message)
    else:
        messages.success(request, f"已退回毕业生{graduate.student.name},学籍状态恢复为在校")
    return redirect("graduation:returns")
