"""The problem-record state machine (problems.rules) as tables: every path of seed 004 §2."""

from __future__ import annotations

import datetime as dt

import pytest

from xueji.problems import rules as R
from xueji.problems.models import GroupState as G
from xueji.problems.models import MemberState as S
from xueji.problems.models import Method as M
from xueji.problems.models import ProblemKind as K

T0 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def group(*states, turn=(), deleted=()):
    """Members 1, 2, 3 … registered one day after another (3 is the latest)."""
    return [R.Member(i, 100 + i, T0 + dt.timedelta(days=i), st, i in turn, i in deleted)
            for i, st in enumerate(states, start=1)]


def apply(members, outcome):
    return [R.Member(m.id, m.student_id, m.rank, outcome.states.get(m.id, m.state), m.id in outcome.must_act,
                     m.deleted) for m in members]


def test_the_later_record_acts_first():
    members = group(S.PENDING, S.PENDING)
    assert R.first_turn(members) == {2}
    # a key change makes an earlier record the later one
    changed = [R.Member(1, 101, T0 + dt.timedelta(days=30)), R.Member(2, 102, T0 + dt.timedelta(days=2))]
    assert R.first_turn(changed) == {1}
    # equal ranks: the record created later (larger id); no rank counts as earliest
    assert R.first_turn([R.Member(1, 101, T0), R.Member(2, 102, T0)]) == {2}
    assert R.first_turn([R.Member(1, 101, None), R.Member(2, 102, T0)]) == {2}
    assert R.first_turn([]) == frozenset()


@pytest.mark.parametrize(("states", "turn", "member", "method", "why"), [
    ((S.PENDING, S.PENDING), {2}, 1, M.CHANGE, "后注册"),              # the earlier record may not act first
    ((S.PENDING, S.PENDING), {2}, 2, "nonsense", "未知的处理方式"),
    ((S.PENDING, S.PENDING), {2}, 9, M.CHANGE, "不在这组"),
    ((S.PENDING, S.ACTING), {2}, 2, M.EVIDENCE, "正在审核中"),         # double submission
    ((S.PENDING, S.EVIDENCED), {1}, 2, M.EVIDENCE, "已佐证"),
    ((S.FAILED, S.PASSED), {1}, 1, M.EVIDENCE, "只能变更或删除"),      # failed side evidencing again
    ((S.AUTO_EVIDENCED, S.CHANGED), (), 1, M.CHANGE, "已不是问题学籍"),
    ((S.PENDING, S.DELETED), {1}, 2, M.CHANGE, "已删除"),
])
def test_refusals(states, turn, member, method, why):
    members = group(*states, turn=turn)
    assert why in R.refusal(K.ID_DUPLICATE, members, member, method)
    with pytest.raises(R.Refused, match=why):
        R.start(members, member, method)


def test_a_locked_group_refuses_every_action():
    members = group(S.PENDING, S.PENDING, turn={2})
    for method in M.values:
        assert "锁定" in R.refusal(K.ID_DUPLICATE, members, 2, method, locked=True)
    assert R.allowed_methods(K.ID_DUPLICATE, members[1], locked=True) == ()
    assert R.allowed_methods(K.ID_DUPLICATE, members[1]) == (M.CHANGE, M.EVIDENCE, M.DELETE)
    assert R.allowed_methods(K.ID_DUPLICATE, members[0]) == ()


@pytest.mark.parametrize(("method", "left_state", "resolution"), [
    (M.CHANGE, S.CHANGED, "一方变更"),
    (M.DELETE, S.DELETED, "一方删除"),
])
def test_change_or_delete_by_the_later_side_resolves_the_pair(method, left_state, resolution):
    members = group(S.PENDING, S.PENDING, turn={2})
    started = R.start(members, 2, method)
    assert started.states == {2: S.ACTING} and started.group_state == G.REVIEWING
    members = apply(members, started)
    done = R.finish(members, 2, method, passed=True)
    assert done.resolved and resolution in done.resolution
    assert done.states == {2: left_state, 1: S.AUTO_EVIDENCED}
    assert done.must_act == frozenset()


def test_a_rejected_action_gives_the_turn_back():
    members = apply(group(S.PENDING, S.PENDING, turn={2}), R.start(group(S.PENDING, S.PENDING, turn={2}), 2, M.DELETE))
    back = R.finish(members, 2, M.DELETE, passed=False)
    assert back.states == {2: S.PENDING} and back.must_act == {2} and back.group_state == G.WAITING
    with pytest.raises(R.Refused):
        R.finish(group(S.PENDING, S.PENDING), 2, M.DELETE, passed=True)  # nothing acting


def _evidence(members, who):
    members = apply(members, R.start(members, who, M.EVIDENCE))
    out = R.finish(members, who, M.EVIDENCE, passed=True)
    return apply(members, out), out


@pytest.mark.parametrize(("method", "expected"), [
    (M.CHANGE, {1: S.CHANGED, 2: S.AUTO_EVIDENCED}),
    (M.DELETE, {1: S.DELETED, 2: S.AUTO_EVIDENCED}),
])
def test_evidence_then_the_other_changes_or_deletes(method, expected):
    members, out = _evidence(group(S.PENDING, S.PENDING, turn={2}), 2)
    assert out.group_state == G.WAITING and out.must_act == {1}   # the turn passed to the other side
    members = apply(members, R.start(members, 1, method))
    done = R.finish(members, 1, method, passed=True)
    assert done.resolved
    assert {**{m.id: m.state for m in members}, **done.states} == expected


@pytest.mark.parametrize(("passed", "expected_states", "turn", "state"), [
    (1, {1: S.PASSED, 2: S.FAILED}, {2}, G.RETURNED),
    (2, {1: S.FAILED, 2: S.PASSED}, {1}, G.RETURNED),
    (None, {1: S.FAILED, 2: S.FAILED}, {1, 2}, G.RETURNED),
])
def test_both_evidence_then_arbitration(passed, expected_states, turn, state):
    members, _ = _evidence(group(S.PENDING, S.PENDING, turn={2}), 2)
    members, out = _evidence(members, 1)
    assert out.group_state == G.ARBITRATION and out.must_act == frozenset()
    ruling = R.arbitrate(members, passed)
    assert ruling.states == expected_states and ruling.must_act == turn and ruling.group_state == state
    members = apply(members, ruling)
    # a failed side may not evidence again, only change or delete
    failed = next(m for m in members if m.state == S.FAILED)
    assert "只能变更或删除" in R.refusal(K.ID_DUPLICATE, members, failed.id, M.EVIDENCE)
    assert R.allowed_methods(K.ID_DUPLICATE, failed) == (M.CHANGE, M.DELETE)
    # its change is rejected: it is still failed; then it deletes
    members = apply(members, R.start(members, failed.id, M.CHANGE))
    back = R.finish(members, failed.id, M.CHANGE, passed=False)
    assert back.states == {failed.id: S.FAILED}
    members = apply(members, back)
    members = apply(members, R.start(members, failed.id, M.DELETE))
    done = R.finish(members, failed.id, M.DELETE, passed=True)
    members = apply(members, done)
    if passed is None:  # the other failed one is the only holder left: resolved, evidenced
        assert done.resolved and {m.state for m in members} == {S.DELETED, S.AUTO_EVIDENCED}
    else:
        assert done.resolved and {m.state for m in members} == {S.DELETED, S.PASSED}


def test_arbitration_refusals():
    members = group(S.PENDING, S.EVIDENCED, turn={1})
    with pytest.raises(R.Refused, match="不在待仲裁"):
        R.arbitrate(members, 2)
    with pytest.raises(R.Refused, match="必须是本组"):
        R.arbitrate(group(S.EVIDENCED, S.EVIDENCED), 7)


def test_three_members():
    members = group(S.PENDING, S.PENDING, S.PENDING, turn={3})
    members, out = _evidence(members, 3)
    assert out.must_act == {2}                      # the next latest
    members, out = _evidence(members, 2)
    assert out.must_act == {1}
    # 1 changes: two evidenced records still share the identity → arbitration
    members = apply(members, R.start(members, 1, M.CHANGE))
    out = R.finish(members, 1, M.CHANGE, passed=True)
    assert not out.resolved and out.group_state == G.ARBITRATION
    members = apply(members, out)
    ruling = R.arbitrate(members, 3)
    assert ruling.must_act == {2}
    members = apply(members, ruling)
    members = apply(members, R.start(members, 2, M.DELETE))
    done = R.finish(members, 2, M.DELETE, passed=True)
    assert done.resolved


def test_three_members_two_fail_one_passes():
    members = group(S.EVIDENCED, S.EVIDENCED, S.EVIDENCED)
    members = apply(members, R.arbitrate(members, 1))
    assert {m.id for m in members if m.must_act} == {2, 3}
    members = apply(members, R.start(members, 2, M.CHANGE))
    out = R.finish(members, 2, M.CHANGE, passed=True)
    # 3 failed and still conflicts with the one that passed: not resolved, 3 must act
    assert not out.resolved and out.must_act == {3}
    members = apply(members, out)
    members = apply(members, R.start(members, 3, M.DELETE))
    assert R.finish(members, 3, M.DELETE, passed=True).resolved


def test_verification_problem_single_member():
    (member,) = group(S.PENDING, turn={1})
    for method, resolution in ((M.CHANGE, "变更"), (M.EVIDENCE, "确认"), (M.DELETE, "删除")):
        acting = apply([member], R.start([member], 1, method, kind=K.ID_ERROR))
        out = R.finish(acting, 1, method, passed=True, kind=K.ID_ERROR)
        assert out.resolved and resolution in out.resolution


def test_a_member_deleted_outside_the_group():
    out = R.member_left(group(S.PENDING, S.PENDING, turn={2}), 2, resolution="学籍已删除")
    assert out.resolved and out.states == {2: S.DELETED, 1: S.AUTO_EVIDENCED}
    out = R.member_left(group(S.PENDING, S.PENDING, S.PENDING, turn={3}), 3, resolution="学籍已删除")
    assert not out.resolved and out.must_act == {2}


@pytest.mark.parametrize(("chains", "expected"), [
    ([[0, 44, 4401, 440106], [0, 44, 4401, 440106]], 440106),   # one county
    ([[0, 44, 4401, 440106], [0, 44, 4401, 440104]], 4401),     # two counties of one city
    ([[0, 44, 4401, 440106], [0, 44, 4403, 440303]], 44),       # two cities of one province
    ([[0, 44, 4401, 440106], [0, 11, 1101, 110101]], 0),        # two provinces → 教育部
    ([[0, 44, 4401], [0, 44, 4401, 440106]], 4401),             # a city-run school and a county school
    ([[0, 44, 4401, 440106], [0, 44, 4401, 440104], [0, 44, 4403, 440303]], 44),  # three members
    ([], None),
    ([[1], [2]], None),
])
def test_lowest_common_superior(chains, expected):
    assert R.lowest_common_superior(chains) == expected


@pytest.mark.parametrize(("states", "turn", "expected_turn", "expected_state"), [
    ((S.PENDING, S.PENDING, S.PENDING), {2}, {3}, G.WAITING),          # the newcomer (3) is the latest
    ((S.EVIDENCED, S.EVIDENCED, S.PENDING), (), {3}, G.WAITING),       # was waiting for arbitration
    ((S.EVIDENCED, S.PENDING, S.PENDING), {2}, {3}, G.WAITING),
])
def test_a_record_joining_takes_the_turn_when_it_is_the_latest(states, turn, expected_turn, expected_state):
    outcome = R.after_join(group(*states, turn=turn))
    assert outcome.must_act == expected_turn and outcome.group_state == expected_state


@pytest.mark.parametrize("states", [(S.ACTING, S.PENDING), (S.FAILED, S.PASSED, S.PENDING), (S.CHANGED,)])
def test_a_record_joining_waits_while_a_business_or_a_returned_member_goes_on(states):
    assert R.after_join(group(*states, turn={1})) is None
