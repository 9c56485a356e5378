"""问题学籍处理 (SPEC F-51 … F-53, seed 004 §2): every write of a group's handling.

- :func:`start_handling` — a school registrar chooses 变更 / 佐证 / 删除 for the member
  whose turn it is: ``rules.start``, then the engine business of the method (变更 through
  the F-43 rules and 查重认证 of ``changes.key_changes``), the member ACTING, a
  :class:`ProblemEvent` and the audit entry, in one transaction;
- :func:`complete_handling` / :func:`end_handling` — the engine's ``on_complete`` /
  ``on_end`` of the problem business types: the effect (the change, the deletion, the
  confirmed evidence) and ``rules.finish`` (automatic evidence, the turn passing on, or
  arbitration by the lowest common superior authority); a rejection or withdrawal puts
  the member back;
- :func:`arbitrate` — 仲裁 by a registrar of the group's arbiter: at most one member
  passes and keeps (or receives) the identity claim, the others must change or delete;
- :func:`members_left` — a record left its groups outside this handling (误操作删除, a
  plain key-data change of what the members share): ``rules.member_left``;
- :func:`joined` — records joined waiting groups (a new duplicate): the latest takes the turn;
- :func:`lock_groups` / :func:`hand_over` — F-53, for the admission issue; the province
  switch :func:`save_settings` locks the open groups of its graduates;
- :func:`remind` / :func:`remind_overdue` — 催办.

Every function takes the group's row lock first (``select_for_update``): two writers of
one group are serialised, so a double submission sees the first one's ACTING member and
is refused by the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.common.masking import mask_id_number
from xueji.org.models import Authority
from xueji.org.selectors import common_superior
from xueji.students import services as student_services
from xueji.students.models import Status, Student
from xueji.workflow import payloads, registry
from xueji.workflow import rules as workflow_rules
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from . import rules
from .models import (
    GroupState,
    MemberState,
    Method,
    ProblemEvent,
    ProblemGroup,
    ProblemKind,
    ProblemMember,
    ProblemReminder,
    ProblemSettings,
)

# --- the business types ---------------------------------------------------------------------------
CHANGE, CHANGE_NO_ID, PROOF, DELETE = "problem_change", "problem_change_no_id", "problem_proof", "problem_delete"
XP_CHANGE, XP_PROOF, XP_DELETE = "xp_problem_change", "xp_problem_proof", "xp_problem_delete"
KINDS = (CHANGE, CHANGE_NO_ID, PROOF, DELETE, XP_CHANGE, XP_PROOF, XP_DELETE)
CHANGE_KINDS = frozenset({CHANGE, CHANGE_NO_ID, XP_CHANGE})

OPINION_MAX = 200
REASON_MAX = 150
ADMISSION_LOCK_REASON = "招生期间锁定毕业生问题学籍"
SYSTEM = "系统"


def business_kind(method: str, *, cross_province: bool, change_kind: str = "") -> str:
    """The engine type of a 处理方式: 跨省 groups use the xp_ types; a 变更 that F-43 sends
    up to 省级 (to 无身份证件, or name and ID within a year) is 问题学籍变更(无身份证件号)
    in a province (a cross-province change has one type: docs/DECISIONS.md)."""
    if method == Method.CHANGE:
        if cross_province:
            return XP_CHANGE
        return CHANGE_NO_ID if change_kind in ("key_change_no_id", "key_change_name_id") else CHANGE
    if method == Method.EVIDENCE:
        return XP_PROOF if cross_province else PROOF
    if method == Method.DELETE:
        return XP_DELETE if cross_province else DELETE
    raise ValidationError("未知的处理方式")


def _payload_schema():
    from xueji.changes import key_changes

    return payloads.Schema("问题学籍处理:问题类型、处理方式、说明(变更:受控字段修改前值和修改后值)", (
        payloads.Field("problem_kind", "问题类型", "choice", options=tuple(ProblemKind.choices)),
        payloads.Field("method", "处理方式", "choice", options=tuple(Method.choices)),
        payloads.Field("problem_group", "问题学籍", "hidden"),
        *key_changes.PAYLOAD.fields,
    ))


FACT_COLUMNS = ("问题学籍", "查重认证")


# --- reading a group under its lock ------------------------------------------------------------

def _lock(group) -> ProblemGroup:
    pk = group.pk if isinstance(group, ProblemGroup) else int(group)
    locked = ProblemGroup.objects.select_for_update().filter(pk=pk).order_by("pk").first()
    if locked is None:
        raise ValidationError("问题学籍不存在")
    return locked


def _members(group: ProblemGroup) -> list[ProblemMember]:
    return list(ProblemMember.objects.filter(group=group).select_related("student").order_by("pk"))


def _as_rules(members: Iterable[ProblemMember]) -> list[rules.Member]:
    return [rules.Member(m.pk, m.student_id, m.rank, m.state, m.must_act, m.student.status == Status.DELETED)
            for m in members]


#: The rules' view of members (for pages deciding which buttons to show).
as_rule_members = _as_rules


def _unit(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return SYSTEM
    return (user.unit_name or "")[:100]


def _name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return (user.real_name or user.get_username())[:100]


def _event(group, member, action: str, user=None, note: str = "", unit: str | None = None) -> ProblemEvent:
    return ProblemEvent.objects.create(group=group, member=member, action=action[:40],
                                       unit=(unit if unit is not None else _unit(user))[:100],
                                       actor_name=_name(user), note=(note or "")[:200])


# --- deadlines and the arbiter -------------------------------------------------------------------

def _province_of(prefix: str | None) -> str:
    return (prefix or "")[:2]


def turn_days_for(prefixes: Iterable[str]) -> int:
    """每轮办理期限 for a turn held by units of these authority prefixes: their
    provinces' setting (the shortest when several), or the ministry's national default,
    or :data:`rules.DEFAULT_TURN_DAYS`."""
    from .services import turn_days_by_province

    days = turn_days_by_province()
    default = days.get("", rules.DEFAULT_TURN_DAYS)
    provinces = {_province_of(p) for p in prefixes}
    return min((days.get(p, default) for p in provinces), default=default)


def arbiter_for(student_ids: Iterable[int]) -> Authority | None:
    """The lowest common superior authority of the records' schools' supervisors
    (``org.selectors.common_superior``; 教育部 across provinces)."""
    return common_superior(Student.objects.filter(pk__in=list(student_ids)).values_list(
        "school__supervisor_id", flat=True))


# --- applying an outcome --------------------------------------------------------------------------

def _apply(group: ProblemGroup, members: list[ProblemMember], outcome: rules.Outcome, now) -> None:
    """Write ``outcome``: the members' states and turns, the group's state; a new turn
    (who must act changed, or the group went to arbitration) restarts the deadline; a
    resolved group hands the identity to the member left holding it."""
    before_turn = {m.pk for m in members if m.must_act}
    before_state = group.state
    changed = []
    for m in members:
        state = outcome.states.get(m.pk, m.state)
        must_act = m.pk in outcome.must_act
        if state != m.state or must_act != m.must_act:
            m.state, m.must_act = state, must_act
            if state in (MemberState.CHANGED, MemberState.DELETED, MemberState.EVIDENCED, MemberState.AUTO_EVIDENCED,
                         MemberState.PASSED) and m.acted_at is None:
                m.acted_at = now
            changed.append(m)
    if changed:
        ProblemMember.objects.bulk_update(changed, ["state", "must_act", "acted_at"])
    group.state = outcome.group_state
    fields = ["state", "updated_at"]
    if outcome.resolved:
        group.resolved, group.resolved_at, group.resolution = True, now, outcome.resolution[:200]
        group.turn_since, group.turn_due = now, None
        fields += ["resolved", "resolved_at", "resolution", "turn_since", "turn_due"]
        if group.kind == ProblemKind.ID_DUPLICATE:
            for m in members:
                if m.state in (MemberState.AUTO_EVIDENCED, MemberState.PASSED) and m.student.status != Status.DELETED:
                    student_services.take_identity(m.student_id)
    elif outcome.group_state == GroupState.ARBITRATION:
        live = [m.student_id for m in members if m.state in rules.LIVE and m.student.status != Status.DELETED]
        group.arbiter = arbiter_for(live)
        fields.append("arbiter")
        if before_state != GroupState.ARBITRATION:
            group.turn_since = now
            group.turn_due = workflow_rules.add_working_days(
                timezone.localtime(now), turn_days_for([group.arbiter.prefix if group.arbiter else ""]))
            fields += ["turn_since", "turn_due"]
    elif set(outcome.must_act) != before_turn or before_state == GroupState.ARBITRATION:
        prefixes = list(Student.objects.filter(pk__in=[m.student_id for m in members if m.pk in outcome.must_act])
                        .values_list("school__supervisor__prefix", flat=True))
        group.turn_since = now
        group.turn_due = workflow_rules.add_working_days(timezone.localtime(now), turn_days_for(prefixes))
        fields += ["turn_since", "turn_due"]
    group.updated_at = now
    group.save(update_fields=fields)


def _refuse(why: str):
    raise ValidationError(why)


# --- starting an action (变更 / 佐证 / 删除) ---------------------------------------------------

def _member(member) -> ProblemMember:
    pk = member.pk if isinstance(member, ProblemMember) else member
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ValidationError("问题学籍不存在") from None
    found = ProblemMember.objects.select_related("group", "student", "student__school", "student__grade").filter(
        pk=pk).first()
    if found is None:
        raise ValidationError("问题学籍不存在")
    return found


def can_handle(user, member: ProblemMember) -> bool:
    """Only the registrar of the member's own school chooses its 处理方式."""
    return (getattr(user, "is_authenticated", False) and user.role == Role.SCHOOL_REGISTRAR
            and user.school_id == member.student.school_id)


def start_handling(member, user, method: str, *, proof, after=None, reason: str = "", request=None) -> Business:
    """问题学籍 变更 / 佐证 / 删除: the registrar of the member's school starts the business
    of ``method`` with a proof image (required for all three, seed 004 §2). 变更 takes
    ``after`` (controlled field → value) through the F-43 rules and 查重认证. Refused: not
    the member's school registrar (PermissionDenied); not its turn, the group locked, a
    failed member evidencing, a second submission (the rules, in Chinese); the engine's
    own refusals (a business in progress, a status that does not allow it)."""
    from xueji.changes import key_changes

    member = _member(member)
    if not can_handle(user, member):
        raise PermissionDenied("只有该学生所在学校的学籍管理员可以处理问题学籍")
    if method not in Method.values:
        raise ValidationError("未知的处理方式")
    if proof is None:
        raise ValidationError("请上传证明材料")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(f"说明不能超过{REASON_MAX}个字")
    student = member.student
    # refusals of the rules first (cheap, and no 认证 for a group that can't act)
    why = rules.refusal(member.group.kind, _as_rules(_members(member.group)), member.pk, method,
                        locked=member.group.locked)
    if why:
        raise ValidationError(why)
    plan = key_changes.plan_key_change(student, after or {}, reason=reason) if method == Method.CHANGE else None
    now = timezone.now()
    with transaction.atomic():
        group = _lock(member.group_id)
        members = _members(group)
        try:
            outcome = rules.start(_as_rules(members), member.pk, method, kind=group.kind, locked=group.locked)
        except rules.Refused as refused:
            raise ValidationError(str(refused)) from None
        kind = business_kind(method, cross_province=group.cross_province, change_kind=plan.kind if plan else "")
        label = Method(method).label
        summary = f"{student.name} 问题学籍{label}({group.get_kind_display()})"
        extra = {"problem_kind": group.kind, "method": method, "problem_group": group.pk}
        if plan is not None:
            business = key_changes.start_key_change(plan, user, proof=proof, kind=kind, payload_extra=extra,
                                                    summary=summary, request=request, audit=False)
        else:
            payload = {**extra, **({"reason": reason} if reason else {})}
            business = workflow.initiate(kind=kind, school=student.school, applicant=user, student=student,
                                         stage=student.grade.stage, summary=summary, payload=payload, request=request)
            workflow.attach_material(business, user, proof, request=request)
        row = next(m for m in members if m.pk == member.pk)
        row.method, row.business = method, business
        row.save(update_fields=["method", "business"])
        _apply(group, members, outcome, now)
        _event(group, row, f"申请{label}", user, note=reason or summary)
        record_event(action="problems.handling_started", summary=f"问题学籍{label}申请:{summary}", actor=user,
                     request=request, target=group,
                     after={"group": group.pk, "member": row.pk, "student": student.pk, "method": method,
                            "business": business.pk, "kind": kind,
                            **({"changed": list(plan.changed), "identity": plan.masked} if plan else {})})
    return business


# --- the engine's hooks ---------------------------------------------------------------------------

def _member_of(business: Business) -> ProblemMember | None:
    return ProblemMember.objects.filter(business_id=business.pk).order_by("pk").first()


def complete_handling(business: Business, decision=None, user=None) -> registry.Effect | None:
    """on_complete of the problem types (the last level passed): the change, deletion or
    evidence takes effect and the group moves on (``rules.finish``). A locked group
    refuses (the decision is undone: 该问题学籍已锁定)."""
    from xueji.changes import key_changes

    found = _member_of(business)
    if found is None:  # a business whose group is gone: nothing to settle
        return None
    now = timezone.now()
    group = _lock(found.group_id)
    if group.locked:
        raise ValidationError("该问题学籍已锁定(招生期间),不能办结")
    members = _members(group)
    member = next(m for m in members if m.pk == found.pk)
    method = member.method
    detail: dict = {"group": group.pk, "member": member.pk, "method": method}
    if business.kind in CHANGE_KINDS:
        effect = key_changes.complete_key_change(business, decision, user, problem=True)
        detail.update(effect.detail)
    elif method == Method.DELETE:
        reason = (business.payload or {}).get("reason") or "问题学籍删除"
        (done,) = student_services.delete_records([business.student_id], reason=f"问题学籍删除:{reason}"[:150],
                                                  date=timezone.localdate(), actor=user, business_id=business.pk)
        member.student.status = Status.DELETED
        detail["numbers"] = {"before": done.old_number[:1] + "…", "after": done.number[:1] + "…"}
    elif method == Method.EVIDENCE and group.kind == ProblemKind.ID_ERROR:
        # 身份证件号错误, 佐证 confirmed by the authority: its confirmation stands for the
        # registry's verification — a temporary number holding its identity becomes G.
        upgraded = student_services.upgrade_temporary_numbers([business.student_id], actor=user)
        detail["upgraded"] = bool(upgraded.upgraded)
    try:
        outcome = rules.finish(_as_rules(members), member.pk, method, passed=True, kind=group.kind)
    except rules.Refused as refused:
        raise ValidationError(str(refused)) from None
    _apply(group, members, outcome, now)
    unit = decision.unit_name if decision is not None else None
    _event(group, member, f"{Method(method).label}审核通过", user, unit=unit,
           note=outcome.resolution or _next_words(group))
    detail["state"] = group.state
    return registry.Effect(f"问题学籍{Method(method).label}已生效" + (f",{outcome.resolution}" if outcome.resolution
                                                                     else f",{_next_words(group)}"), detail)


def _next_words(group: ProblemGroup) -> str:
    if group.state == GroupState.ARBITRATION:
        return f"双方均已佐证,待{group.arbiter.name if group.arbiter else '上级教育部门'}仲裁"
    if group.state == GroupState.RESOLVED:
        return group.resolution
    return "转由同组其他学籍处理"


def end_handling(business: Business, decision=None, user=None) -> None:
    """on_end (rejected, withdrawn, cleared): the member is back where it was and may
    choose again; a change frees the identity it reserved."""
    from xueji.changes import key_changes

    if business.kind in CHANGE_KINDS:
        key_changes.end_key_change(business, decision, user)
    found = _member_of(business)
    if found is None:
        return
    group = _lock(found.group_id)
    members = _members(group)
    member = next(m for m in members if m.pk == found.pk)
    if member.state != MemberState.ACTING:
        return
    outcome = rules.finish(_as_rules(members), member.pk, member.method, passed=False, kind=group.kind)
    _apply(group, members, outcome, timezone.now())
    words = "审核不通过" if decision is not None else "已撤销"
    _event(group, member, f"{Method(member.method).label}{words}", user,
           unit=decision.unit_name if decision is not None else None,
           note=(decision.opinion if decision is not None else business.close_note) or "")


def end_handlings(businesses, decisions=None, user=None) -> None:
    for business in businesses:
        end_handling(business, (decisions or {}).get(business.pk), user)


def review_facts(businesses) -> dict[int, list[tuple[str, str]]]:
    """问题学籍 (type, members masked, their states and methods) and 查重认证 of a change,
    for 待审核业务 and the business page: three queries for any number of businesses."""
    from xueji.changes import key_changes

    ids = [b.pk for b in businesses]
    own = dict(ProblemMember.objects.filter(business_id__in=ids).values_list("business_id", "group_id"))
    rows: dict[int, list[ProblemMember]] = {}
    kinds = dict(ProblemGroup.objects.filter(pk__in=set(own.values())).values_list("pk", "kind"))
    for m in ProblemMember.objects.filter(group_id__in=set(own.values())).select_related(
            "student", "student__school").order_by("-rank", "-student_id"):
        rows.setdefault(m.group_id, []).append(m)
    facts: dict[int, list[tuple[str, str]]] = {}
    for business_id, group_id in own.items():
        parts = [f"{m.student.name} {mask_id_number(m.student.id_number) if m.student.id_number else '无证件'}"
                 f"({m.student.school.name},{m.get_state_display()}"
                 + (f",{m.get_method_display()}" if m.method else "") + ")" for m in rows.get(group_id, [])]
        facts[business_id] = [("问题学籍", f"{ProblemKind(kinds[group_id]).label}:" + "；".join(parts))]
    for business_id, extra in key_changes.review_facts([b for b in businesses if b.kind in CHANGE_KINDS]).items():
        facts.setdefault(business_id, []).extend(extra)
    return facts


def register() -> None:
    """Plug the problem types' effects, content and reviewer facts into the engine."""
    schema = _payload_schema()
    for code in KINDS:
        registry.set_handlers(code, on_complete=complete_handling, on_end=end_handling, on_end_many=end_handlings,
                              payload=schema, facts=review_facts, fact_columns=FACT_COLUMNS)


# --- arbitration (仲裁) ---------------------------------------------------------------------------

def can_arbitrate(user, group: ProblemGroup) -> bool:
    return (getattr(user, "is_authenticated", False) and user.role == Role.AUTHORITY_REGISTRAR
            and group.arbiter_id is not None and user.authority_id == group.arbiter_id)


def arbitrate(group, user, passed_member_id: int | None, opinion: str = "", request=None) -> ProblemGroup:
    """仲裁: a registrar of the group's arbiter passes at most one member (it keeps — or
    receives — the identity claim and is no longer a problem record); every other member
    fails and goes back to its school, which may only change or delete. ``opinion``
    (补充意见) is required: some member always fails."""
    opinion = (opinion or "").strip()
    if len(opinion) > OPINION_MAX:
        raise ValidationError(f"补充意见不能超过{OPINION_MAX}个字")
    if passed_member_id not in (None, ""):
        try:
            passed_member_id = int(passed_member_id)
        except (TypeError, ValueError):
            raise ValidationError("仲裁通过的学籍必须是本组待仲裁的学籍") from None
    else:
        passed_member_id = None
    now = timezone.now()
    with transaction.atomic():
        group = _lock(group)
        if not can_arbitrate(user, group):
            raise PermissionDenied("只有仲裁单位的学籍管理员可以仲裁")
        if group.locked:
            raise ValidationError("该问题学籍已锁定(招生期间),不能处理")
        members = _members(group)
        try:
            outcome = rules.arbitrate(_as_rules(members), passed_member_id)
        except rules.Refused as refused:
            raise ValidationError(str(refused)) from None
        if any(s == MemberState.FAILED for s in outcome.states.values()) and not opinion:
            raise ValidationError("仲裁不通过时必须填写补充意见")
        for m in members:
            if m.pk in outcome.states:
                m.opinion = ("仲裁通过" if outcome.states[m.pk] == MemberState.PASSED else f"仲裁不通过:{opinion}")[:200]
        ProblemMember.objects.bulk_update([m for m in members if m.pk in outcome.states], ["opinion"])
        winner = next((m for m in members if m.pk == passed_member_id), None)
        if winner is not None and group.kind == ProblemKind.ID_DUPLICATE:
            student_services.take_identity(winner.student_id)
        _apply(group, members, outcome, now)
        if winner is not None:
            winner.acted_at = now
            ProblemMember.objects.filter(pk=winner.pk).update(acted_at=now)
        for m in members:
            if m.pk in outcome.states:
                _event(group, m, "仲裁通过" if m.pk == passed_member_id else "仲裁不通过", user,
                       note="" if m.pk == passed_member_id else opinion)
        record_event(action="problems.arbitrated", summary=f"问题学籍仲裁:{group}"
                     + (f",{winner.student.name}仲裁通过" if winner else ",均仲裁不通过"), actor=user, request=request,
                     target=group, authority_prefix=user.authority.prefix,
                     after={"group": group.pk, "passed": passed_member_id,
                            "failed": sorted(k for k, v in outcome.states.items() if v == MemberState.FAILED),
                            "opinion": opinion, "state": group.state})
    return group


# --- records leaving or joining outside the handling ----------------------------------------------

def members_left(student_ids: Iterable[int], *, resolution: str, user=None) -> list[int]:
    """The records left their unresolved groups other than by this handling (误操作删除;
    a plain key-data change of what the members share): ``rules.member_left`` for each —
    a group left with at most one live record is resolved (that one evidenced
    automatically), a larger one goes on. Returns the ids of the groups resolved."""
    ids = list(dict.fromkeys(student_ids))
    group_ids = sorted(set(ProblemMember.objects.filter(student_id__in=ids, group__resolved=False).values_list(
        "group_id", flat=True)))
    resolved = []
    now = timezone.now()
    with transaction.atomic():
        for group_id in group_ids:
            group = _lock(group_id)
            if group.resolved:
                continue
            members = _members(group)
            for m in [m for m in members if m.student_id in ids and m.state in rules.LIVE]:
                outcome = rules.member_left(_as_rules(members), m.pk, resolution=resolution)
                _apply(group, members, outcome, now)
                _event(group, m, "退出问题学籍", user, note=resolution)
                if group.resolved:
                    break
            if group.resolved:
                resolved.append(group.pk)
    return resolved


def joined(group_ids: Iterable[int]) -> None:
    """Records joined these groups (``services.join_or_open``): a group waiting for a
    school or for arbitration gives the turn to the latest live member (``rules.after_join``)."""
    now = timezone.now()
    for group_id in sorted(set(group_ids)):
        group = _lock(group_id)
        if group.resolved:
            continue
        members = _members(group)
        outcome = rules.after_join(_as_rules(members))
        if outcome is not None:
            _apply(group, members, outcome, now)
            _event(group, None, "新学籍加入", None, note="后注册的学籍先处理")


# --- lock and hand-over (F-53) ---------------------------------------------------------------------

def lock_groups(student_ids: Iterable[int], reason: str, *, user=None) -> list[int]:
    """锁定: the unresolved groups holding any of the records refuse every action until
    :func:`hand_over`. Returns the ids of the groups locked now (idempotent)."""
    reason = (reason or "").strip()[:100] or ADMISSION_LOCK_REASON
    ids = list(dict.fromkeys(student_ids))
    now = timezone.now()
    with transaction.atomic():
        group_ids = list(ProblemGroup.objects.filter(resolved=False, locked=False, members__student_id__in=ids)
                         .values_list("pk", flat=True).distinct())
        if not group_ids:
            return []
        ProblemGroup.objects.filter(pk__in=group_ids).update(locked=True, locked_at=now, lock_reason=reason,
                                                             updated_at=now)
        ProblemEvent.objects.bulk_create([ProblemEvent(group_id=g, action="锁定", unit=_unit(user),
                                                       actor_name=_name(user), note=reason) for g in group_ids])
        record_event(action="problems.locked", summary=f"锁定问题学籍{len(group_ids)}组:{reason}", actor=user,
                     target=("problems.problemgroup", None), after={"groups": group_ids, "reason": reason})
    return group_ids


def hand_over(student_ids: Iterable[int], *, user=None, reason: str = "") -> list[int]:
    """交接 after admission: the locked groups holding the records are unlocked; they follow
    the records (membership is by record, so the admitting school now sees and handles
    them) and their current turn starts again. Returns the ids of the groups unlocked."""
    ids = list(dict.fromkeys(student_ids))
    now = timezone.now()
    unlocked = []
    with transaction.atomic():
        group_ids = list(ProblemGroup.objects.filter(locked=True, members__student_id__in=ids)
                         .values_list("pk", flat=True).distinct())
        for group_id in sorted(group_ids):
            group = _lock(group_id)
            group.locked, group.locked_at, group.lock_reason = False, None, ""
            fields = ["locked", "locked_at", "lock_reason", "updated_at"]
            if not group.resolved:
                prefixes = list(Student.objects.filter(problem_memberships__group=group,
                                                       problem_memberships__must_act=True)
                                .values_list("school__supervisor__prefix", flat=True))
                group.turn_since = now
                group.turn_due = workflow_rules.add_working_days(timezone.localtime(now), turn_days_for(prefixes))
                fields += ["turn_since", "turn_due"]
            group.save(update_fields=fields)
            _event(group, None, "解除锁定", user, note=reason or "招生结束,交由录取学校处理")
            unlocked.append(group.pk)
        if unlocked:
            record_event(action="problems.handed_over", summary=f"解除锁定问题学籍{len(unlocked)}组", actor=user,
                         target=("problems.problemgroup", None), after={"groups": unlocked})
    return unlocked


# --- 问题学籍处理设置 (province) ----------------------------------------------------------------------

def can_configure(user) -> bool:
    """省级 (or 教育部, the national default) registrars set 问题学籍处理设置."""
    return (getattr(user, "is_authenticated", False) and user.role == Role.AUTHORITY_REGISTRAR
            and user.authority is not None and user.authority.level in (0, 1))


def settings_for(authority) -> ProblemSettings:
    return ProblemSettings.objects.filter(authority=authority).first() or ProblemSettings(
        authority=authority, turn_days=rules.DEFAULT_TURN_DAYS)


def save_settings(user, *, turn_days, admission_lock: bool, request=None) -> ProblemSettings:
    """问题学籍处理设置 of the user's province: 每轮办理期限 (1–60 working days; new turns
    use it) and the admission switch — on: the open groups of the province's graduates
    (学籍状态 毕业) are locked; off: the groups it locked are unlocked (:func:`hand_over`)."""
    if not can_configure(user):
        raise PermissionDenied("只有省级教育部门学籍管理员可以修改问题学籍处理设置")
    try:
        turn_days = int(turn_days)
    except (TypeError, ValueError):
        raise ValidationError("每轮办理期限须为1至60个工作日") from None
    if not 1 <= turn_days <= 60:
        raise ValidationError("每轮办理期限须为1至60个工作日")
    authority = user.authority
    with transaction.atomic():
        current = ProblemSettings.objects.select_for_update().filter(authority=authority).first()
        before = {"turn_days": current.turn_days, "admission_lock": current.admission_lock} if current else None
        was_locking = bool(current and current.admission_lock)
        settings, _ = ProblemSettings.objects.update_or_create(
            authority=authority, defaults={"turn_days": turn_days, "admission_lock": bool(admission_lock)})
        in_province = Q(school__supervisor__prefix__startswith=authority.prefix)
        changed_groups: list[int] = []
        if admission_lock and not was_locking:
            graduates = Student.objects.filter(in_province, status=Status.GRADUATED,
                                               problem_memberships__group__resolved=False).values_list("pk", flat=True)
            changed_groups = lock_groups(list(graduates), ADMISSION_LOCK_REASON, user=user)
        elif was_locking and not admission_lock:
            locked = Student.objects.filter(in_province, problem_memberships__group__locked=True,
                                            problem_memberships__group__lock_reason=ADMISSION_LOCK_REASON
                                            ).values_list("pk", flat=True)
            changed_groups = hand_over(list(locked), user=user, reason="招生结束,解除锁定")
        record_event(action="problems.settings_saved", summary=f"问题学籍处理设置:每轮{turn_days}个工作日,"
                     f"招生期间锁定{'开启' if admission_lock else '关闭'}", actor=user, request=request,
                     target=settings, authority_prefix=authority.prefix, before=before,
                     after={"turn_days": turn_days, "admission_lock": bool(admission_lock), "groups": changed_groups})
    return settings


# --- 催办 ----------------------------------------------------------------------------------------

def can_remind(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_authority_user


def _waiting_schools(group: ProblemGroup) -> list[int]:
    return sorted(set(ProblemMember.objects.filter(group=group, must_act=True).values_list(
        "student__school_id", flat=True)))


def remind(group, user, *, request=None) -> list[ProblemReminder]:
    """催办: an authority user (the caller scoped the group) reminds the school(s) whose
    turn it is. Refused: a resolved or locked group, one nobody must act on (under
    arbitration: the arbiter is an authority)."""
    if not can_remind(user):
        raise PermissionDenied("只有教育部门用户可以催办")
    with transaction.atomic():
        group = _lock(group)
        if group.resolved:
            raise ValidationError("该问题学籍已处理完毕")
        if group.locked:
            raise ValidationError("该问题学籍已锁定(招生期间),不能处理")
        schools = _waiting_schools(group)
        if not schools:
            raise ValidationError("该问题学籍当前不在等待学校处理")
        message = f"请尽快处理{group.get_kind_display()}问题学籍(已等待"
        message += f"{workflow_rules.working_days_between(timezone.localdate(group.turn_since), timezone.localdate())}个工作日)" \
            if group.turn_since else "多日)"
        made = ProblemReminder.objects.bulk_create([
            ProblemReminder(group=group, school_id=s, sender=_unit(user), sender_name=_name(user), message=message[:200])
            for s in schools])
        _event(group, None, "催办", user, note=message)
        record_event(action="problems.reminded", summary=f"问题学籍催办:{group}", actor=user, request=request,
                     target=group, after={"group": group.pk, "schools": schools})
    return made


def remind_overdue(now: dt.datetime | None = None) -> int:
    """The daily 催办 of overdue turns (``manage.py remind_overdue_problems``): each school
    whose turn is past its deadline gets one system reminder a day per group — running it
    twice on a day adds nothing. Set-based: three queries and one insert."""
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = list(ProblemMember.objects.filter(
        must_act=True, group__resolved=False, group__locked=False, group__turn_due__lt=now,
    ).values_list("group_id", "student__school_id", "group__kind").distinct())
    if not rows:
        return 0
    done = set(ProblemReminder.objects.filter(group_id__in={g for g, _, _ in rows}, sender=SYSTEM,
                                              sent_at__gte=day_start).values_list("group_id", "school_id"))
    fresh = sorted({(g, s, k) for g, s, k in rows if (g, s) not in done})
    if not fresh:
        return 0
    with transaction.atomic():
        ProblemReminder.objects.bulk_create([
            ProblemReminder(group_id=g, school_id=s, sender=SYSTEM,
                            message=f"{ProblemKind(k).label}问题学籍已超过本轮办理期限,请尽快处理")
            for g, s, k in fresh])
        record_event(action="problems.overdue_reminded", summary=f"超期问题学籍催办{len(fresh)}条",
                     target=("problems.problemgroup", None), after={"groups": sorted({g for g, _, _ in fresh})})
    return len(fresh)


ACTION_LABELS = {
    "problems.handling_started": "问题学籍处理申请",
    "problems.arbitrated": "问题学籍仲裁",
    "problems.locked": "锁定问题学籍",
    "problems.handed_over": "解除锁定问题学籍",
    "problems.settings_saved": "问题学籍处理设置",
    "problems.reminded": "问题学籍催办",
    "problems.overdue_reminded": "超期问题学籍催办",
}
FIELD_LABELS = {
    "group": "问题学籍", "member": "问题学籍成员", "method": "处理方式", "passed": "仲裁通过",
    "failed": "仲裁不通过", "groups": "问题学籍", "schools": "学校", "turn_days": "每轮办理期限",
    "admission_lock": "招生期间锁定", "upgraded": "转为正式学籍号",
}
