"""Reads of problem records, scoped like the records they hold."""

from __future__ import annotations

from django.db.models import QuerySet

from xueji.codes import tables
from xueji.students.selectors import students_for

from .models import ProblemGroup, ProblemMember


def groups_for(user) -> QuerySet[ProblemGroup]:
    """Groups with at least one member the user may see (a cross-province group is seen
    by both provinces: each side sees the counterpart's state and evidence)."""
    return ProblemGroup.objects.filter(members__student__in=students_for(user)).distinct()


def members_of(group: ProblemGroup, user) -> list[dict]:
    """The group's records, the latest registered first, each with whether it is in the
    user's own scope (the counterpart of another school or province is shown, masked)."""
    mine = set(students_for(user).filter(problem_memberships__group=group).values_list("pk", flat=True))
    members = (ProblemMember.objects.filter(group=group)
               .select_related("student", "student__school", "student__grade", "student__klass", "business")
               .order_by("-rank", "-student_id"))
    return [{"member": m, "student": m.student, "mine": m.student_id in mine,
             "gender": tables.name_of("gender", m.student.gender) or m.student.gender,
             "id_type": tables.label("id_type", m.student.id_type)} for m in members]


def materials_of(group: ProblemGroup):
    """The proof materials of every handling business of ``group`` (变更/佐证/删除, also those
    rejected or withdrawn), oldest first. The caller has checked the user sees the group."""
    from xueji.workflow.models import Material

    return (Material.objects.filter(business__payload__problem_group=group.pk)
            .select_related("business").order_by("pk"))
