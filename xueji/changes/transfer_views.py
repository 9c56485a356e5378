"""Pages of 省内转学 (F-48) and 学生学籍转移 (F-92). Thin: parse, call a service or a scoped
selector, render. Reviewing and withdrawing a transfer happen on the engine's pages
(待审核业务, 业务详情)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xueji.accounts.models import Role
from xueji.common.forms import error_messages
from xueji.common.lists import paginate_sorted
from xueji.common.params import parse_id
from xueji.org import selectors as org_selectors
from xueji.workflow.models import BatchStatus

from . import transfer_selectors as selectors
from . import transfer_services as services
from .transfer_forms import (
    ApplyForm,
    LookupForm,
    OpinionForm,
    RecordTransferForm,
    TransferFilterForm,
)


def _require(user, *roles) -> None:
    if user.role not in roles:
        raise PermissionDenied("您无权使用该功能")


# --- 省内转学 --------------------------------------------------------------------------------------
@login_required
def transfer_list(request):
    """省内转学: transfers in and out of the user's school (an authority: of its schools),
    where each waits and for how many working days, overdue ones marked."""
    user = request.user
    _require(user, *selectors.TRANSFER_ROLES)
    form = TransferFilterForm(request.GET or None)
    transfers = selectors.transfers_for(user)
    now = timezone.now()
    if form.is_valid():
        data = form.cleaned_data
        if data["direction"]:
            transfers = selectors.in_direction(transfers, user, data["direction"])
        if data["state"]:
            transfers = transfers.filter(status=data["state"])
        if data["q"]:
            q = data["q"].strip()
            transfers = transfers.filter(Q(student__name__icontains=q) | Q(student__national_number=q.upper()))
        if data["overdue"]:
            transfers = transfers.filter(status="open", step_due__lt=now)
    result = paginate_sorted(request, transfers, {"created": "created_at", "school": "school__code"}, "created")
    rows = [{"b": b, "waiting": b.waiting_days(now), "overdue": b.is_overdue(now),
             "direction": selectors.direction_of(b, user)} for b in result.objects]
    return render(request, "changes/transfer_list.html", {
        "form": form, "result": result, "rows": rows, "can_apply": user.role == Role.SCHOOL_REGISTRAR,
        "waiting_placements": selectors.waiting_placements_for(user).count()
        if user.role == Role.SCHOOL_REGISTRAR else 0,
    })


def _grades(user):
    return list(services.target_grades(user.school))


@login_required
def transfer_apply(request):
    """省内转学申请: 查询 the student by 学籍号 + 姓名 (audited), then apply with the target
    grade, the reason and proof materials."""
    user = request.user
    _require(user, Role.SCHOOL_REGISTRAR)
    grades = _grades(user)
    student = None
    lookup = LookupForm()
    form = None
    if request.method == "POST" and request.POST.get("action") == "apply":
        form = ApplyForm(request.POST, grades=grades)
        if form.is_valid():
            data = form.cleaned_data
            try:
                business = services.apply_transfer(
                    user, national_number=data["national_number"], name=data["name"], to_grade=int(data["to_grade"]),
                    reason=data["reason"], materials=request.FILES.getlist("materials"), request=request)
            except ValidationError as error:
                error_messages(request, error)
            else:
                messages.success(request, "省内转学申请已提交,等待本校学籍主管领导审核")
                return redirect("workflow:business_detail", business.pk)
        student = services.find_student(request.POST.get("national_number", ""), request.POST.get("name", ""))
        if not services.transferable(user.school, student):
            student = None
        lookup = LookupForm(initial={"national_number": request.POST.get("national_number", ""),
                                     "name": request.POST.get("name", "")})
    elif request.method == "POST":
        lookup = LookupForm(request.POST)
        if lookup.is_valid():
            student = services.lookup_student(user, lookup.cleaned_data["national_number"],
                                              lookup.cleaned_data["name"], request=request)
            if student is None:
                messages.error(request, services.NOT_FOUND)
            else:
                form = ApplyForm(grades=grades, initial=lookup.cleaned_data)
    return render(request, "changes/transfer_apply.html", {
        "lookup": lookup, "student": student, "form": form if student is not None else None,
        "grades": grades,
    })


@login_required
def transfer_placement(request):
    """转入学生分班: the students a transfer brought in that wait for a class (待分班),
    each with the classes of the grade they came into."""
    user = request.user
    _require(user, Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)
    waiting = list(selectors.waiting_placements_for(user).order_by("created_at", "pk")[:500])
    classes = selectors.classes_of_grades(p.grade_id for p in waiting)
    rows = [{"p": p, "classes": classes.get(p.grade_id, [])} for p in waiting]
    return render(request, "changes/transfer_placement.html", {
        "rows": rows, "can_place": user.role == Role.SCHOOL_REGISTRAR,
        "placed": selectors.placements_for(user).filter(placed_at__isnull=False).order_by("-placed_at")[:20],
    })


@login_required
@require_POST
def transfer_place(request, pk: int):
    _require(request.user, Role.SCHOOL_REGISTRAR)
    placement = selectors.placement_for(request, pk)
    try:
        services.place_in_class(request.user, placement, parse_id(request.POST.get("klass")), request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        messages.success(request, f"{placement.student.name}已分班")
    return redirect("changes:transfer_placement")


# --- 学生学籍转移 ------------------------------------------------------------------------------------
def _school_by_code(request, code: str):
    code = (code or "").strip()
    if not code:
        return None
    if not code.isdigit():
        raise ValidationError("学校标识码应为数字")
    return org_selectors.get_in_scope(request, org_selectors.schools_for(request.user).select_related("supervisor"),
                                      "学校", code=code)


@login_required
def record_transfer_list(request):
    """学生学籍转移: the authority registrar names the sending school (its grades, classes
    and 在校 students are offered), the way to choose and the receiving school; below,
    the record transfers of the unit and those below it."""
    user = request.user
    _require(user, Role.AUTHORITY_REGISTRAR)
    data = request.POST if request.method == "POST" else request.GET
    source = None
    grades, classes, students = [], [], []
    try:
        source = _school_by_code(request, data.get("from_school", ""))
    except ValidationError as error:
        error_messages(request, error)
    if source is not None:
        grades, classes, students = selectors.source_options(source)
    form = RecordTransferForm(data or None, grades=grades, classes=classes)
    if request.method == "POST" and source is not None and form.is_valid():
        cleaned = form.cleaned_data
        try:
            target = _school_by_code(request, cleaned["to_school"])
            if target is None:
                raise ValidationError("请填写转入学校标识码")
            chosen = []
            if cleaned["by"] == "students":
                chosen = list(org_selectors.chosen_in_scope(
                    request, selectors.choosable_students(source), request.POST.getlist("students"), "学生",
                ).values_list("pk", flat=True))
            transfer = services.create_record_transfer(
                user, from_school=source, to_school=target, by=cleaned["by"], grade=parse_id(cleaned["grade"]),
                klass=parse_id(cleaned["klass"]), student_ids=chosen, request=request)
        except ValidationError as error:
            error_messages(request, error)
        else:
            messages.success(request, f"学生学籍转移已发起(学生{transfer.batch.total}人),等待{transfer.to_school.name}确认")
            return redirect("changes:record_transfer_list")
    if request.method == "POST" and source is not None and not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for message in errors:
                messages.error(request, f"{label}:{message}" if label else message)
    result = paginate_sorted(request, selectors.record_transfers_for(user), {"created": "created_at"}, "created")
    rows = [{"t": t, "can_cancel": services.can_cancel(user, t)} for t in result.objects]
    return render(request, "changes/record_transfer_list.html", {
        "form": form, "source": source, "students": students, "result": result, "rows": rows,
    })


@login_required
@require_POST
def record_transfer_cancel(request, pk: int):
    """撤销 a 学籍转移 the receiving school has not confirmed yet."""
    _require(request.user, Role.AUTHORITY_REGISTRAR)
    transfer = selectors.record_transfer_for(request, pk)
    try:
        services.cancel_record_transfer(request.user, transfer, request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        messages.success(request, "学籍转移已撤销")
    return redirect("changes:record_transfer_list")


@login_required
def record_transfer_confirm(request):
    """学籍转入确认: the record transfers coming to the registrar's school, each with its
    students; confirm (they move now) or refuse (with an opinion)."""
    user = request.user
    _require(user, Role.SCHOOL_REGISTRAR)
    transfers = list(selectors.record_transfers_for(user).order_by("-created_at")[:50])
    members = selectors.members_of(transfers)
    rows = [{"t": t, "students": members.get(t.batch_id, []),
             "resumable": t.status == "confirmed" and t.batch.status == BatchStatus.APPLYING} for t in transfers]
    return render(request, "changes/record_transfer_confirm.html", {"rows": rows, "form": OpinionForm()})


@login_required
@require_POST
def record_transfer_decide(request, pk: int):
    _require(request.user, Role.SCHOOL_REGISTRAR)
    transfer = selectors.record_transfer_for(request, pk)
    action = request.POST.get("action")
    try:
        if action == "resume":
            job = services.apply_record_transfer(request.user, transfer, request=request)
        else:
            job = services.confirm_record_transfer(request.user, transfer, action == "confirm",
                                                   request.POST.get("opinion", ""), request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        if job is not None:
            return redirect("jobs:detail", pk=job.pk)
        transfer.refresh_from_db()
        transfer.batch.refresh_from_db()
        if transfer.status == "confirmed":
            messages.success(request, f"已确认转入:成功{transfer.batch.succeeded}人,失败{transfer.batch.failed}人")
        else:
            messages.success(request, "已拒绝转入")
    return redirect(reverse("changes:record_transfer_confirm"))
