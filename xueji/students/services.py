"""Writes on the record's identity: national numbers and identity claims (查重占用).

Both are guaranteed by the database, not by a check-then-insert: a number sequence is
advanced under a row lock, and an identity claim is a unique key that two racing
registrations cannot both insert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from xueji.common import bulk

from . import numbers
from .models import IdentityClaim, NumberSequence, Student, StudentNumber


@dataclass
class ClaimConflict:
    key: str
    school_name: str
    school_code: str
    national_number: str = ""

    @property
    def message(self) -> str:
        held = f"学籍号{self.national_number}" if self.national_number else "待审核的注册申请"
        return f"身份证件号已在{self.school_name}({self.school_code})存在学籍({held}),不能重复注册"


def next_sequenced_number(kind: str, division_code: str, birth_date: dt.date) -> str:
    """A J or L number, never handed out before. Must run inside a transaction."""
    prefix = numbers.sequence_prefix(kind, division_code, birth_date)
    NumberSequence.objects.get_or_create(prefix=prefix)
    sequence = NumberSequence.objects.select_for_update().get(prefix=prefix)
    # Skip any number a record already has (e.g. loaded by initial data collection).
    while True:
        sequence.last += 1
        candidate = numbers.sequenced_number(prefix, sequence.last)
        if not StudentNumber.objects.filter(number=candidate).exists():
            break
    sequence.save(update_fields=["last"])
    return candidate


def allocate_sequenced_numbers(kind: str, requests: list[tuple[str, dt.date]]) -> list[str]:
    """Numbers for many students at once: one locked counter per prefix, one query to
    skip numbers already taken."""
    by_prefix: dict[str, list[int]] = {}
    for index, (division, birth) in enumerate(requests):
        by_prefix.setdefault(numbers.sequence_prefix(kind, division, birth), []).append(index)
    result: list[str] = [""] * len(requests)
    existing = {s.prefix: s for s in NumberSequence.objects.filter(prefix__in=list(by_prefix))}
    NumberSequence.objects.bulk_create(
        [NumberSequence(prefix=p) for p in by_prefix if p not in existing], ignore_conflicts=True
    )
    locked = {s.prefix: s for s in NumberSequence.objects.select_for_update().filter(prefix__in=list(by_prefix))}
    for prefix, indexes in by_prefix.items():
        sequence = locked[prefix]
        for index in indexes:
            sequence.last += 1
            result[index] = numbers.sequenced_number(prefix, sequence.last)
    taken = set(StudentNumber.objects.filter(number__in=result).values_list("number", flat=True))
    for index, number in enumerate(result):
        while number in taken:  # rare: skip numbers loaded from elsewhere
            sequence = locked[number[:15]]
            sequence.last += 1
            number = numbers.sequenced_number(number[:15], sequence.last)
        result[index] = number
    NumberSequence.objects.bulk_update(list(locked.values()), ["last"])
    return result


def find_conflicts(keys: list[str]) -> dict[str, ClaimConflict]:
    """Which of ``keys`` are already claimed, and by which school (one query)."""
    # Only the four columns the message needs: a select_related of the whole school and
    # record costs the ORM far more than the indexed lookup itself (bench/dedup.py).
    rows = IdentityClaim.objects.filter(key__in=keys).values_list(
        "key", "school__name", "school__code", "student__national_number"
    )
    return {key: ClaimConflict(key, name, code, number or "") for key, name, code, number in rows}


def claim_identities(claims: list[tuple[str, int, int | None]], *, checked: bool = False) -> dict[str, ClaimConflict]:
    """Claim identities ``(key, school_id, registration_id)`` for pending registrations.

    Returns the conflicts (key → holder); every other key is claimed when this returns.
    Set-based: one read, one insert (:mod:`xueji.common.bulk`). ``checked``: the caller
    has just read the conflicts (:func:`find_conflicts`) and left the held keys out, so
    the read is not repeated. If a concurrent registration got in between, the insert
    fails as a whole; the batch is read again and retried, and in the last resort
    claimed one savepoint per key — exactly one of two racers wins."""
    if not claims:
        return {}
    conflicts = {} if checked else find_conflicts([k for k, _, _ in claims])
    seen: set[str] = set()
    free = []
    for key, school_id, registration_id in claims:
        if key in conflicts or key in seen:
            continue
        seen.add(key)
        free.append((key, school_id, registration_id))
    columns = ("key", "school_id", "registration_id")
    with transaction.atomic():
        for attempt in range(2):
            try:
                with transaction.atomic():
                    bulk.insert_rows(IdentityClaim, columns, free)
                return conflicts
            except IntegrityError:
                if attempt == 0:  # someone claimed some of these meanwhile: who?
                    conflicts.update(find_conflicts([k for k, _, _ in free]))
                    free = [c for c in free if c[0] not in conflicts]
        for claim in free:
            try:
                with transaction.atomic():
                    bulk.insert_rows(IdentityClaim, columns, [claim])
            except IntegrityError:
                conflicts.update(find_conflicts([claim[0]]))
    return conflicts


def release_claims(registration_ids: list[int]) -> int:
    """A rejected or withdrawn registration frees its identity."""
    deleted, _ = IdentityClaim.objects.filter(registration_id__in=registration_ids, student__isnull=True).delete()
    return deleted


def record_number(student: Student) -> None:
    """Remember the student's current number forever."""
    StudentNumber.objects.create(number=student.national_number, student=student, kind=student.number_kind)


def replace_number(student: Student, new_number: str, kind: str) -> None:
    """Replace a temporary number by an official one; the old one keeps resolving."""
    StudentNumber.objects.filter(number=student.national_number).update(replaced_at=timezone.now())
    student.national_number = new_number
    student.number_kind = kind
    student.save(update_fields=["national_number", "number_kind", "updated_at"])
    record_number(student)
