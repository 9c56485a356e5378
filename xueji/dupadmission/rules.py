"""重复招生 (F-65, seed 001 招生入学流程 (4)–(6)) as pure functions, no database.

A duplicate's members are the admission rows of the one graduate, given as :class:`Member`
values: the admission, its school, whether it is still live (not 审核未通过, not 已撤销) and
the state of its latest evidence (佐证). The rules say where the duplicate stands, what a
school or the arbiter may do, and what an arbitration or a withdrawal leads to;
``services`` writes it.

- every admitting school evidences (proof material + 学校意见), its supervising authority
  reviews (核办: pass or fail with an opinion); refused → evidence again, or give up;
- a school may give its admission up (放弃录取 / 不录取, after 线下协商): when one live
  admission is left the duplicate is resolved, that one kept (no longer held);
- when the evidence of every live admission passed, the lowest common superior authority
  of the admitting schools arbitrates (仲裁): at most one admission passes, every other one
  is withdrawn (已撤销) — or all fail, and all are withdrawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EVIDENCE, ARBITRATION, RESOLVED = "evidence", "arbitration", "resolved"
REVIEWING, PASSED, REFUSED, WITHDRAWN = "reviewing", "passed", "refused", "withdrawn"

OPINION_MAX = 200


@dataclass(frozen=True)
class Member:
    """One admission of the duplicate: ``evidence`` is the state of its latest 佐证 ("" none)."""

    admission: int
    school: int
    live: bool
    evidence: str = ""


class Refused(Exception):
    """The rules refuse (the message is Chinese, for the user)."""


def live(members: Sequence[Member]) -> list[Member]:
    return [m for m in members if m.live]


def state_of(members: Sequence[Member], *, resolved: bool = False) -> str:
    """Where the duplicate stands: 已处理 (resolved, or at most one live admission left),
    待仲裁 (two or more live and the evidence of each passed), else 待佐证核办."""
    left = live(members)
    if resolved or len(left) <= 1:
        return RESOLVED
    if all(m.evidence == PASSED for m in left):
        return ARBITRATION
    return EVIDENCE


def _member(members: Sequence[Member], admission: int) -> Member:
    found = next((m for m in members if m.admission == admission), None)
    if found is None:
        raise Refused("该录取不属于本重复招生")
    return found


def evidence_refusal(members: Sequence[Member], admission: int, *, resolved: bool = False) -> str | None:
    """Why the school of ``admission`` may not 佐证 now, or None."""
    try:
        member = _member(members, admission)
    except Refused as refused:
        return str(refused)
    state = state_of(members, resolved=resolved)
    if state == RESOLVED:
        return "该重复招生已处理完毕"
    if not member.live:
        return "该录取已撤销或审核未通过,不能佐证"
    if member.evidence == REVIEWING:
        return "已提交佐证,正在等待主管教育行政部门核办"
    if member.evidence == PASSED:
        return "佐证已核办通过,等待其他录取学校佐证或仲裁"
    return None


def give_up_refusal(members: Sequence[Member], admission: int, *, resolved: bool = False) -> str | None:
    """Why the school of ``admission`` may not give it up (放弃录取) now, or None: allowed
    while the duplicate is open, also under arbitration (线下协商 may end it first)."""
    try:
        member = _member(members, admission)
    except Refused as refused:
        return str(refused)
    if state_of(members, resolved=resolved) == RESOLVED:
        return "该重复招生已处理完毕"
    if not member.live:
        return "该录取已撤销或审核未通过"
    return None


@dataclass(frozen=True)
class Outcome:
    """What an arbitration or a withdrawal leads to: the admissions to withdraw, the one
    kept (None: none), whether the duplicate is resolved now."""

    withdraw: tuple[int, ...]
    kept: int | None
    resolved: bool


def give_up(members: Sequence[Member], admission: int, *, resolved: bool = False) -> Outcome:
    """放弃录取: ``admission`` is withdrawn; one live admission left → resolved, it is kept."""
    why = give_up_refusal(members, admission, resolved=resolved)
    if why:
        raise Refused(why)
    left = [m for m in live(members) if m.admission != admission]
    if len(left) <= 1:
        return Outcome((admission,), left[0].admission if left else None, True)
    return Outcome((admission,), None, False)


def opinion_refusal(opinion: str) -> str | None:
    text = (opinion or "").strip()
    if not text:
        return "请填写仲裁意见"
    if len(text) > OPINION_MAX:
        return f"仲裁意见不能超过{OPINION_MAX}个字"
    return None


def arbitrate(members: Sequence[Member], passed: int | None, opinion: str, *, resolved: bool = False) -> Outcome:
    """仲裁: at most one live admission (``passed``; None: all fail) passes and is kept, every
    other live admission is withdrawn. Refused unless the duplicate waits for arbitration;
    ``passed`` must be one of its live admissions; the opinion is required (some admission
    always fails)."""
    state = state_of(members, resolved=resolved)
    if state == RESOLVED:
        raise Refused("该重复招生已处理完毕")
    if state != ARBITRATION:
        raise Refused("尚有录取学校的佐证未核办通过,不能仲裁")
    left = live(members)
    if passed is not None and passed not in {m.admission for m in left}:
        raise Refused("仲裁通过的录取必须是本重复招生待仲裁的录取")
    why = opinion_refusal(opinion)
    if why:
        raise Refused(why)
    return Outcome(tuple(m.admission for m in left if m.admission != passed), passed, True)


def needs_evidence(member: Member, *, state: str) -> bool:
    """The school of ``member`` has to act (佐证 or 放弃录取): the duplicate waits for
    evidence and this admission has none under review or passed."""
    return state == EVIDENCE and member.live and member.evidence not in (REVIEWING, PASSED)
