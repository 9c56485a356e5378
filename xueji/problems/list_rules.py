"""What the 问题学籍 lists show, as pure functions (no database): how long a group has
waited in its turn, whether it is overdue, who it waits for, and the age buckets of the
overview (问题学籍概况). Working days are the engine's (``workflow.rules``: Monday to
Friday, no holiday calendar), so a group's "已等待N个工作日" and its deadline count alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xueji.workflow import rules as workflow_rules

from .models import GroupState, MemberState

#: The member states a school must act on when its turn comes (first choice, or after a
#: failed arbitration: change or delete).
TURN_STATES = (MemberState.PENDING, MemberState.FAILED)

#: The overview's age buckets in working days since the group was opened:
#: (label, lower bound inclusive, upper bound inclusive or None).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("5个工作日内", 0, 5),
    ("6至10个工作日", 6, 10),
    ("11至20个工作日", 11, 20),
    ("21至60个工作日", 21, 60),
    ("60个工作日以上", 61, None),
)


def waited_days(since: dt.datetime | None, now: dt.datetime) -> int | None:
    """已等待N个工作日: working days from the start of the turn to ``now`` (None: no turn)."""
    if since is None:
        return None
    return workflow_rules.working_days_between(since.date(), now.date())


def is_overdue(due: dt.datetime | None, now: dt.datetime, state: str) -> bool:
    """超期: an open group whose turn is past its deadline."""
    return state != GroupState.RESOLVED and workflow_rules.is_overdue(due, now)


def working_days_before(now: dt.datetime, days: int) -> dt.datetime:
    """A moment whose day is the latest day ``d`` with ``days`` working days after it up
    to ``now``'s day (``working_days_between(d, now) == days``); same time of day."""
    if days < 0:
        raise ValueError("days must not be negative")
    moment, left = now, days
    while left > 0:
        if workflow_rules.is_working_day(moment.date()):
            left -= 1
        moment -= dt.timedelta(days=1)
    return moment


def bucket_bounds(now: dt.datetime) -> list[tuple[str, dt.datetime | None, dt.datetime | None]]:
    """Each age bucket as (label, opened after, opened at or before): a group opened at
    ``t`` with ``after < t <= before`` falls in the bucket (None: unbounded)."""
    bounds = []
    for label, low, high in AGE_BUCKETS:
        # age >= low  ⇔ opened at or before working_days_before(now, low) (calendar day granularity)
        before = None if low == 0 else _end_of_day(working_days_before(now, low))
        after = None if high is None else _end_of_day(working_days_before(now, high + 1))
        bounds.append((label, after, before))
    return bounds


def _end_of_day(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=23, minute=59, second=59, microsecond=999999)


def bucket_of(days: int) -> str:
    for label, low, high in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[-1][0]


@dataclass(frozen=True)
class Sibling:
    """What the lists need of one member of a group to say whom the group waits for."""

    member_id: int
    state: str
    must_act: bool
    school_name: str
    #: the unit the member's open business waits at (school leader's school or an authority)
    reviewing_unit: str = ""


def waiting_for(group_state: str, siblings: Sequence[Sibling], arbiter_name: str = "") -> str:
    """等待谁: the school(s) whose turn it is, the unit reviewing the open action, the
    arbitrating authority — or "—" for a resolved group."""
    if group_state == GroupState.RESOLVED:
        return "—"
    if group_state == GroupState.ARBITRATION:
        return f"{arbiter_name or '仲裁单位'}(仲裁)"
    reviewing = _unique(s.reviewing_unit for s in siblings if s.state == MemberState.ACTING and s.reviewing_unit)
    if group_state == GroupState.REVIEWING and reviewing:
        return "、".join(f"{u}(审核)" for u in reviewing)
    schools = _unique(s.school_name for s in siblings if s.must_act)
    if schools:
        return "、".join(f"{u}(处理)" for u in schools)
    return "—"


def counterpart(siblings: Sequence[Sibling], own_ids: Iterable[int], state_labels: dict[str, str]) -> str:
    """对方: the other members of the group (not ``own_ids``) as "学校:状态"."""
    own = set(own_ids)
    parts = [f"{s.school_name}:{state_labels.get(s.state, s.state)}" for s in siblings if s.member_id not in own]
    return ";".join(parts) or "—"


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
