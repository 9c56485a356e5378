"""Pages of 关键数据变更: 关键数据变更申请 and 关键数据变更审核 (the engine's 待审核业务,
filtered to the three key-change types)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from xueji.org.models import SchoolClass
from xueji.org.roles import Role
from xueji.students.selectors import students_for

from . import key_changes, rules
from .key_change_forms import FindStudentForm, KeyChangeForm, find_student

APPLY_ROLES = frozenset({Role.SCHOOL_REGISTRAR, Role.DATA_CHECKER})
REVIEW_ROLES = frozenset({Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR})


def _classes(student):
    return list(SchoolClass.objects.filter(school_id=student.school_id, grade__is_graduated=False)
                .select_related("grade", "school").order_by("code"))


def _initial(student) -> dict:
    values = key_changes.current_values(student)
    values["klass"] = student.klass_id
    values["id_number"] = ""  # never the full number on the page: left empty, it stays
    return values


@login_required
def key_change_apply(request):
    """关键数据变更申请: find the student (``?student=<id>`` preselects one in scope), then
    the values after the change, with the proof material."""
    if request.user.role not in APPLY_ROLES:
        raise PermissionDenied("只有学校学籍管理员和数据核查专用账号可以申请关键数据变更")
    scope = students_for(request.user).select_related("school", "grade", "klass__grade", "klass__school")
    student, found, find, raw = find_student(request, scope)
    form = None
    if student is not None:
        classes = _classes(student)
        if request.method == "POST":
            form = KeyChangeForm(request.POST, request.FILES, classes=classes)
            if form.is_valid():
                data = form.cleaned_data
                after = {attr: data[attr] for attr, _ in rules.KEY_FIELDS}
                if not data["id_number"].strip() and data["id_type"] == student.id_type:
                    del after["id_number"]  # left empty: the number is not changed
                try:
                    business = key_changes.request_key_change(
                        student, request.user, after, proof=data["proof"], reason=data["reason"],
                        klass=data["klass"], request=request)
                except ValidationError as error:
                    for message in error.messages:
                        form.add_error(None, message)
                else:
                    messages.success(request, f"已提交关键数据变更申请:{business.summary}")
                    return redirect("workflow:business_detail", pk=business.pk)
        else:
            form = KeyChangeForm(initial=_initial(student), classes=classes)
    return render(request, "changes/key_change_apply.html", {
        "find": find if raw is None else FindStudentForm(), "student": student, "found": found, "form": form,
    })


@login_required
def key_change_list(request):
    """关键数据变更审核: the reviewer's 待审核业务 of the key-change types (with their 查重认证
    column) — one review page, not a second one."""
    if request.user.role not in REVIEW_ROLES:
        raise PermissionDenied("只有学校学籍主管领导和教育部门学籍管理员可以审核关键数据变更")
    query = urlencode([("kind", k) for k in rules.KEY_CHANGE_KINDS])
    return redirect(f"{reverse('workflow:queue')}?{query}")
