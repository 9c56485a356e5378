"""Creating problem-record groups (问题学籍). Handling them is a later feature."""

from __future__ import annotations

from xueji.audit.services import record_event

from .models import ProblemGroup, ProblemKind, ProblemMember


def open_group(kind: str, students: list, *, historical: bool = False, note: str = "", actor=None) -> ProblemGroup:
    """A new group of ``students`` sharing a problem of ``kind``. Call inside the caller's
    transaction (the record and its problem appear together)."""
    group = ProblemGroup.objects.create(kind=kind, historical=historical, note=note[:200])
    ProblemMember.objects.bulk_create([ProblemMember(group=group, student=s) for s in students])
    first = students[0]
    record_event(action="problems.group_opened",
                 summary=f"产生问题学籍({ProblemKind(kind).label}):{'、'.join(s.name for s in students[:5])}",
                 actor=actor, target=group, school=first.school,
                 after={"kind": kind, "students": [s.national_number for s in students]})
    return group
