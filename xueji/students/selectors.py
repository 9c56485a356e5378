"""Reads of student records, always scoped (SPEC F-11): an authority user sees records of
schools in scope, a school user their school's, a class teacher their classes'."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from xueji.codes import tables as codes
from xueji.common.masking import mask_id_number, mask_national_number
from xueji.org.models import Division, Grade, School, SchoolClass
from xueji.org.roles import Role
from xueji.org.selectors import schools_for

from . import fields as F
from . import numbers, rules
from .models import NumberKind, RecordEvent, Status, Student


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


# --- the record's history (学籍变动记录) ---------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    """One event of a record's history as a person reads it: time YYYY-MM-DD HH:MM, the
    kind's Chinese name, the school the record was at, who, why, and each change as
    ``(item, before, after)`` — codes with their names, classes by their label, numbers
    masked."""

    at: str
    kind: str
    school: str
    actor: str
    reason: str
    business_id: int | None
    changes: list[tuple[str, str, str]]


_PLACE_LABELS = {"school": "学校", "grade": "年级", "klass": "班级"}
_OTHER_LABELS = {"status": "学籍状态", "date": "变动日期", "national_number": "全国学籍号", "family": "家庭成员",
                 "part": "信息类别", "photo": "照片", "year_label": "年级", "promoted_year": "升级学年"}
_PART_LABELS = {label: {pf.attr: pf.header for pf in part_fields} for label, part_fields in rules.PARTS.values()}
_MEMBER_LABELS = {f.attr: f.header[3:] for f in F.MEMBER_FIELDS[1]}


def history_of(student: Student) -> list[HistoryRow]:
    """The history of ``student`` (already fetched in the user's scope), newest first,
    display-ready (:class:`HistoryRow`). A few queries whatever its length."""
    events = list(RecordEvent.objects.filter(student=student).select_related("school").order_by("-at", "-pk"))
    ids: dict[str, set] = {"school": set(), "grade": set(), "klass": set(), "division": set()}
    division_attrs = {f.attr for f in F.STUDENT_FIELDS if f.kind == "division"}
    for event in events:
        for values in (event.before, event.after):
            for attr, value in values.items():
                if attr in _PLACE_LABELS and value:
                    ids[attr].add(value)
                elif attr in division_attrs and value:
                    ids["division"].add(value)
    names = {
        "school": {pk: f"{name}({code})" for pk, name, code in
                   School.objects.filter(pk__in=ids["school"]).values_list("pk", "name", "code")},
        "grade": {g.pk: g.name for g in Grade.objects.filter(pk__in=ids["grade"])},
        "klass": {c.pk: c.label for c in SchoolClass.objects.filter(pk__in=ids["klass"]).select_related(
            "grade", "school")},
        "division": {d.code: f"{d.code} {d.full_name}" for d in Division.objects.filter(
            code__in=ids["division"]).select_related("parent__parent")},
    }

    def show(attr: str, value, part: dict | None = None) -> str:
        if value is None or value == "":
            return "待分班" if attr == "klass" else ""
        if part is not None and attr in part:
            return str(value)
        if attr == "photo":
            return "有" if value else "无"
        if attr == "promoted_year" and isinstance(value, int):
            return f"{value}-{value + 1}学年"
        if attr in _PLACE_LABELS:
            return names[attr].get(value, str(value))
        if attr == "status":
            return f"{value}-{rules.STATUS_NAMES.get(value, value)}"
        if attr == "national_number":
            return mask_national_number(value)
        if attr == "family":
            return "、".join(f"{m.get('name')}({codes.label('relation', m.get('relation'))})" for m in value) or "无"
        f = F.BY_ATTR.get(attr)
        if f is None:
            return str(value)
        if attr == "id_number":
            return mask_id_number(value)
        if isinstance(value, bool):
            return "是" if value else "否"
        if f.code_table and f.kind == "code":
            return codes.label(f.code_table, value)
        if f.options:
            return next((f"{c}-{n}" for c, n in f.options if c == value), str(value))
        if f.kind == "division":
            return names["division"].get(value, str(value))
        if f.kind == "date":
            return str(value)[:10]
        return str(value)

    def label(attr: str, part: dict | None = None) -> str:
        if part is not None and attr in part:
            return part[attr]
        if attr in _PLACE_LABELS:
            return _PLACE_LABELS[attr]
        if attr in _OTHER_LABELS:
            return _OTHER_LABELS[attr]
        f = F.BY_ATTR.get(attr)
        return f.header if f else attr

    rows = []
    for event in events:
        attrs = [a for a in dict.fromkeys([*event.before, *event.after])
                 if a not in event.before or a not in event.after or event.before[a] != event.after[a]]
        part = _PART_LABELS.get(event.before.get("part") or event.after.get("part"))
        changes = [(label(a, part), show(a, event.before[a], part) if a in event.before else "",
                    show(a, event.after[a], part) if a in event.after else "") for a in attrs]
        rows.append(HistoryRow(
            at=timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M"), kind=event.get_kind_display(),
            school=event.school.name, actor=event.actor_name or "系统", reason=event.reason,
            business_id=event.business_id, changes=changes))
    return rows


def parts_of(student: Student, kind: str) -> list[dict]:
    """The rows of one of the record's tabs (``rules.PARTS``: resume, award, punishment,
    residence), oldest first, display-ready: ``{"pk", "cells": [text per item]}`` (dates
    YYYY-MM-DD)."""
    from .models import Award, Punishment, ResidencePermit, StudyResume

    model = {"resume": StudyResume, "award": Award, "punishment": Punishment, "residence": ResidencePermit}[kind]
    attrs = [pf.attr for pf in rules.PARTS[kind][1]]
    rows = []
    for pk, *values in model.objects.filter(student=student).order_by("start", "pk").values_list("pk", *attrs):
        rows.append({"pk": pk, "cells": ["" if v is None else (v.strftime("%Y-%m-%d") if hasattr(v, "strftime")
                                                               else str(v)) for v in values]})
    return rows


def division_names(codes_: Iterable[str]) -> dict[str, str]:
    """Division code → "code full name" ("440106000000 广东省广州市天河区"), one query."""
    return {d.code: f"{d.code} {d.full_name}" for d in Division.objects.filter(code__in=set(codes_)).select_related(
        "parent__parent")}


def holding_identities(keys: Iterable[str]) -> Q:
    """The records whose identity (证件类型 + 证件号) is one of ``keys`` (``"1:4401…"``),
    as a filter that the index ``student_identity`` (type, number) serves — a filter on the
    number alone scans the whole table. Matches nothing when ``keys`` is empty."""
    by_type: dict[str, list[str]] = {}
    for key in keys:
        id_type, _, id_number = str(key).partition(":")
        by_type.setdefault(id_type, []).append(id_number)
    wanted = Q(pk__in=[])
    for id_type, id_numbers in by_type.items():
        wanted |= Q(id_type=id_type, id_number__in=id_numbers)
    return wanted
