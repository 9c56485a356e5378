"""Reads of student records, always scoped (SPEC F-11): an authority user sees records of
schools in scope, a school user their school's, a class teacher their classes'."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from xueji.org.roles import Role
from xueji.org.selectors import schools_for

from . import numbers, rules
from .models import NumberKind, Status, Student


def students_for(user) -> QuerySet[Student]:
    if not user.is_authenticated:
        return Student.objects.none()
    if user.role == Role.CLASS_TEACHER:
        return Student.objects.filter(klass__head_teacher=user)
    if user.role == Role.PARENT:
        return Student.objects.none()
    return Student.objects.filter(school__in=schools_for(user))


def temporary_number_students(students: QuerySet[Student]) -> QuerySet[Student]:
    """Of ``students`` (already scoped), those holding a temporary L number with a
    resident ID: the ones 重新认证 may give an official G number (F-26)."""
    return (students.filter(number_kind=NumberKind.TEMPORARY, id_type=numbers.RESIDENT_ID_TYPE)
            .exclude(id_number="").exclude(status=Status.DELETED))


def business_refusals(kind: str, kind_name: str, students: Iterable) -> list[str]:
    """F-27: why the 学籍状态 of ``students`` (records or ids) does not allow a business
    of type ``kind`` (its Chinese name ``kind_name``) — one message per student refused,
    naming them; empty when all may. One query. Called by the workflow engine whenever a
    business for existing students starts."""
    ids = [s.pk if isinstance(s, Student) else s for s in students]
    if not ids:
        return []
    rows = {pk: (name, status, stage) for pk, name, status, stage in Student.objects.filter(pk__in=ids).values_list(
        "pk", "name", "status", "grade__stage")}
    refusals = []
    for pk in ids:
        if pk not in rows:
            refusals.append("学籍不存在")
            continue
        name, status, stage = rows[pk]
        refusal = rules.business_allowed(status, kind, kind_name=kind_name, stage=stage)
        if refusal:
            refusals.append(f"{name}:{refusal}" if len(ids) > 1 else refusal)
    return refusals


def record_card_students(user) -> QuerySet[Student]:
    """学籍卡管理 (F-49): the records whose card ``user`` may print — school staff only
    (school registrar and leader: their school's; class teacher: their classes'), not
    deleted records."""
    if not user.is_authenticated or user.role not in RECORD_CARD_ROLES:
        return Student.objects.none()
    return students_for(user).exclude(status=Status.DELETED)


#: Who manages record cards (seed 004 §10: the school registrar; the leader and the class
#: teacher print those of their school / classes).
RECORD_CARD_ROLES = frozenset({Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.CLASS_TEACHER})
