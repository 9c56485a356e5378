"""Reads of problem records, scoped like the records they hold."""

from __future__ import annotations

from django.db.models import QuerySet

from xueji.students.selectors import students_for

from .models import ProblemGroup


def groups_for(user) -> QuerySet[ProblemGroup]:
    """Groups with at least one member the user may see."""
    return ProblemGroup.objects.filter(members__student__in=students_for(user)).distinct()
