"""非关键信息批量修改 pages (F-44): the class tree and the class's 在校 students, 导出
(after the second-account check, F-14) and 导入 of the edited sheet, both as jobs; the
result of an import (counts, changed items, every failing row with its reasons) on the
same page (``?job=``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xueji.accounts.second_account import names_summary, render_verification, second_account_step
from xueji.common.lists import paginate_sorted
from xueji.common.params import parse_id
from xueji.jobs.selectors import jobs_for
from xueji.org.models import SchoolClass
from xueji.org.selectors import chosen_in_scope, get_in_scope, record_scope_violation
from xueji.students.forms import SheetUploadForm

from . import batch_edit as service


class SheetForm(SheetUploadForm):
    file = forms.FileField(label="修改后的Excel文件", help_text="请使用本页导出的表格(.xlsx),只修改非关键信息")


def _classes(school):
    return SchoolClass.objects.filter(school=school).select_related("grade", "school").order_by("grade__entry_year",
                                                                                                   "code")


def _chosen_class(request, school):
    raw = request.GET.get("klass", "")
    if not raw:
        return None
    klass = _classes(school).filter(pk=parse_id(raw) or 0).first()
    if klass is None:
        record_scope_violation(request, "班级", {"klass": raw[:20]})
        refusal = PermissionDenied("所选班级不存在或不在您的数据范围内")
        refusal.audited = True
        raise refusal
    return klass


@login_required
def batch_edit(request):
    school = service.school_of(request.user)
    klass = _chosen_class(request, school)
    students = service.editable_students(school).select_related("klass__grade", "klass__school", "grade")
    if klass is not None:
        students = students.filter(klass=klass)
    result = paginate_sorted(request, students, {"name": "name", "number": "national_number", "klass": "klass__code"},
                             "klass")
    job = None
    if request.GET.get("job"):
        job = get_in_scope(request, jobs_for(request.user).filter(kind=service.IMPORT_JOB), "后台任务",
                           pk=parse_id(request.GET["job"]) or 0)
    return render(request, "changes/batch_edit.html", {
        "school": school, "classes": _classes(school), "chosen": klass, "result": result,
        "form": SheetForm(), "job": job, "outcome": (job.result or {}) if job else None,
    })


@login_required
@require_POST
def batch_edit_export(request):
    """导出: the chosen students (``student`` ids, or every 在校 student of ``klass``, or
    with ``all`` of the school), then the second account, then the job."""
    school = service.school_of(request.user)
    back = reverse("changes:batch_edit") + (f"?klass={request.POST['klass']}" if request.POST.get("klass") else "")
    students = service.editable_students(school)
    try:
        if request.POST.getlist("student"):
            chosen = list(chosen_in_scope(request, students, request.POST.getlist("student"), "学生")
                          .order_by("pk").values_list("pk", "name"))
        elif request.POST.get("all"):
            if request.POST.get("klass"):
                klass = _classes(school).filter(pk=parse_id(request.POST["klass"]) or 0).first()
                if klass is None:
                    record_scope_violation(request, "班级", {"klass": request.POST["klass"][:20]})
                    raise ValidationError("所选班级不存在或不在您的数据范围内")
                students = students.filter(klass=klass)
            chosen = list(students.order_by("pk").values_list("pk", "name"))
        else:
            raise ValidationError("请勾选要导出的学生,或点击“导出全部在校学生”")
        if not chosen:
            raise ValidationError("所选范围内没有在校学生")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    step = second_account_step(request, "非关键信息批量修改导出")
    if step.second is not None:
        job = service.submit_export(school, request.user, [pk for pk, _ in chosen], second=step.second,
                                    request=request)
        return redirect("jobs:detail", pk=job.pk)
    return render_verification(
        request, step, purpose="非关键信息批量修改导出", back=back,
        summary=f"将导出{len(chosen)}名学生:{names_summary([name for _, name in chosen])}。",
        hidden=[("student", pk) for pk, _ in chosen])


@login_required
@require_POST
def batch_edit_import(request):
    school = service.school_of(request.user)
    form = SheetForm(request.POST, request.FILES)
    if not form.is_valid():
        for message in form.errors.get("file", ["请选择文件"]):
            messages.error(request, message)
        return redirect("changes:batch_edit")
    job = service.submit_import(school, request.user, form.cleaned_data["file"], request=request)
    return redirect("jobs:detail", pk=job.pk)
