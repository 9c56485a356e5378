"""学籍注册 pages: the six entries, template download, upload and its row errors, the
school's pending list with 审核 and 上报, and the authorities' review list. Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from xueji.accounts.models import Role
from xueji.common.lists import paginate_sorted
from xueji.common.spreadsheets import xlsx_response
from xueji.org.selectors import chosen_in_scope, get_in_scope
from xueji.students.excel import build_template, template_filename
from xueji.students.selectors import students_for, temporary_number_students
from xueji.workflow import rules as workflow_rules

from . import selectors, services
from .forms import SingleEntryForm, UploadForm
from .models import Entry, UploadStatus, VerifyStatus

#: The tabs of 本校注册申请 (``selectors.pending_for_school``).
STATES = ("audit", "report", "submitted", "dedup")
#: What each list of 本校注册申请 says when it is empty: what waits there, and how it gets there.
EMPTY_STATES = {
    "audit": "没有待学校审核的注册申请。Excel导入或单个录入的注册申请在此等待学校学籍主管领导审核。",
    "report": "没有待上报的注册申请。学校审核通过的注册申请在此上报教育部门。",
    "submitted": "没有已上报的注册申请。上报后等待教育部门审核的注册申请列在此处。",
    "dedup": "没有查重认证中的注册申请。人口信息库暂时无法访问时,注册申请在此等待重新认证。",
}


def _entry(value: str) -> Entry:
    try:
        return Entry(value)
    except ValueError as error:
        raise PermissionDenied("未知的注册类型") from error


#: 小学新生注册 / 非小学新生注册: the menu's two halves of the six entries.
ENTRY_GROUPS = {"primary": "小学新生注册", "other": "非小学新生注册"}


def _entry_group(request) -> str:
    """The ``group`` query parameter (primary / other), "" for every entry."""
    group = request.GET.get("group", "")
    return group if group in ENTRY_GROUPS else ""


def _in_group(regs, group: str):
    return regs.filter(entry__startswith=f"{group}-") if group else regs


def _pending_heading(group: str, state: str, role: str) -> str:
    """The heading of 本校注册申请, worded as the menu entry that leads there: 小学新生注册上报
    (the registrar's 待上报), 小学新生注册审核 (the leader's 待学校审核), else the list's name."""
    label = ENTRY_GROUPS.get(group)
    if not label:
        return "本校注册申请"
    if state == "report" and role == Role.SCHOOL_REGISTRAR:
        return f"{label}上报"
    if state == "audit" and role == Role.SCHOOL_LEADER:
        return f"{label}审核"
    return f"{label}:本校注册申请"


def _school_user(user, *roles):
    if not user.is_school_user or (roles and user.role not in roles):
        raise PermissionDenied("只有学校学籍管理员可以办理学籍注册")
    return user.school


@login_required
def index(request):
    """学籍注册: the entries, recent uploads and what waits."""
    user = request.user
    if user.is_authority_user:
        return redirect("registration:authority_review")
    school = _school_user(user, Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)
    group = _entry_group(request)
    return render(request, "registration/index.html", {
        "entries": [
            {"entry": e, "excel": e in services.EXCEL_ENTRIES, "single": e in services.SINGLE_ENTRIES}
            for e in Entry if not group or e.value.startswith(f"{group}-")
        ],
        "group": group, "group_label": ENTRY_GROUPS.get(group, "学籍注册"),
        "uploads": _in_group(selectors.uploads_for(user), group)[:10],
        "counts": selectors.school_counts(school, group),
        "temporary": _temporary_students(user, school).select_related("klass__grade", "klass__school")[:50]
        if user.role == Role.SCHOOL_REGISTRAR else [],
    })


def _index_url(group: str) -> str:
    """学籍注册 of one half (小学 / 非小学新生注册), or of both."""
    return reverse("registration:index") + (f"?group={group}" if group in ENTRY_GROUPS else "")


def _temporary_students(user, school):
    """The school's students holding a temporary L number with a resident ID."""
    return temporary_number_students(students_for(user).filter(school=school)).order_by("klass__code", "name")


@login_required
@require_POST
def reverify(request):
    """重新认证 (F-26): one temporary-number student of the school (``student``) or all of
    them (``all=1``) verified again; a verified one gets the official G number."""
    user = request.user
    school = _school_user(user, Role.SCHOOL_REGISTRAR)
    back = _index_url(request.POST.get("group", ""))
    if request.POST.get("all") == "1":
        students = _temporary_students(user, school)
    else:
        pk = request.POST.get("student", "")
        if not pk.isdigit():
            raise Http404("学籍不存在")
        student = get_in_scope(request, students_for(user), "学籍", pk=int(pk))
        students = _temporary_students(user, school).filter(pk=student.pk)
        if not students.exists():
            messages.info(request, f"{student.name}不是持居民身份证的临时学籍号学生,无需重新认证")
            return redirect(back)
    result = services.reverify_temporary_numbers(students, actor=user, request=request)
    for message in result.messages:
        (messages.error if result.unreachable else messages.success)(request, message)
    return redirect(back)


@login_required
def template_download(request, entry: str):
    """The entry's template, named as it is titled: 居民身份证小学新生注册导入模板.xlsx."""
    entry = _entry(entry)
    if entry not in services.EXCEL_ENTRIES:
        raise PermissionDenied("无身份证件学生只能单个录入")
    return xlsx_response(build_template(entry.value), template_filename(entry.value), f"{entry.value}.xlsx")


@login_required
def upload(request, entry: str):
    entry = _entry(entry)
    school = _school_user(request.user, Role.SCHOOL_REGISTRAR)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.submit_upload(school, entry.value, request.user, form.cleaned_data["file"], request)
        except ValidationError as error:
            form.add_error("file", error)
        else:  # the worker imports the rows; the job page shows the progress, then the result
            return redirect("jobs:detail", pk=job.pk)
    return render(request, "registration/upload.html", {"form": form, "entry": entry})


@login_required
def upload_detail(request, pk: int):
    """导入结果: totals and every failing row with all its reasons."""
    record = get_in_scope(request, selectors.uploads_for(request.user), "导入记录", pk=pk)
    result = paginate_sorted(request, record.row_errors.all(), {"row": "row"}, "row")
    can_export = request.user.role == Role.SCHOOL_REGISTRAR and request.user.school_id == record.school_id
    processing = record.status == UploadStatus.PROCESSING
    group = record.entry.split("-")[0]
    return render(request, "registration/upload_detail.html", {
        "upload": record, "result": result, "can_export": can_export, "processing": processing,
        "job": selectors.job_of_upload(record, request.user) if processing else None,
        "group": group, "group_label": ENTRY_GROUPS.get(group, "学籍注册"),
    })


@login_required
def upload_failed_rows(request, pk: int):
    """导出未通过行: the failing rows with a 错误原因 column, to correct and import again."""
    record = get_in_scope(request, selectors.uploads_for(request.user), "导入记录", pk=pk)
    content, filename = services.failed_rows_workbook(record, request.user, request)
    return xlsx_response(content, filename, f"upload-{record.pk}-failed-rows.xlsx")


@login_required
def single_entry(request, entry: str):
    """单个录入 (非小学新生 and 无身份证件)."""
    entry = _entry(entry)
    if entry not in services.SINGLE_ENTRIES:
        raise PermissionDenied("该注册类型不支持单个录入")
    school = _school_user(request.user, Role.SCHOOL_REGISTRAR)
    form = SingleEntryForm(request.POST or None, request.FILES or None, entry=entry, school=school)
    if request.method == "POST" and form.is_valid():
        outcome = services.register_single(school, entry.value, request.user, form.raw_row(),
                                           proof=form.cleaned_data.get("proof"), request=request)
        if outcome.passed:
            messages.success(request, f"已提交{outcome.passed[0].name}的注册申请,等待学校审核")
            return redirect(reverse("registration:pending") + "?" + urlencode(
                {"state": "audit", "group": entry.value.split("-")[0]}))
        form.add_rule_errors(outcome.failed[0].messages)
    return render(request, "registration/single_entry.html", {"form": form, "entry": entry})


#: 待审核业务 (xueji.workflow) filtered to the registrations: the one way in for reviewers.
REVIEW_QUEUE = "workflow:queue"
REVIEW_GROUP = "学籍注册"


def _review_url(group: str = "") -> str:
    """待审核业务 of the registrations (of one half — 小学 / 非小学新生注册 — when ``group``)."""
    if group:
        kinds = [code for entry, code in services.ENTRY_BUSINESS.items() if entry.value.startswith(f"{group}-")]
        return reverse(REVIEW_QUEUE) + "?" + urlencode([("kind", k) for k in kinds])
    return reverse(REVIEW_QUEUE) + "?" + urlencode({"group": REVIEW_GROUP})


@login_required
def pending(request):
    """本校注册申请: where each registration stands; 上报 and 撤销 (registrar). The school
    leader reviews in 待审核业务 (linked from here)."""
    user = request.user
    school = _school_user(user, Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)
    stage = request.GET.get("state", "audit" if user.role == Role.SCHOOL_LEADER else "report")
    if stage not in STATES:
        stage = "audit"
    group = _entry_group(request)
    regs = _in_group(selectors.pending_for_school(school, stage), group)
    entry = request.GET.get("entry", "")
    if entry in Entry.values:
        regs = regs.filter(entry=entry)
    else:
        entry = ""
    if request.method == "POST":
        if user.role != Role.SCHOOL_REGISTRAR:
            raise PermissionDenied("学校学籍主管领导请在“待审核业务”中审核注册申请")
        action = request.POST.get("action", "")
        try:
            chosen = regs if request.POST.get("all") == "1" else chosen_in_scope(
                request, regs, request.POST.getlist("reg"), "注册申请")
            chosen = list(chosen.select_related("business"))
            if action == "report":
                count = services.report(chosen, user, request)
                messages.success(request, f"已上报{count}条注册申请")
            elif action == "withdraw":
                count = services.withdraw(chosen, user, request)
                messages.success(request, f"已撤销{count}条注册申请")
            else:
                raise PermissionDenied("您无权执行该操作")
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(reverse("registration:pending") + "?" + urlencode(
            {"state": stage, **({"group": group} if group else {})}))
    result = paginate_sorted(request, regs.select_related("klass__grade", "klass__school", "business"), {
        "name": "name", "created": "created_at", "row": "row",
    }, "-created")
    return render(request, "registration/pending.html", {
        "result": result, "state": stage, "entries": Entry.choices, "entry": entry,
        "group": group, "heading": _pending_heading(group, stage, user.role), "empty": EMPTY_STATES[stage],
        "verify_failed": VerifyStatus.FAILED, "review_url": _review_url(group),
        "reviews_here": user.role == Role.SCHOOL_LEADER and stage == "audit",
    })


@login_required
def authority_review(request):
    """教育部门审核 of registrations happens in 待审核业务: this old address leads there."""
    if request.user.role != Role.AUTHORITY_REGISTRAR:
        raise PermissionDenied("只有教育部门学籍管理员可以审核注册申请")
    return redirect(_review_url(_entry_group(request)))


@login_required
def registration_detail(request, pk: int):
    reg = get_in_scope(request, selectors.registrations_for(request.user).select_related(
        "klass__grade", "klass__school", "student"), "注册申请", pk=pk)
    back = "registration:authority_review" if request.user.role == Role.AUTHORITY_REGISTRAR else "registration:pending"
    return render(request, "registration/detail.html", {
        "reg": reg, "business": reg.business, "back_url": reverse(back) if request.user.is_school_user
        or request.user.role == Role.AUTHORITY_REGISTRAR else "",
        # ID numbers masked as on the business's own page; the full ones only through its
        # audited 查看完整证件号.
        "can_reveal": workflow_rules.can_reveal(request.user),
    })
