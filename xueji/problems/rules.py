"""The problem-record state machine (SPEC F-51, seed 004 §2), as pure functions.

A group's members are given as :class:`Member` values (no database); the functions say
what may be done and what a step leads to, and :mod:`xueji.problems.services` writes it.

Rules (seed 004 §2 and docs/PROBLEMS.md):

- the record registered — or key-changed — **later** acts first (``rank``; equal ranks:
  the larger record id, the one created later);
- a member whose turn it is chooses 变更, 佐证 or 删除 (each with proof and the school
  leader's review, then its authority); after a failed arbitration only 变更 or 删除;
- a 变更 or 删除 takes the member out of the problem: when at most one member still
  shares it (live, or the one that passed arbitration), the group is resolved and that one is evidenced automatically (自动佐证);
  with two or more left the turn passes to the latest of them that has not evidenced;
- a 佐证 passes the turn to the latest member that has not evidenced yet; when every live
  member evidenced, the group goes to arbitration (仲裁) by the lowest common superior
  authority of their schools (教育部 when they are in different provinces);
- 仲裁: at most one member passes and keeps its identity; every other live member fails
  and must change or delete (all of them at once);
- a group of kind 身份证件号错误 has one member: its 变更 (new 查重认证) or 删除 resolves it,
  and so does its 佐证 once its authority confirmed it (there is nobody to pass a turn to);
- a locked group (招生期间, F-53) refuses every action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from xueji.org import rules as org_rules

from .models import GroupState, MemberState, Method, ProblemKind

#: Member states of a record that is still in the problem (not taken out by its own 变更
#: or 删除, nor cleared by passing arbitration or an automatic evidence).
LIVE = frozenset({MemberState.PENDING, MemberState.ACTING, MemberState.EVIDENCED, MemberState.FAILED})
#: States of a member that has evidenced (its turn is over until arbitration).
EVIDENCED = frozenset({MemberState.EVIDENCED})


@dataclass(frozen=True)
class Member:
    """One record of a group, as the rules see it."""

    id: int  # the membership (ProblemMember pk)
    student_id: int
    rank: dt.datetime | None
    state: str = MemberState.PENDING
    must_act: bool = False
    deleted: bool = False  # the record itself is deleted (学籍已删除)


@dataclass(frozen=True)
class Outcome:
    """What a step leads to: the new state of every member that changes, who must act,
    the group's new state, and — when it goes to arbitration — that it needs an arbiter."""

    states: dict[int, str] = field(default_factory=dict)  # member id → new state
    must_act: frozenset[int] = frozenset()
    group_state: str = GroupState.WAITING
    resolution: str = ""

    @property
    def resolved(self) -> bool:
        return self.group_state == GroupState.RESOLVED


class Refused(Exception):
    """A step the rules do not allow; the message is Chinese, for the user."""


def _order_key(m: Member) -> tuple:
    # later rank first; no rank sorts as earliest; ties: the later record id
    return (m.rank or dt.datetime.min.replace(tzinfo=dt.UTC), m.student_id)


def _live(members: Sequence[Member]) -> list[Member]:
    return [m for m in members if m.state in LIVE and not m.deleted]


def latest(members: Sequence[Member]) -> Member | None:
    """The member registered (or key-changed) latest."""
    return max(members, key=_order_key, default=None)


def first_turn(members: Sequence[Member]) -> frozenset[int]:
    """Who acts first in a new group: the live record registered (or key-changed) latest."""
    first = latest(_live(members))
    return frozenset({first.id}) if first else frozenset()


def allowed_methods(kind: str, member: Member, *, locked: bool = False) -> tuple[str, ...]:
    """处理方式 the member may choose now (empty: not its turn, or nothing to do)."""
    if locked or member.deleted or not member.must_act:
        return ()
    if member.state == MemberState.PENDING:
        return (Method.CHANGE, Method.EVIDENCE, Method.DELETE)
    if member.state == MemberState.FAILED:
        return (Method.CHANGE, Method.DELETE)
    return ()


def refusal(kind: str, members: Sequence[Member], member_id: int, method: str, *, locked: bool = False) -> str:
    """Why ``member_id`` may not start ``method`` now ('' when it may)."""
    if method not in Method.values:
        return "未知的处理方式"
    if locked:
        return "该问题学籍已锁定(招生期间),不能处理"
    member = next((m for m in members if m.id == member_id), None)
    if member is None:
        return "该学籍不在这组问题学籍中"
    if member.deleted or member.state == MemberState.DELETED:
        return "该学籍已删除"
    if member.state == MemberState.ACTING:
        return "该学籍的处理正在审核中"
    if member.state in (MemberState.CHANGED, MemberState.AUTO_EVIDENCED, MemberState.PASSED):
        return "该学籍已不是问题学籍"
    if member.state == MemberState.EVIDENCED:
        return "该学籍已佐证,等待对方处理或仲裁"
    if not member.must_act:
        return "尚未轮到该学籍处理:后注册(或后变更关键数据)的学籍先处理"
    if method not in allowed_methods(kind, member, locked=locked):
        return "仲裁不通过的学籍只能变更或删除"
    return ""


def start(members: Sequence[Member], member_id: int, method: str, *, kind: str = ProblemKind.ID_DUPLICATE,
          locked: bool = False) -> Outcome:
    """A member's school submits a 处理方式 (the business starts): it is ``ACTING``; the
    turn stays with it until the business ends."""
    why = refusal(kind, members, member_id, method, locked=locked)
    if why:
        raise Refused(why)
    acting = {m.id for m in members if m.must_act}
    return Outcome(states={member_id: MemberState.ACTING}, must_act=frozenset(acting),
                   group_state=GroupState.REVIEWING)


def _with(members: Sequence[Member], states: dict[int, str]) -> list[Member]:
    return [replace(m, state=states.get(m.id, m.state)) for m in members]


def _after_exit(members: list[Member], states: dict[int, str], *, resolution: str) -> Outcome:
    """A member left the problem (变更 or 删除): resolve when ≤ 1 live member is left (it
    is evidenced automatically), else continue with the others."""
    left = _live(members)
    passed = [m for m in members if m.state == MemberState.PASSED and not m.deleted]
    if len(left) + len(passed) <= 1:
        for m in left:
            states[m.id] = MemberState.AUTO_EVIDENCED
        return Outcome(states=states, group_state=GroupState.RESOLVED, resolution=resolution)
    return _next_turn(members, states)


def _next_turn(members: list[Member], states: dict[int, str]) -> Outcome:
    """Whose turn now, among live members: those that failed arbitration (all of them), or
    else the latest that has not evidenced; when all evidenced, arbitration."""
    left = _live(members)
    failed = [m for m in left if m.state == MemberState.FAILED]
    acting = [m for m in left if m.state == MemberState.ACTING]
    if failed or acting:
        turn = frozenset(m.id for m in failed + acting if m.must_act or m.state == MemberState.FAILED)
        group_state = GroupState.REVIEWING if acting else GroupState.RETURNED
        return Outcome(states=states, must_act=turn, group_state=group_state)
    waiting = [m for m in left if m.state == MemberState.PENDING]
    if waiting:
        return Outcome(states=states, must_act=frozenset({latest(waiting).id}), group_state=GroupState.WAITING)
    return Outcome(states=states, group_state=GroupState.ARBITRATION)


def finish(members: Sequence[Member], member_id: int, method: str, *, passed: bool,
           kind: str = ProblemKind.ID_DUPLICATE) -> Outcome:
    """The member's business ended: ``passed`` (its last step approved) or not (rejected
    or withdrawn — the member is back to where it was and may choose again)."""
    member = next((m for m in members if m.id == member_id), None)
    if member is None or member.state != MemberState.ACTING:
        raise Refused("该学籍没有正在审核的处理")
    if not passed:
        back = MemberState.FAILED if member.must_act and _was_failed(members, member) else MemberState.PENDING
        states = {member_id: back}
        current = _with(members, states)
        turn = frozenset(m.id for m in current if m.must_act)
        others_acting = any(m.state == MemberState.ACTING for m in current)
        others_failed = any(m.state == MemberState.FAILED for m in _live(current))
        group_state = (GroupState.REVIEWING if others_acting else
                       GroupState.RETURNED if others_failed else GroupState.WAITING)
        return Outcome(states=states, must_act=turn, group_state=group_state)
    if method in (Method.CHANGE, Method.DELETE):
        state = MemberState.CHANGED if method == Method.CHANGE else MemberState.DELETED
        states = {member_id: state}
        current = [replace(m, must_act=False) if m.id == member_id else m for m in _with(members, states)]
        label = "变更" if method == Method.CHANGE else "删除"
        if kind == ProblemKind.ID_ERROR:
            return Outcome(states=states, group_state=GroupState.RESOLVED, resolution=f"问题学籍已{label}")
        return _after_exit(current, states, resolution=f"一方{label},其他学籍自动佐证")
    if method == Method.EVIDENCE:
        if kind == ProblemKind.ID_ERROR:
            return Outcome(states={member_id: MemberState.EVIDENCED}, group_state=GroupState.RESOLVED,
                           resolution="佐证经教育部门确认,身份证件号无误")
        states = {member_id: MemberState.EVIDENCED}
        current = [replace(m, must_act=False) if m.id == member_id else m for m in _with(members, states)]
        return _next_turn(current, states)
    raise Refused("未知的处理方式")


def _was_failed(members: Sequence[Member], member: Member) -> bool:
    """A member acting after a failed arbitration goes back to FAILED when its business
    is rejected: the group was returned (others failed or passed) — known from the other
    members' states (a PASSED or FAILED sibling means arbitration took place)."""
    return any(m.state in (MemberState.PASSED, MemberState.FAILED) for m in members if m.id != member.id)


def arbitrate(members: Sequence[Member], passed_id: int | None) -> Outcome:
    """仲裁: ``passed_id`` (or none) passes and keeps its identity; every other live member
    fails and must change or delete. Refused when the group is not waiting for it."""
    left = _live(members)
    if not left or any(m.state != MemberState.EVIDENCED for m in left):
        raise Refused("该组问题学籍不在待仲裁状态")
    if passed_id is not None and passed_id not in {m.id for m in left}:
        raise Refused("仲裁通过的学籍必须是本组待仲裁的学籍")
    states = {m.id: (MemberState.PASSED if m.id == passed_id else MemberState.FAILED) for m in left}
    failed = frozenset(m.id for m in left if m.id != passed_id)
    if not failed:  # a single live member passed: nothing left to do
        return Outcome(states=states, group_state=GroupState.RESOLVED, resolution="仲裁通过")
    return Outcome(states=states, must_act=failed, group_state=GroupState.RETURNED)


def member_left(members: Sequence[Member], member_id: int, *, resolution: str) -> Outcome:
    """A member left the problem outside this group's handling (its record was deleted by
    误操作删除, or its identity changed by a key-data change): like its own 变更/删除."""
    states = {member_id: MemberState.DELETED}
    current = [replace(m, must_act=False, deleted=True) if m.id == member_id else m
               for m in _with(members, states)]
    return _after_exit(current, states, resolution=resolution)


def after_join(members: Sequence[Member]) -> Outcome | None:
    """A record joined the group (a new duplicate registered): when nobody is acting or
    failed (the group waits for a school, or for arbitration), the turn goes to the latest
    live member that has not evidenced — the newcomer, being registered last; None when
    the group goes on as it is (a business under review, or members returned after
    arbitration, finish first)."""
    left = _live(members)
    if not left or any(m.state in (MemberState.ACTING, MemberState.FAILED) for m in left):
        return None
    return _next_turn(list(members), {})


# --- the arbitration authority ----------------------------------------------------------------

#: The deepest authority every chain shares (moved to ``org.rules``: 重复招生 arbitrates by it too).
lowest_common_superior = org_rules.lowest_common_superior


# --- deadlines ----------------------------------------------------------------------------------

#: 每轮办理期限 when no province set one (working days).
DEFAULT_TURN_DAYS = 10
