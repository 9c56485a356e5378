"""误操作删除 pages (F-34): the list (未处理 / 已删除 / 已驳回 / 已取消申请), the school's
request form, and the POSTs 删除 / 驳回 (or 审核通过 / 审核不通过 at an earlier level) and
取消申请. Thin: scope through ``deletion`` and the org selectors, write through it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xueji.common.lists import paginate_sorted
from xueji.common.params import parse_id
from xueji.org.selectors import ScopeViolation, get_in_scope, record_scope_violation
from xueji.workflow import rules as workflow_rules
from xueji.workflow.models import BusinessStatus

from . import deletion

_STATE_BY_KEY = {"open": BusinessStatus.OPEN, "deleted": BusinessStatus.PASSED, "rejected": BusinessStatus.FAILED,
                 "cancelled": BusinessStatus.WITHDRAWN}
_STATE_TABS = [("open", "未处理"), ("deleted", "已删除"), ("rejected", "已驳回"), ("cancelled", "已取消申请"), ("all", "全部")]


class RequestForm(forms.Form):
    reason = forms.CharField(label="删除原因", max_length=deletion.REASON_MAX,
                             widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))
    proof = forms.FileField(label="证明材料(可不上传)", required=False,
                            help_text="JPG 或 PNG 图片,不超过 2MB",
                            widget=forms.ClearableFileInput(attrs={"class": "form-control",
                                                                   "accept": "image/jpeg,image/png"}))


def _page_user(request):
    if request.user.role not in deletion.PAGE_ROLES:
        raise PermissionDenied("只有学校学籍管理员、学校学籍主管领导和教育部门学籍管理员可以办理误操作删除")


def _last_step(business) -> bool:
    return business.position + 1 >= len(business.chain or [])


@login_required
def mistaken_deletion_list(request):
    """误操作删除: the requests in scope, by state (default 未处理)."""
    _page_user(request)
    state = request.GET.get("state") if request.GET.get("state") in dict(_STATE_TABS) else "open"
    requests = deletion.requests_for(request.user)
    if state != "all":
        requests = requests.filter(status=_STATE_BY_KEY[state])
    q = request.GET.get("q", "").strip()[:50]
    if q:
        requests = requests.filter(Q(student__name__contains=q) | Q(student__national_number=q.upper())
                                   | Q(payload__national_number=q.upper()))
    result = paginate_sorted(request, requests, {"created": "created_at", "school": "school__code"}, "-created")
    user = request.user
    rows = [{
        "business": b, "state": deletion.STATES.get(b.status, b.get_status_display()),
        "reason": (b.payload or {}).get("reason", ""), "number": (b.payload or {}).get("national_number", ""),
        "can_decide": b.is_open and not b.hold and workflow_rules.refusal(user, b) is None,
        "last_step": _last_step(b),
        "can_cancel": b.is_open and workflow_rules.can_withdraw(user, b),
    } for b in result.objects]
    return render(request, "changes/deletion_list.html", {
        "result": result, "rows": rows, "state": state, "tabs": _STATE_TABS, "q": q,
        "can_request": user.role == "school_registrar",
    })


@login_required
def mistaken_deletion_apply(request):
    """申请删除: find the student by 全国学籍号 (or come with ``?student=<id>``), give the
    reason and, if there is one, a proof image."""
    if request.user.role != "school_registrar":
        raise PermissionDenied("只有学校学籍管理员可以申请误操作删除")
    students = deletion.requestable_students_for(request.user)
    source = request.POST if request.method == "POST" else request.GET
    student = None
    number = source.get("number", "").strip().upper()[:19]
    if source.get("student"):
        pk = parse_id(source.get("student"))
        if pk is None:
            record_scope_violation(request, "学生", {"student": source.get("student", "")[:40]})
            raise ScopeViolation("学生不存在或不在您的数据范围内")
        student = get_in_scope(request, students, "学生", pk=pk)
    elif number:
        student = students.filter(national_number=number).first()
        if student is None:
            messages.error(request, "本校没有该全国学籍号的学生(已删除的学籍不能再申请删除)")
    form = RequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and student is not None and form.is_valid():
        try:
            business = deletion.request_deletion(student, request.user, reason=form.cleaned_data["reason"],
                                                 proof=form.cleaned_data.get("proof"), request=request)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"已提交{student.name}的误操作删除申请,等待{business.current_unit}审核")
            return redirect("changes:mistaken_deletion_list")
    return render(request, "changes/deletion_apply.html", {"form": form, "student": student, "number": number})


def _business(request, pk):
    return get_in_scope(request, deletion.requests_for(request.user), "误操作删除申请", pk=pk)


@login_required
@require_POST
def mistaken_deletion_decide(request, pk: int):
    _page_user(request)
    business = _business(request, pk)
    passed = request.POST.get("passed") == "1"
    try:
        deletion.decide_request(business, request.user, passed=passed, opinion=request.POST.get("opinion", "")[:500],
                                request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        done = "删除" if passed and business.status == BusinessStatus.PASSED else ("审核通过" if passed else "驳回")
        messages.success(request, f"{business.summary}:已{done}")
    return redirect("changes:mistaken_deletion_list")


@login_required
@require_POST
def mistaken_deletion_cancel(request, pk: int):
    _page_user(request)
    business = _business(request, pk)
    try:
        deletion.cancel_request(business, request.user, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{business.summary}:已取消申请")
    return redirect("changes:mistaken_deletion_list")
