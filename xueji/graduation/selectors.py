"""Reads of 毕业, each scoped to the user's data scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xueji.accounts.models import Role
from xueji.org import selectors as org_selectors
from xueji.org.models import Grade, School, SchoolClass
from xueji.students.models import Student
from xueji.workflow import selectors as workflow_selectors
from xueji.workflow.models import BatchOperation

from . import services
from .models import Graduate

#: Who sees the 毕业 pages: the school's registrar and leader, and the authorities' registrars.
VIEWERS = (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR)


def graduation_batches_for(user, *, past: bool | None = None) -> QuerySet[BatchOperation]:
    queryset = workflow_selectors.batches_for(user).filter(kind=services.GRADUATION)
    if past is not None:
        queryset = queryset.filter(criteria__past=past)
    return queryset


def final_grades(school: School, *, past: bool = False) -> list[Grade]:
    """The school's grades in their final year (or, ``past``, whose final year is over and
    that still have students to graduate)."""
    year = services.school_year(school)
    grades = [g for g in Grade.objects.filter(school=school).order_by("stage", "-entry_year")
              if school.years_of(g.stage) and services.grade_is_final(g, school, past=past, year=year)]
    if past:
        waiting = set(Student.objects.filter(grade__in=grades, status__in=("10", "21", "22"))
                      .values_list("grade_id", flat=True).distinct())
        grades = [g for g in grades if g.pk in waiting]
    return grades


def final_classes(grades) -> QuerySet[SchoolClass]:
    return SchoolClass.objects.filter(grade__in=grades).select_related("grade", "school").order_by("code")


def final_students(grades) -> QuerySet[Student]:
    return (Student.objects.filter(grade__in=grades, status__in=("10", "21", "22"))
            .select_related("grade", "klass").order_by("klass__code", "name", "pk"))


def graduates_for(user) -> QuerySet[Graduate]:
    if not user.is_authenticated or user.role not in VIEWERS:
        return Graduate.objects.none()
    return (Graduate.objects.filter(school__in=org_selectors.schools_for(user))
            .select_related("student", "school__supervisor"))


def graduate_for(request, pk) -> Graduate:
    return org_selectors.get_in_scope(request, graduates_for(request.user), "毕业生", pk=pk)


def find_graduates(queryset: QuerySet[Graduate], number: str = "", name: str = "") -> QuerySet[Graduate]:
    number, name = (number or "").strip().upper()[:19], (name or "").strip()[:50]
    if number:
        queryset = queryset.filter(student__national_number=number)
    if name:
        queryset = queryset.filter(Q(student__name=name))
    return queryset
