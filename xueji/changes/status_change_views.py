"""Pages of 学籍异动: 学籍异动申请 and 学籍异动审核 (the engine's 待审核业务 of the 学籍异动
types)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from xueji.org.roles import Role
from xueji.students.selectors import students_for

from . import rules, status_changes
from .key_change_forms import FindStudentForm, find_student
from .key_change_views import REVIEW_ROLES, _classes
from .status_change_forms import StatusChangeForm


@login_required
def status_change_apply(request):
    """学籍异动申请: find the student (``?student=<id>``), choose the type its status allows."""
    if request.user.role != Role.SCHOOL_REGISTRAR:
        raise PermissionDenied("只有学校学籍管理员可以申请学籍异动")
    scope = students_for(request.user).select_related("school", "grade", "klass__grade", "klass__school")
    student, found, find, raw = find_student(request, scope, scope.exclude(status="99"))
    form, kinds, suspension = None, [], None
    if student is not None:
        kinds = status_changes.offered_types(student)
        if student.status == "11":
            suspension = status_changes.suspension_of(student)
        if request.method == "POST":
            form = StatusChangeForm(request.POST, request.FILES, kinds=kinds, classes=_classes(student))
            if form.is_valid():
                data = form.cleaned_data
                try:
                    business = status_changes.request_status_change(
                        student, request.user, data["kind"], date=data["date"], reason=data["reason"],
                        klass=data["klass"], proof=data["proof"], request=request)
                except ValidationError as error:
                    for message in error.messages:
                        form.add_error(None, message)
                else:
                    messages.success(request, f"已提交学籍异动申请:{business.summary}")
                    return redirect("workflow:business_detail", pk=business.pk)
        else:
            form = StatusChangeForm(kinds=kinds, classes=_classes(student))
    return render(request, "changes/status_change_apply.html", {
        "find": find if raw is None else FindStudentForm(), "student": student, "found": found, "form": form,
        "kinds": kinds, "suspension": suspension,
    })


@login_required
def status_change_list(request):
    """学籍异动审核: the reviewer's 待审核业务 of the 学籍异动 types."""
    if request.user.role not in REVIEW_ROLES:
        raise PermissionDenied("只有学校学籍主管领导和教育部门学籍管理员可以审核学籍异动")
    query = urlencode([("kind", k) for k in rules.STATUS_CHANGE_KINDS])
    return redirect(f"{reverse('workflow:queue')}?{query}")
