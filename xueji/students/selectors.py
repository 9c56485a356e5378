"""Reads of student records, always scoped (SPEC F-11): an authority user sees records of
schools in scope, a school user their school's, a class teacher their classes'."""

from __future__ import annotations

from django.db.models import QuerySet

from xueji.org.roles import Role
from xueji.org.selectors import schools_for

from .models import Student


def students_for(user) -> QuerySet[Student]:
    if not user.is_authenticated:
        return Student.objects.none()
    if user.role == Role.CLASS_TEACHER:
        return Student.objects.filter(klass__head_teacher=user)
    if user.role == Role.PARENT:
        return Student.objects.none()
    return Student.objects.filter(school__in=schools_for(user))
