"""Reads of 综合查询: the scoped student query with its conditions, one page of it, the
capped count, the division names a page shows, and the rows of an export.

Scope: ``students.selectors.students_for`` (class teacher: own classes; school users:
their school; authorities: the schools they supervise; parents: nothing). A condition
naming a school, an area, a grade or a class outside that scope refuses the whole query
(:class:`FilterRefused` → the view answers 403 and writes ``scope.denied``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from xueji.org import rules as org_rules
from xueji.org.models import Division
from xueji.org.selectors import authority_prefix, classes_for, grades_for, schools_for
from xueji.students.models import Student, StudentNumber
from xueji.students.selectors import students_for

from . import rules

#: All the 身份证件类型 codes: the identity index (id_type, id_number) is used for an ID
#: search by naming every type (SQLite has no skip-scan without ANALYZE).
_ID_TYPES = tuple("16789AZ")


class FilterRefused(Exception):
    """A condition names something outside the user's scope."""

    def __init__(self, what: str, lookup: dict) -> None:
        super().__init__(what)
        self.what = what
        self.lookup = lookup


def base_for(user, *, all_statuses: bool) -> QuerySet:
    """The user's students: in school (在校, 休学) or, for 学生信息查询, every status."""
    students = students_for(user)
    if not all_statuses:
        students = students.filter(status__in=rules.IN_SCHOOL_STATUSES)
    return students


def _name_condition(name: str, mode: str, vendor: str) -> Q:
    if mode == "contains":
        return Q(name__contains=name)
    condition = Q(name__startswith=name)
    if vendor == "sqlite":
        # SQLite's LIKE does not use the index; the same prefix as a range does (BINARY
        # collation orders by code point, so the range is exactly the prefix).
        condition &= Q(name__gte=name, name__lt=name + "\U0010ffff")
    return condition


def apply_conditions(students: QuerySet, user, data: dict) -> QuerySet:
    """``students`` narrowed by the cleaned conditions ``data`` (``forms.QueryForm``).
    Raises :class:`FilterRefused` for a school, area, grade or class out of scope."""
    vendor = connections[students.db].vendor
    if data.get("name"):
        students = students.filter(_name_condition(data["name"], data.get("name_mode") or "prefix", vendor))
    # 学籍号 and 身份证件号 name one person: their records are found first (by the number's
    # and the identity's indexes) and the scope applied to those few ids — a subquery
    # left to PostgreSQL's planner beside the province's scope was read along the order's
    # index instead (seconds for a province).
    if data.get("number"):
        found = list(StudentNumber.objects.filter(number=data["number"]).values_list("student_id", flat=True)[:10])
        students = students.filter(pk__in=found)
    if data.get("id_number"):
        found = list(Student.objects.filter(id_type__in=_ID_TYPES, id_number=data["id_number"])
                     .values_list("pk", flat=True)[:50])
        students = students.filter(pk__in=found)
    if data.get("school"):
        school = schools_for(user).filter(code=data["school"]).values_list("pk", flat=True).first()
        if school is None:
            raise FilterRefused("学校", {"school": data["school"]})
        students = students.filter(school_id=school)
    if data.get("division"):
        division = Division.objects.filter(code=data["division"]).first()
        prefix = authority_prefix(user)
        if division is None or prefix is None or not division.code.startswith(prefix):
            raise FilterRefused("行政区划", {"division": data["division"]})
        students = students.filter(school__division__code__startswith=division.prefix)
    if data.get("grade"):
        if not grades_for(user).filter(pk=data["grade"]).exists():
            raise FilterRefused("年级", {"grade": data["grade"]})
        students = students.filter(grade_id=data["grade"])
    if data.get("klass"):
        if not classes_for(user).filter(pk=data["klass"]).exists():
            raise FilterRefused("班级", {"klass": data["klass"]})
        students = students.filter(klass_id=data["klass"])
    if data.get("stage"):
        students = students.filter(grade__stage=data["stage"])
    if data.get("entry_year"):
        students = students.filter(grade__entry_year=data["entry_year"])
    for attr in ("status", "gender", "ethnicity"):
        if data.get(attr):
            students = students.filter(**{attr: data[attr]})
    if data.get("entry_from"):
        students = students.filter(entry_month__gte=data["entry_from"])
    if data.get("entry_to"):
        students = students.filter(entry_month__lte=data["entry_to"])
    if data.get("has_photo") == "1":
        students = students.exclude(photo="")
    elif data.get("has_photo") == "0":
        students = students.filter(photo="")
    for attr in rules.FLAG_ATTRS:
        if data.get(attr) in ("1", "0"):
            students = students.filter(**{attr: data[attr] == "1"})
    return students


def query(user, data: dict, *, all_statuses: bool) -> QuerySet:
    """The students of a query (not ordered)."""
    return apply_conditions(base_for(user, all_statuses=all_statuses), user, data)


def with_related(students: QuerySet) -> QuerySet:
    return students.select_related("school", "grade", "klass__grade", "klass__school")


@dataclass
class Page:
    rows: list
    number: int
    size: int
    has_next: bool
    count: int      # min(real count, COUNT_CAP + 1)
    sort: str       # the order the rows are in
    descending: bool
    sort_kept: bool  # False: the asked order was set aside (too many rows)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def count_text(self) -> str:
        return rules.count_text(self.count)

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size + 1


def page_of(students: QuerySet, sort: str, descending: bool, number: int, size: int) -> Page:
    """One page. The count is capped (``COUNT_CAP``: counting a province's million rows
    for every page would cost more than the page); a larger result is listed in the
    default, indexed order; paging goes as deep as ``PAGED_ROWS`` (docs/DECISIONS.md)."""
    count = students.order_by()[: rules.COUNT_CAP + 1].count()
    sort, descending, kept = rules.effective_sort(sort, descending, count)
    if count <= rules.COUNT_CAP:
        last = max((count + size - 1) // size, 1)
    else:
        last = rules.max_page(size)
    number = min(number, last)
    offset = (number - 1) * size
    rows = list(with_related(students).order_by(*rules.ordering(sort, descending))[offset: offset + size + 1])
    return Page(rows=rows[:size], number=number, size=size, has_next=len(rows) > size and number < last,
                count=count, sort=sort, descending=descending, sort_kept=kept)


def attach_members(students: list) -> None:
    """``student.members_by_seq`` ({1: 家庭成员1, 2: 家庭成员2}) for the students of a page: one query."""
    from xueji.students.models import FamilyMember

    by_student: dict[int, dict] = {s.pk: {} for s in students}
    for member in FamilyMember.objects.filter(student_id__in=list(by_student), seq__in=(1, 2)):
        by_student[member.student_id][member.seq] = member
    for student in students:
        student.members_by_seq = by_student[student.pk]


def division_names(codes) -> dict[str, str]:
    """code → full name (广东省广州市天河区) of the division codes given, one query."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return {d.code: d.full_name for d in Division.objects.filter(code__in=codes).select_related("parent__parent")}


#: What the class column says of a record waiting for a class (调档 leaves it 待分班).
NO_CLASS = "待分班"


def class_labeller():
    """A memoised ``klass.label`` for lists and exports (the school year computed once)."""
    year = org_rules.school_year_of(timezone.localdate())
    memo: dict[int, str] = {}

    def label(klass) -> str:
        if klass is None:
            return NO_CLASS
        if klass.pk not in memo:
            school = klass.school
            years = {"1": school.primary_years, "2": school.junior_years, "3": school.senior_years}
            memo[klass.pk] = org_rules.class_label(klass.grade.stage, klass.grade.entry_year, klass.name,
                                                   klass.code, year, years)
        return memo[klass.pk]

    return label


def rows_for_export(students: QuerySet, columns: list[str], *, sort: str, descending: bool,
                    chunk: int = 2000) -> Iterator[list]:
    """The export's rows (whole values, F-14 verified), streamed: one query of only the
    columns chosen (plain values, no model instances, read in chunks), and per chunk the
    lookups of the schools, grades, classes and division names not seen yet — so a
    100,000-row export holds no more than a chunk of rows."""
    chosen = [rules.BY_KEY[k] for k in columns]
    own = [c for c in chosen if c.kind not in rules.PLACEMENT_KINDS and not c.member]
    attrs = ["pk", "school_id", "grade_id", "klass_id", *dict.fromkeys(c.attr for c in own)]
    at = {a: i for i, a in enumerate(attrs)}
    division_at = [at[c.attr] for c in own if c.kind == "division"]
    names: dict[str, str] = {}
    schools: dict[int, tuple[str, str]] = {}
    grades: dict[int, str] = {}
    klasses: dict[int | None, str] = {None: NO_CLASS}
    label = class_labeller()

    def cell(column):
        kind = column.kind
        if kind == "school_name":
            return lambda row: schools[row[1]][0]
        if kind == "school_code":
            return lambda row: schools[row[1]][1]
        if kind == "grade":
            return lambda row: grades[row[2]]
        if kind == "klass":
            return lambda row: klasses[row[3]]
        shown, i = rules.formatter(column, full=True, divisions=names), at[column.attr]
        return lambda row: shown(row[i])

    member_cols = [c for c in chosen if c.member]
    member_attrs = list(dict.fromkeys(c.attr for c in member_cols))
    member_at = {a: i for i, a in enumerate(member_attrs)}
    members: dict[tuple[int, int], tuple] = {}

    def member_cell(column):
        shown, i = rules.formatter(column, full=True, divisions=names), member_at[column.attr]

        def value(row):
            member = members.get((row[0], column.member))
            return shown(member[i] if member else None)
        return value

    cell_of = [member_cell(c) if c.member else cell(c) for c in chosen]
    stream = (students.order_by(*rules.ordering(sort, descending)).values_list(*attrs)[: rules.EXPORT_CAP]
              .iterator(chunk_size=chunk))
    while rows := list(itertools.islice(stream, chunk)):
        _load_placement(rows, schools, grades, klasses, label)
        if member_cols:
            from xueji.students.models import FamilyMember

            members.clear()
            for student_id, seq, *values in FamilyMember.objects.filter(
                    student_id__in=[row[0] for row in rows], seq__in=(1, 2)).values_list(
                    "student_id", "seq", *member_attrs):
                members[(student_id, seq)] = tuple(values)
        codes = {row[i] for row in rows for i in division_at}
        if "household_code" in member_at:
            codes |= {m[member_at["household_code"]] for m in members.values()}
        if codes - names.keys():
            names.update(division_names(codes - names.keys()))
        for row in rows:
            yield [f(row) for f in cell_of]


def _load_placement(rows, schools: dict, grades: dict, klasses: dict, label) -> None:
    """Fill the school, grade and class lookups with those of ``rows`` not seen yet."""
    from xueji.org.models import Grade, School, SchoolClass

    missing = {row[1] for row in rows} - schools.keys()
    if missing:
        schools.update({pk: (name, code) for pk, name, code in
                        School.objects.filter(pk__in=missing).values_list("pk", "name", "code")})
    missing = {row[2] for row in rows} - grades.keys()
    if missing:
        grades.update({g.pk: g.name for g in Grade.objects.filter(pk__in=missing)})
    missing = {row[3] for row in rows} - klasses.keys()
    if missing:
        klasses.update({k.pk: label(k) for k in SchoolClass.objects.filter(pk__in=missing)
                        .select_related("grade", "school")})


def photo_of(student):
    """The photo file of a record, or None (the field may not be filled)."""
    photo = getattr(student, "photo", None)
    return photo if photo else None
