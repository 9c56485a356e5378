"""问题学籍 groups: the one writer of :class:`ProblemGroup` and :class:`ProblemMember`.
Registration, initial data collection and the number upgrade open and resolve groups
here; handling them (变更, 佐证, 删除, 仲裁, lock, 催办) is :mod:`xueji.problems.handling`.

The convention is that of ``students.services``: each function is one step of the
caller's business — it joins the caller's transaction, writes no audit entry of its own
(the calling business names the groups in its entry) and returns the groups. Set-based:
one insert of groups and one of members per call, whatever the number of groups.

A caller that may have to take back what it wrote (an initial data collection that does
not finish) passes a :class:`Written` to the functions that open and join groups; they
note in it the groups opened and every membership written, and :func:`withdraw_written`
removes exactly those later.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from xueji.common import bulk
from xueji.students import numbers
from xueji.students.models import EventKind, RecordEvent, Status, Student
from xueji.students.selectors import holding_identities
from xueji.workflow import rules as workflow_rules

from . import rules
from .models import GroupState, ProblemGroup, ProblemKind, ProblemMember, ProblemSettings


@dataclass
class Written:
    """What the group writers wrote for one caller (filled when passed as ``written``):
    the ids of the groups opened and the memberships ``(group id, student id)`` written —
    those of the opened groups and those joined to existing groups."""

    groups: list[int] = field(default_factory=list)
    members: list[tuple[int, int]] = field(default_factory=list)

    def extend(self, other: Written) -> None:
        self.groups += other.groups
        self.members += other.members


@dataclass(frozen=True)
class NewGroup:
    """A group to open: its kind, the records (ids) sharing the problem, a note."""

    kind: str
    student_ids: tuple[int, ...]
    note: str = ""
    historical: bool = False


def open_groups(groups: Sequence[NewGroup], *, written: Written | None = None) -> list[ProblemGroup]:
    """产生问题学籍: open ``groups``, in order. Two inserts in all."""
    groups = [g for g in groups if g.student_ids]
    if not groups:
        return []
    unknown = sorted({g.kind for g in groups} - set(ProblemKind.values))
    if unknown:
        raise ValidationError(f"未知的问题学籍类型:{'、'.join(unknown)}")
    facts = member_facts({pk for g in groups for pk in g.student_ids})
    now = timezone.now()
    days = turn_days_by_province()
    rows: list[ProblemGroup] = []
    turns: list[frozenset[int]] = []
    for g in groups:
        ids = list(dict.fromkeys(g.student_ids))
        # the rules pick whose turn it is; the membership ids are not known yet: the student id stands in
        turns.append(rules.first_turn([rules.Member(pk, pk, facts[pk].rank) for pk in ids if pk in facts]))
        provinces = {facts[pk].province for pk in ids if pk in facts}
        due_days = min((days.get(p, days.get("", rules.DEFAULT_TURN_DAYS)) for p in provinces),
                       default=rules.DEFAULT_TURN_DAYS)
        rows.append(ProblemGroup(kind=g.kind, historical=g.historical, note=g.note[:200],
                                 cross_province=len(provinces) > 1, turn_since=now,
                                 turn_due=workflow_rules.add_working_days(timezone.localtime(now), due_days)))
    with transaction.atomic():
        created = ProblemGroup.objects.bulk_create(rows)
        members = [(made.pk, pk) for made, g in zip(created, groups, strict=True) for pk in dict.fromkeys(g.student_ids)]
        turn_of = {made.pk: turn for made, turn in zip(created, turns, strict=True)}
        ProblemMember.objects.bulk_create(
            [ProblemMember(group_id=g, student_id=pk, rank=facts[pk].rank if pk in facts else None,
                           must_act=pk in turn_of[g]) for g, pk in members], batch_size=1000)
    if written is not None:
        written.groups += [g.pk for g in created]
        written.members += members
    return created


def join_or_open(kind: str, members_by_key: Mapping[Hashable, Iterable[int]], *,
                 notes: Mapping[Hashable, str] | None = None, historical: bool = False,
                 written: Written | None = None) -> list[ProblemGroup]:
    """For each key (an identity, a person): add its records to an unresolved group of
    ``kind`` that already holds one of them, or open a group with all of them. Returns
    the groups opened (joined ones are not repeated)."""
    members = {key: list(dict.fromkeys(ids)) for key, ids in members_by_key.items() if ids}
    if not members:
        return []
    notes = notes or {}
    all_ids = {pk for ids in members.values() for pk in ids}
    existing: dict[int, int] = {}  # student → unresolved group of this kind
    for student_id, group_id in ProblemMember.objects.filter(
            student_id__in=all_ids, group__kind=kind, group__resolved=False).values_list("student_id", "group_id"):
        existing.setdefault(student_id, group_id)
    new: list[tuple[Hashable, list[int]]] = []
    joining: list[tuple[int, int]] = []
    for key, ids in members.items():
        group_id = next((existing[pk] for pk in ids if pk in existing), None)
        if group_id is None:
            new.append((key, ids))
        else:
            joining += [(group_id, pk) for pk in ids if pk not in existing]
    facts = member_facts([pk for _, pk in joining]) if joining else {}
    joins = [ProblemMember(group_id=g, student_id=pk, rank=facts[pk].rank if pk in facts else None)
             for g, pk in joining]
    with transaction.atomic():
        opened = open_groups([NewGroup(kind, tuple(ids), notes.get(key, ""), historical) for key, ids in new],
                             written=written)
        ProblemMember.objects.bulk_create(joins, batch_size=1000, ignore_conflicts=True)
        if joins:
            # the group changed (incremental sync reads updated_at, which update() does not move)
            ProblemGroup.objects.filter(pk__in={m.group_id for m in joins}).update(updated_at=timezone.now())
            # a record joining a waiting group takes the turn when it is the latest (F-51)
            from . import handling

            handling.joined({m.group_id for m in joins})
    if written is not None:
        written.members += [(m.group_id, m.student_id) for m in joins]
    return opened


def group_duplicate_identities(keys: Iterable[str], *, notes: Mapping[str, str] | None = None,
                               historical: bool = False, written: Written | None = None) -> list[ProblemGroup]:
    """身份证件号重复: every record (not deleted) holding each identity of ``keys`` (the
    caller found them duplicated: two records, or a record and a pending registration —
    then the group has one record and a ``notes`` entry says who else) goes into one
    group of the key, joined or opened (:func:`join_or_open`). One read."""
    keys = set(keys)
    if not keys:
        return []
    by_key: dict[str, list[int]] = defaultdict(list)
    for pk, id_type, id_number in Student.objects.filter(holding_identities(keys)).exclude(
            status=Status.DELETED).order_by("pk").values_list("pk", "id_type", "id_number"):
        key = numbers.identity_key(id_type, id_number)
        if key in keys:
            by_key[key].append(pk)
    return join_or_open(ProblemKind.ID_DUPLICATE, by_key, notes=notes, historical=historical, written=written)


def group_same_people(student_ids: Iterable[int], *, historical: bool = False,
                      written: Written | None = None) -> list[ProblemGroup]:
    """无身份证件号姓名性别出生日期重复: each of ``student_ids`` that has no ID document
    (type Z) and shares 姓名 + 性别 + 出生日期 with another record (not deleted) goes into
    a group with all of them, joined or opened. Two reads."""
    people = set(Student.objects.filter(pk__in=list(student_ids), id_type=numbers.NO_DOCUMENT_TYPE).values_list(
        "name", "gender", "birth_date"))
    if not people:
        return []
    by_person: dict[tuple, list[int]] = defaultdict(list)
    for pk, name, gender, birth in Student.objects.filter(name__in={p[0] for p in people}).exclude(
            status=Status.DELETED).order_by("pk").values_list("pk", "name", "gender", "birth_date"):
        if (name, gender, birth) in people:
            by_person[(name, gender, birth)].append(pk)
    return join_or_open(ProblemKind.NO_ID_DUPLICATE, {p: v for p, v in by_person.items() if len(v) > 1},
                        historical=historical, written=written)


def resolve_groups(kind: str, student_ids: Iterable[int], *, resolution: str) -> list[int]:
    """The unresolved groups of ``kind`` holding any of ``student_ids`` are settled
    (处理完毕, with ``resolution`` and the time). Returns their ids."""
    if kind not in ProblemKind.values:
        raise ValidationError(f"未知的问题学籍类型:{kind}")
    ids = list(ProblemGroup.objects.filter(kind=kind, resolved=False, members__student_id__in=list(student_ids))
               .values_list("pk", flat=True).distinct())
    if ids:
        now = timezone.now()
        ProblemGroup.objects.filter(pk__in=ids).update(resolved=True, resolved_at=now, updated_at=now,
                                                       state=GroupState.RESOLVED, turn_due=None,
                                                       resolution=resolution[:200])
        ProblemMember.objects.filter(group_id__in=ids).update(must_act=False)
    return ids


@dataclass(frozen=True)
class MemberFacts:
    """What the rules need of a record when it joins a group."""

    rank: dt.datetime | None  # registered, or key-changed later: the later acts first
    province: str  # the two digits of its school's province ('' under the ministry)


def member_facts(student_ids: Iterable[int]) -> dict[int, MemberFacts]:
    """Rank (注册时间, or the last 关键数据变更 when later) and province of each record.
    Two queries per 5,000 records."""
    ids = list(dict.fromkeys(student_ids))
    facts: dict[int, MemberFacts] = {}
    for chunk in _chunks(ids):
        changed = dict(RecordEvent.objects.filter(student_id__in=chunk, kind=EventKind.KEY_CHANGE)
                       .values("student_id").annotate(last=Max("at")).values_list("student_id", "last"))
        for pk, registered, prefix in Student.objects.filter(pk__in=chunk).values_list(
                "pk", "registered_at", "school__supervisor__prefix"):
            rank = max((r for r in (registered, changed.get(pk)) if r is not None), default=None)
            facts[pk] = MemberFacts(rank, (prefix or "")[:2])
    return facts


def turn_days_by_province() -> dict[str, int]:
    """每轮办理期限 set by provinces ('' for the ministry's national default)."""
    return {(prefix or "")[:2]: days for prefix, days in ProblemSettings.objects.values_list(
        "authority__prefix", "turn_days")}


# --- taking back what a caller wrote ---------------------------------------------------------

#: Ids per ``IN (…)``.
_CHUNK = 5000


def _chunks(values: list) -> Iterable[list]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def memberships_besides(student_ids: Iterable[int], written: Written) -> set[int]:
    """Which of ``student_ids`` are in a problem group other than through ``written`` —
    a membership someone else wrote, or one in a group settled (处理完毕) since: a
    reference :func:`withdraw_written` leaves alone. Two queries per 5,000 students."""
    ids = list(dict.fromkeys(student_ids))
    ours = set(written.members)
    found: set[int] = set()
    for chunk in _chunks(ids):
        for group_id, student_id, resolved in ProblemMember.objects.filter(student_id__in=chunk).values_list(
                "group_id", "student_id", "group__resolved"):
            if resolved or (group_id, student_id) not in ours:
                found.add(student_id)
    return found


@dataclass
class Withdrawn:
    """What :func:`withdraw_written` removed and kept."""

    groups: list[int] = field(default_factory=list)
    members: int = 0
    kept_groups: dict[int, str] = field(default_factory=dict)  # group → why


def withdraw_written(written: Written, *, created: Iterable[int], kept: Iterable[int] = ()) -> Withdrawn:
    """Take back what ``written`` says a caller wrote, when the records it created
    (``created``) are being removed — except those ``kept`` (records that got a business
    or another reference meanwhile stay, and so do their memberships):

    - the memberships of the removed records, in any group of ``written``;
    - a group it opened, with its other members (the earlier holders of the identity),
      unless the group was settled since, holds a kept record, or holds a member written
      by someone else — then only the removed records leave it;
    - other memberships it joined to existing groups (an earlier holder joined beside
      the new record).

    In the caller's transaction; idempotent (rows already gone are skipped). A few
    queries per 5,000 rows."""
    result = Withdrawn()
    kept_ids = set(kept)
    removed = set(created) - kept_ids
    ours = set(written.members)
    opened = list(dict.fromkeys(written.groups))
    with transaction.atomic():
        states = {}
        for chunk in _chunks(opened):
            states.update(ProblemGroup.objects.select_for_update().filter(pk__in=chunk).values_list("pk", "resolved"))
        members_of: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # group → (member pk, group, student)
        for chunk in _chunks(opened):
            for pk, group_id, student_id in ProblemMember.objects.filter(group_id__in=chunk).values_list(
                    "pk", "group_id", "student_id"):
                members_of[group_id].append((pk, group_id, student_id))
        doomed_groups = []
        for group_id in opened:
            if group_id not in states:
                continue
            members = members_of.get(group_id, [])
            if states[group_id]:
                result.kept_groups[group_id] = "问题学籍已处理完毕"
            elif any(s in kept_ids for _, _, s in members):
                result.kept_groups[group_id] = "组内有保留的学籍"
            elif any((g, s) not in ours and s not in removed for _, g, s in members):
                result.kept_groups[group_id] = "组内有其他学籍加入"
            else:
                doomed_groups.append(group_id)
        doomed = set(doomed_groups)
        # memberships to remove: every one of a doomed group; elsewhere ours of a removed
        # record, or ours of an earlier holder joined to an existing unsettled group
        member_ids = [pk for g in doomed_groups for pk, _, _ in members_of.get(g, [])]
        elsewhere = [(g, s) for g, s in ours if g not in doomed and (s in removed or (
            g not in states and s not in kept_ids))]
        if elsewhere:
            wanted = set(elsewhere)
            for chunk in _chunks(sorted({s for _, s in elsewhere})):
                for pk, group_id, student_id in ProblemMember.objects.filter(
                        student_id__in=chunk, group__resolved=False).values_list("pk", "group_id", "student_id"):
                    if (group_id, student_id) in wanted:
                        member_ids.append(pk)
        for chunk in _chunks(member_ids):
            result.members += ProblemMember.objects.filter(pk__in=chunk).delete()[0]
        bulk.delete_rows(ProblemGroup, "id", doomed_groups)
        result.groups = doomed_groups
    return result
