"""重复招生 pages (seed 001 招生入学流程 (4)–(6)). Thin: scope through ``selectors``, writes
through ``services`` (the 核办 decision through the engine); who may do what is decided
there and by ``rules``, the templates only show it. ID numbers are masked everywhere."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xueji.common.forms import error_messages
from xueji.common.lists import paginate_sorted
from xueji.org.selectors import ScopeViolation, get_in_scope, record_scope_violation
from xueji.workflow import services as workflow
from xueji.workflow.selectors import businesses_for

from . import rules, selectors, services
from .forms import EvidenceForm, QueryForm, ReviewForm
from .models import CaseState

SORTABLE = {"created": "created_at", "resolved": "resolved_at", "year": "year"}


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(f"您的角色不能使用{what}")


def _conditions(request, *, default_state: str):
    """(form, cleaned conditions or None) of a list; an out-of-scope school: 403 + audit."""
    form = QueryForm(request.GET or None, authority=request.user.is_authority_user, default_state=default_state)
    if form.is_bound and not form.is_valid():
        return form, None
    data = dict(form.cleaned_data) if form.is_bound else {}
    data["state"] = data.get("state") or default_state
    return form, data


def _refuse_school(request, code: str):
    record_scope_violation(request, "学校", {"school": code})
    raise PermissionDenied("所选学校不存在或不在您的数据范围内")


# --- 重复招生处理 (school) ------------------------------------------------------------------------

@login_required
def handle_list(request):
    """重复招生处理: the school's admissions that are part of a duplicate (未处理 first)."""
    user = request.user
    _require(selectors.may_handle(user), "重复招生处理")
    form, data = _conditions(request, default_state="open")
    rows, result = [], None
    if data is not None:
        queryset, _ = selectors.filtered(user, selectors.school_rows(user), data, field="duplicate_group__")
        result = paginate_sorted(request, queryset.select_related(
            "student", "graduating_school", "duplicate_group", "duplicate_group__case"), SORTABLE, "-created")
        objects = list(result.objects)
        latest = selectors.latest_evidence(r.pk for r in objects)
        members = selectors.members_by_duplicate(r.duplicate_group_id for r in objects)
        for r in objects:
            rows.append({"row": r, "evidence": latest.get(r.pk), "state": selectors.state_label(r.duplicate_group),
                         "schools": len(members.get(r.duplicate_group_id, []))})
    return render(request, "dupadmission/list.html", {"form": form, "rows": rows, "result": result})


def _actions(user, duplicate, rows, latest) -> dict[int, dict]:
    """Per admission: may this user 佐证 / 放弃录取 it now (the rules)."""
    members = services.as_members(rows, latest)
    actions = {}
    for r in rows:
        mine = services.can_act(user, r)
        actions[r.pk] = {
            "evidence": mine and rules.evidence_refusal(members, r.pk, resolved=duplicate.resolved) is None,
            "give_up": mine and rules.give_up_refusal(members, r.pk, resolved=duplicate.resolved) is None,
        }
    return actions


@login_required
def detail(request, pk: int):
    """查看: every admitting school of the duplicate side by side, the evidence and its 核办,
    the arbitration; the buttons of what this user may do."""
    user = request.user
    _require(selectors.may_query(user), "重复招生")
    duplicate = get_in_scope(request, selectors.duplicates_for(user).select_related("student", "case__arbiter"),
                             "重复招生", pk=pk)
    rows = list(selectors.members(duplicate))
    latest = selectors.latest_evidence(r.pk for r in rows)
    history = list(selectors.evidence_of(duplicate))
    visible = set(businesses_for(user).filter(pk__in=[e.business_id for e in history]).values_list("pk", flat=True))
    materials = {}
    for e in history:
        if e.business_id in visible:
            materials[e.pk] = list(e.business.materials.all())
    actions = _actions(user, duplicate, rows, latest)
    case = selectors.case_of(duplicate)
    return render(request, "dupadmission/detail.html", {
        "duplicate": duplicate, "case": case, "state": selectors.state_label(duplicate),
        "members": [{"row": r, "evidence": latest.get(r.pk), "actions": actions[r.pk]} for r in rows],
        "history": [{"item": e, "materials": materials.get(e.pk, [])} for e in history],
        "can_arbitrate": (not duplicate.resolved and case is not None and case.state == CaseState.ARBITRATION
                          and services.can_arbitrate(user, case)),
    })


def _own_admission(request, pk: int):
    row = selectors.school_rows(request.user).select_related("student", "admitting_school", "duplicate_group").filter(
        pk=pk).first()
    if row is None:
        record_scope_violation(request, "重复招生录取", {"admission": pk})
        raise ScopeViolation("录取不存在或不在您的数据范围内")
    if not services.can_act(request.user, row):
        raise PermissionDenied("只有录取学校的学籍管理员可以佐证或放弃录取")
    return row


@login_required
def evidence(request, pk: int):
    """佐证: 学校意见 and the proof material, 上报 to the supervising authority."""
    _require(selectors.may_handle(request.user), "重复招生处理")
    row = _own_admission(request, pk)
    duplicate = row.duplicate_group
    why = rules.evidence_refusal(services.members_of(duplicate), row.pk, resolved=duplicate.resolved)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not why and form.is_valid():
        try:
            services.submit_evidence(row, request.user, opinion=form.cleaned_data["opinion"],
                                     proof=form.cleaned_data["proof"], request=request)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "佐证已上报,等待主管教育行政部门核办")
            return redirect("dupadmission:detail", pk=duplicate.pk)
    return render(request, "dupadmission/evidence.html", {"row": row, "form": form, "refusal": why})


@login_required
@require_POST
def give_up(request, pk: int):
    """放弃录取 (不录取): the school withdraws its own admission."""
    _require(selectors.may_handle(request.user), "重复招生处理")
    row = _own_admission(request, pk)
    try:
        duplicate = services.give_up_admission(row, request.user, reason=request.POST.get("reason", ""),
                                               request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        messages.success(request, "已放弃录取" + (",重复招生已处理完毕" if duplicate.resolved else ""))
    return redirect("dupadmission:detail", pk=row.duplicate_group_id)


# --- 重复招生核办 (authority) ---------------------------------------------------------------------

@login_required
def review_list(request):
    """重复招生核办: evidence of the user's schools waiting for the user's authority."""
    user = request.user
    _require(selectors.may_review(user), "重复招生核办")
    result = paginate_sorted(request, selectors.review_queue_for(user).select_related(
        "admission__student", "school", "case__duplicate"), {"created": "created_at"}, "created")
    return render(request, "dupadmission/review_list.html", {"result": result, "rows": list(result.objects)})


@login_required
def review(request, pk: int):
    """核办 one school's evidence: the student, the school, the school's opinion and proof;
    通过 / 不通过 with an opinion (the engine's decision)."""
    user = request.user
    _require(selectors.may_review(user), "重复招生核办")
    item = get_in_scope(request, selectors.evidence_in_scope(user).select_related(
        "admission__student", "admission__graduating_school", "school", "business", "case__duplicate"),
        "重复招生佐证", pk=pk)
    decidable = selectors.review_queue_for(user).filter(pk=item.pk).exists()
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and decidable and form.is_valid():
        try:
            workflow.decide(item.business, user, form.cleaned_data["passed"], form.cleaned_data["opinion"],
                            request=request)
        except (ValidationError, PermissionDenied) as error:
            for message in getattr(error, "messages", [str(error)]):
                form.add_error(None, message)
        else:
            messages.success(request, "核办完成")
            return redirect("dupadmission:review_list")
    return render(request, "dupadmission/review.html", {
        "item": item, "form": form, "decidable": decidable, "materials": list(item.business.materials.all()),
        "members": list(selectors.members(item.case.duplicate)),
    })


# --- 重复招生仲裁 (the common superior) ----------------------------------------------------------

@login_required
def arbitration_list(request):
    user = request.user
    _require(selectors.may_review(user), "重复招生仲裁")
    result = paginate_sorted(request, selectors.arbitration_queue_for(user).select_related(
        "duplicate__student"), {"updated": "updated_at"}, "updated")
    objects = list(result.objects)
    members = selectors.members_by_duplicate(c.duplicate_id for c in objects)
    return render(request, "dupadmission/arbitration_list.html", {
        "result": result, "rows": [{"case": c, "members": members.get(c.duplicate_id, [])} for c in objects]})


@login_required
def arbitrate(request, pk: int):
    """重复招生仲裁: every admission side by side, at most one passes (or none), opinion required."""
    user = request.user
    _require(selectors.may_review(user), "重复招生仲裁")
    duplicate = get_in_scope(request, selectors.duplicates_for(user).select_related("student", "case"),
                             "重复招生", pk=pk)
    case = selectors.case_of(duplicate)
    if not services.can_arbitrate(user, case):
        raise PermissionDenied("只有仲裁单位的学籍管理员可以仲裁")
    rows = list(selectors.members(duplicate))
    latest = selectors.latest_evidence(r.pk for r in rows)
    errors, chosen, opinion = [], "", ""
    if request.method == "POST":
        chosen, opinion = request.POST.get("passed", "")[:20], request.POST.get("opinion", "")[:400]
        try:
            services.arbitrate(duplicate, user, chosen or None, opinion, request=request)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, "仲裁完成")
            return redirect("dupadmission:detail", pk=duplicate.pk)
    members = services.as_members(rows, latest)
    live = {m.admission for m in rules.live(members)}
    return render(request, "dupadmission/arbitrate.html", {
        "duplicate": duplicate, "case": case, "errors": errors, "chosen": chosen, "opinion": opinion,
        "members": [{"row": r, "evidence": latest.get(r.pk), "live": r.pk in live} for r in rows],
        "open": rules.state_of(members, resolved=duplicate.resolved) == rules.ARBITRATION,
    })


# --- 重复招生查询 ---------------------------------------------------------------------------------

@login_required
def query(request):
    """重复招生查询: the duplicates in scope (已处理 by default), how each ended."""
    user = request.user
    _require(selectors.may_query(user), "重复招生查询")
    form, data = _conditions(request, default_state="resolved")
    rows, result = [], None
    if data is not None:
        queryset, refused = selectors.filtered(user, selectors.duplicates_for(user), data)
        if refused:
            _refuse_school(request, refused)
        result = paginate_sorted(request, queryset.select_related(
            "student", "case", "case__arbiter", "kept__admitting_school"), SORTABLE, "-created")
        objects = list(result.objects)
        members = selectors.members_by_duplicate(d.pk for d in objects)
        rows = [{"d": d, "case": selectors.case_of(d), "state": selectors.state_label(d),
                 "members": members.get(d.pk, [])} for d in objects]
    return render(request, "dupadmission/query.html", {"form": form, "rows": rows, "result": result})
