"""问题学籍 groups: the one writer of :class:`ProblemGroup` and :class:`ProblemMember`.
Handling them (变更, 佐证, 删除, 仲裁) is a later feature; registration, initial data
collection and the number upgrade open and resolve groups here.

The convention is that of ``students.services``: each function is one step of the
caller's business — it joins the caller's transaction, writes no audit entry of its own
(the calling business names the groups in its entry) and returns the groups. Set-based:
one insert of groups and one of members per call, whatever the number of groups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.students import numbers
from xueji.students.models import Status, Student

from .models import ProblemGroup, ProblemKind, ProblemMember


@dataclass(frozen=True)
class NewGroup:
    """A group to open: its kind, the records (ids) sharing the problem, a note."""

    kind: str
    student_ids: tuple[int, ...]
    note: str = ""
    historical: bool = False


def open_groups(groups: Sequence[NewGroup]) -> list[ProblemGroup]:
    """产生问题学籍: open ``groups``, in order. Two inserts in all."""
    groups = [g for g in groups if g.student_ids]
    if not groups:
        return []
    unknown = sorted({g.kind for g in groups} - set(ProblemKind.values))
    if unknown:
        raise ValidationError(f"未知的问题学籍类型:{'、'.join(unknown)}")
    with transaction.atomic():
        created = ProblemGroup.objects.bulk_create(
            [ProblemGroup(kind=g.kind, historical=g.historical, note=g.note[:200]) for g in groups])
        ProblemMember.objects.bulk_create(
            [ProblemMember(group=made, student_id=pk) for made, g in zip(created, groups, strict=True)
             for pk in dict.fromkeys(g.student_ids)], batch_size=1000)
    return created


def join_or_open(kind: str, members_by_key: Mapping[Hashable, Iterable[int]], *,
                 notes: Mapping[Hashable, str] | None = None, historical: bool = False) -> list[ProblemGroup]:
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
    joins: list[ProblemMember] = []
    for key, ids in members.items():
        group_id = next((existing[pk] for pk in ids if pk in existing), None)
        if group_id is None:
            new.append((key, ids))
        else:
            joins += [ProblemMember(group_id=group_id, student_id=pk) for pk in ids if pk not in existing]
    with transaction.atomic():
        opened = open_groups([NewGroup(kind, tuple(ids), notes.get(key, ""), historical) for key, ids in new])
        ProblemMember.objects.bulk_create(joins, batch_size=1000, ignore_conflicts=True)
    return opened


def group_duplicate_identities(keys: Iterable[str], *, notes: Mapping[str, str] | None = None,
                               historical: bool = False) -> list[ProblemGroup]:
    """身份证件号重复: every record (not deleted) holding each identity of ``keys`` (the
    caller found them duplicated: two records, or a record and a pending registration —
    then the group has one record and a ``notes`` entry says who else) goes into one
    group of the key, joined or opened (:func:`join_or_open`). One read."""
    keys = set(keys)
    if not keys:
        return []
    by_key: dict[str, list[int]] = defaultdict(list)
    for pk, id_type, id_number in Student.objects.filter(id_number__in=[k.split(":", 1)[1] for k in keys]).exclude(
            status=Status.DELETED).order_by("pk").values_list("pk", "id_type", "id_number"):
        key = numbers.identity_key(id_type, id_number)
        if key in keys:
            by_key[key].append(pk)
    return join_or_open(ProblemKind.ID_DUPLICATE, by_key, notes=notes, historical=historical)


def group_same_people(student_ids: Iterable[int], *, historical: bool = False) -> list[ProblemGroup]:
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
                        historical=historical)


def resolve_groups(kind: str, student_ids: Iterable[int], *, resolution: str) -> list[int]:
    """The unresolved groups of ``kind`` holding any of ``student_ids`` are settled
    (处理完毕, with ``resolution`` and the time). Returns their ids."""
    if kind not in ProblemKind.values:
        raise ValidationError(f"未知的问题学籍类型:{kind}")
    ids = list(ProblemGroup.objects.filter(kind=kind, resolved=False, members__student_id__in=list(student_ids))
               .values_list("pk", flat=True).distinct())
    if ids:
        ProblemGroup.objects.filter(pk__in=ids).update(resolved=True, resolved_at=timezone.now(),
                                                       resolution=resolution[:200])
    return ids
