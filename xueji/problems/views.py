"""问题学籍 pages. Thin: scope through ``selectors``, writes through ``handling``; what a
user may do on a group is decided by ``rules``/``handling`` here and only shown by the
templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xueji.changes import rules as change_rules
from xueji.codes import tables
from xueji.org.selectors import get_in_scope, record_scope_violation
from xueji.workflow import views as workflow_views

from . import handling, rules, selectors
from .handling_forms import ProblemChangeForm, ProofForm, SettingsForm
from .models import GroupState, Method, ProblemMember


def _group(request, pk: int):
    return get_in_scope(request, selectors.groups_for(request.user).select_related("arbiter"), "问题学籍", pk=pk)


def _actions(user, group, rows) -> list[dict]:
    """Per member: the 处理方式 this user may start now (the rules', for the registrar of
    the member's school)."""
    for row, rule_member in zip(rows, handling.as_rule_members(r["member"] for r in rows), strict=True):
        m = row["member"]
        row["methods"] = [(code, Method(code).label) for code in rules.allowed_methods(
            group.kind, rule_member, locked=group.locked)] if handling.can_handle(user, m) else []
    return rows


@login_required
def group_detail(request, pk: int):
    """问题学籍详情: the records of the group side by side, whose turn it is, the steps so
    far, and the buttons of what this user may do (变更/佐证/删除, 仲裁, 催办)."""
    group = _group(request, pk)
    rows = _actions(request.user, group, selectors.members_of(group, request.user))
    waiting = any(r["member"].must_act for r in rows)
    by_student: dict[int, list] = {}  # the proof of each record's handlings (a business is of one student)
    for item in selectors.materials_of(group):
        by_student.setdefault(item.business.student_id, []).append(item)
    for row in rows:
        row["materials"] = by_student.get(row["member"].student_id, [])
    return render(request, "problems/group.html", {
        "group": group, "members": rows,
        "events": group.events.select_related("member__student"),
        "can_arbitrate": (group.state == GroupState.ARBITRATION and not group.locked
                          and handling.can_arbitrate(request.user, group)),
        "can_remind": handling.can_remind(request.user) and waiting and not group.resolved and not group.locked,
        "reminders": group.reminders.all()[:10],
    })


@login_required
def material(request, pk: int, material: int):
    """证明材料 of a handling in the group: every side of a group (also the counterpart in
    another province) and its reviewers and arbiter see the evidence, as seed 004 §2 asks;
    nobody else (404 + audit)."""
    group = _group(request, pk)
    item = selectors.materials_of(group).filter(pk=material).first()
    if item is None:
        record_scope_violation(request, "证明材料", {"group": group.pk, "material": material})
        raise Http404("证明材料不存在或不在您的数据范围内")
    return workflow_views.material_response(request, item)


def _member_in(request, group, member_pk: int) -> ProblemMember:
    member = ProblemMember.objects.select_related("student", "student__school", "student__grade",
                                                  "student__klass").filter(group=group, pk=member_pk).first()
    if member is None or not handling.can_handle(request.user, member):
        record_scope_violation(request, "问题学籍成员", {"group": group.pk, "member": member_pk})
        raise Http404("问题学籍不存在或不在您的数据范围内")
    return member


def _initial(student) -> dict:
    from xueji.changes import key_changes

    values = key_changes.current_values(student)
    values["id_number"] = ""  # never the full number on the page: left empty, it stays
    return values


@login_required
def handle(request, pk: int, member: int, method: str):
    """问题学籍 变更 / 佐证 / 删除: the form of a 处理方式 for a member of the user's school."""
    if method not in Method.values:
        raise Http404("未知的处理方式")
    group = _group(request, pk)
    row = _member_in(request, group, member)
    student = row.student
    form_class = ProblemChangeForm if method == Method.CHANGE else ProofForm
    why = rules.refusal(group.kind, handling.as_rule_members(group.members.select_related("student")), row.pk,
                        method, locked=group.locked)
    if request.method == "POST" and not why:
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            after = None
            if method == Method.CHANGE:
                after = {attr: data[attr] for attr, _ in change_rules.KEY_FIELDS}
                if not data["id_number"].strip() and data["id_type"] == student.id_type:
                    del after["id_number"]
            try:
                business = handling.start_handling(row, request.user, method, proof=data["proof"], after=after,
                                                   reason=data.get("reason", ""), request=request)
            except (ValidationError, PermissionDenied) as error:
                for message in getattr(error, "messages", [str(error)]):
                    form.add_error(None, message)
            else:
                messages.success(request, f"已提交问题学籍{Method(method).label}申请,等待学校学籍主管领导审核")
                return redirect("workflow:business_detail", pk=business.pk)
    else:
        form = form_class(initial=_initial(student)) if method == Method.CHANGE else form_class()
    return render(request, "problems/handle.html", {
        "group": group, "member": row, "student": student, "method": method, "method_label": Method(method).label,
        "form": form, "refusal": why,
        "gender": tables.name_of("gender", student.gender) or student.gender,
        "id_type": tables.label("id_type", student.id_type),
    })


@login_required
def arbitrate(request, pk: int):
    """问题学籍仲裁: the members side by side, 仲裁通过/不通过 for each (at most one passes),
    补充意见 required for 不通过."""
    group = _group(request, pk)
    if not handling.can_arbitrate(request.user, group):
        raise PermissionDenied("只有仲裁单位的学籍管理员可以仲裁")
    rows = selectors.members_of(group, request.user)
    errors, chosen, opinion = [], "", ""
    if request.method == "POST":
        chosen = request.POST.get("passed", "")
        opinion = request.POST.get("opinion", "")
        try:
            handling.arbitrate(group, request.user, chosen or None, opinion, request=request)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, "仲裁完成:仲裁不通过的学籍已退回学校处理")
            return redirect("problems:group", pk=group.pk)
    return render(request, "problems/arbitrate.html", {
        "group": group, "members": rows, "errors": errors, "chosen": chosen, "opinion": opinion,
        "open": group.state == GroupState.ARBITRATION and not group.locked,
    })


@login_required
@require_POST
def remind(request, pk: int):
    """催办 the school(s) whose turn it is."""
    group = _group(request, pk)
    try:
        sent = handling.remind(group, request.user, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"已催办{len(sent)}所学校")
    return redirect("problems:group", pk=group.pk)


@login_required
def settings_page(request):
    """问题学籍处理设置 (省级; 教育部: the national default)."""
    if not handling.can_configure(request.user):
        raise PermissionDenied("只有省级教育部门学籍管理员可以修改问题学籍处理设置")
    current = handling.settings_for(request.user.authority)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            handling.save_settings(request.user, turn_days=form.cleaned_data["turn_days"],
                                   admission_lock=form.cleaned_data["admission_lock"], request=request)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "问题学籍处理设置已保存")
            return redirect("problems:settings")
    return render(request, "problems/settings.html", {"form": form, "authority": request.user.authority})
