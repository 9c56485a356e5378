"""学籍卡管理 (F-49, seed 004 §10): choose students by grade, class or selection and print
their record cards as Word documents — one at once (download), many as a background job
after the second-account check (F-14)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xueji.accounts.second_account import names_summary, render_verification, second_account_step
from xueji.common.lists import paginate_sorted
from xueji.common.params import content_disposition, parse_id
from xueji.org.selectors import (
    chosen_in_scope,
    classes_for,
    get_in_scope,
    grades_for,
    record_scope_violation,
)

from . import cards, jobs, selectors

#: The most cards one export builds (a zip of about 40 KB a card); more: export by class.
MAX_CARDS = 2000
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_SORTABLE = {"name": "name", "national_number": "national_number", "klass": "klass__code"}


def _scope(user):
    if user.role not in selectors.RECORD_CARD_ROLES:
        raise PermissionDenied("只有学校学籍管理员、学校学籍主管领导和班主任可以管理学籍卡")
    return selectors.record_card_students(user)


def _filtered(request, params, students):
    """The students of the grade / class / name the query asks for; a grade or class
    outside the user's scope (or not a number) is refused: 403 + audit."""
    grade, klass = params.get("grade", ""), params.get("klass", "")
    chosen = {}
    for key, value, queryset, what in (("grade", grade, grades_for(request.user), "年级"),
                                       ("klass", klass, classes_for(request.user), "班级")):
        if not value:
            continue
        pk = parse_id(value)
        if pk is None or not queryset.filter(pk=pk).exists():
            record_scope_violation(request, what, {key: value[:40]})
            refusal = PermissionDenied(f"所选{what}不存在或不在您的数据范围内")
            refusal.audited = True
            raise refusal
        chosen[key] = pk
    if "grade" in chosen:
        students = students.filter(grade_id=chosen["grade"])
    if "klass" in chosen:
        students = students.filter(klass_id=chosen["klass"])
    q = params.get("q", "").strip()[:50]
    if q:
        students = students.filter(Q(name__contains=q) | Q(national_number=q.upper()))
    return students, chosen, q


@login_required
def record_card_list(request):
    """学籍卡管理: the school's (class teacher: their classes') students, by grade and class."""
    students, chosen, q = _filtered(request, request.GET, _scope(request.user))
    result = paginate_sorted(request, students.select_related("school", "grade", "klass"), _SORTABLE, "klass")
    grades = grades_for(request.user).select_related("school").order_by("-entry_year", "stage")
    classes = classes_for(request.user).select_related("grade", "school").order_by("code")
    if "grade" in chosen:
        classes = classes.filter(grade_id=chosen["grade"])
    return render(request, "students/record_cards.html", {
        "result": result, "grades": grades, "classes": classes, "chosen": chosen, "q": q,
        "total": result.page.paginator.count, "max_cards": MAX_CARDS,
    })


@login_required
def record_card_detail(request, pk: int):
    """学籍卡查看 (seed 004 §10 "建立学籍卡"): the card on the page, ID and phone numbers
    masked; 打印 downloads the Word card (full numbers, audited)."""
    student = get_in_scope(request, _scope(request.user), "学生", pk=pk)
    (card,) = cards.card_data([student], masked=True)
    return render(request, "students/record_card_detail.html", {"card": card, "student": student})


@login_required
def record_card_download(request, pk: int):
    """One student's card, at once (Word). Audited as a personal-data export."""
    student = get_in_scope(request, _scope(request.user).select_related("school"), "学生", pk=pk)
    content, filename = cards.export_one(student, request.user, request=request)
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = content_disposition(filename)
    return response


@login_required
@require_POST
def record_card_export(request):
    """导出学籍卡 of the chosen students (or all those of the chosen grade / class): bulk
    personal data, so only after the username and password of another account of the
    school (F-14); then a background job builds the zip (one ``<全国学籍号>.docx`` each) or
    one document, downloaded from the job page."""
    scope = _scope(request.user)
    fmt = request.POST.get("format") if request.POST.get("format") in ("zip", "docx") else "zip"
    filters = {k: request.POST.get(k, "") for k in ("grade", "klass", "q")}
    back = reverse("students:record_card_list") + "?" + "&".join(f"{k}={v}" for k, v in filters.items() if v)
    try:
        if request.POST.get("all") == "1" and request.POST.get("step") != "verify":
            filtered, chosen_filters, _ = _filtered(request, filters, scope)
            if not chosen_filters:
                raise ValidationError("导出全部学生前请先选择年级或班级")
            chosen = list(filtered.order_by("klass__code", "name", "pk"))
        else:
            chosen = list(chosen_in_scope(request, scope, request.POST.getlist("student"), "学生")
                          .order_by("klass__code", "name", "pk"))
        if not chosen:
            raise ValidationError("请选择要导出学籍卡的学生")
        if len(chosen) > MAX_CARDS:
            raise ValidationError(f"一次最多导出{MAX_CARDS}名学生的学籍卡(本次{len(chosen)}名),请按年级或班级分批导出")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    step = second_account_step(request, "学籍卡导出")
    if step.second is not None:
        job = jobs.submit_record_cards(chosen, request.user, school=request.user.school, fmt=fmt, second=step.second,
                                       request=request)
        return redirect("jobs:detail", pk=job.pk)
    return render_verification(
        request, step, purpose="学籍卡导出", back=back,
        notice="学籍卡含学生和家庭成员的完整个人信息,批量导出须输入本单位另一账号的用户名和密码进行验证。导出将记录两位用户的姓名。",
        summary=f"将导出{len(chosen)}名学生的学籍卡:{names_summary([c.name for c in chosen])}。",
        hidden=[("format", fmt), *(("student", c.pk) for c in chosen)])
