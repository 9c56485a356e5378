"""A 首次数据采集 that touches every kind of write, for the tests of taking an unfinished
load back (in-process and through a killed worker): records already there before the
load (a duplicate group of another school, a pupil without an ID), and a file whose rows
duplicate one another and those records, fail verification, have no ID, need a new
class — followed by plain rows.

``state()`` describes the database without ids or sequenced numbers (a rerun draws new
J/L numbers: the counters are never wound back), so two databases can be compared."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook

from xueji.org.models import Grade, SchoolClass
from xueji.problems.models import ProblemGroup, ProblemMember
from xueji.registration import collection
from xueji.registration.testing import student_row
from xueji.students import fields
from xueji.students.models import FamilyMember, IdentityClaim, Student, StudentNumber

HEADERS = [*fields.headers(), "全国学籍号", "学籍状态"]


def book(rows: list[dict]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(h) for h in HEADERS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _no_id(reg, i: int, **kw) -> dict:
    guardian = reg.row(900 + i)["身份证件号"]
    row = student_row(reg.world.th_school.code, reg.class3.code, i, birth=dt.date(reg.year - 9, 3, 1),
                      division="440106000000", 身份证件类型="Z", 身份证件号="", 成员1身份证件类型="1",
                      成员1身份证件号=guardian)
    row.update(kw)
    return row


def prepare(reg) -> None:
    """The records there before the load: two records of 惠州 sharing one ID (an open
    身份证件号重复 group), and a pupil without an ID in the Tianhe school."""
    a = reg.row(101, klass=reg.class3)
    hz = {"学校标识码": reg.world.hz_school.code, "班号": reg.hz_class.code, "入学年月": f"{reg.year}09"}
    collection.collect(reg.world.hz_school, reg.users.gd_registrar,
                       book([dict(a, **hz), dict(a, **hz, 姓名="惠州重复")]), filename="惠州.xlsx")
    collection.collect(reg.world.th_school, reg.users.th_registrar,
                       book([_no_id(reg, 102, 姓名="无证同名", 性别="1")]), filename="无证.xlsx")


def rows(reg, plain: int = 3, start: int = 200) -> list[dict]:
    """The file: its first six rows are the interesting ones, then ``plain`` plain rows."""
    shared = reg.row(101, klass=reg.class3)  # the ID the 惠州 group shares
    first = reg.row(start, klass=reg.class3)
    new_class = f"{reg.year - 3}102"
    made = [
        first,
        dict(reg.row(start + 1, klass=reg.class3), 身份证件号=first["身份证件号"], 性别=first["性别"],
             出生日期=first["出生日期"]),                                  # a duplicate inside the file
        reg.row(start + 2, klass=reg.class3, known=False),                # 认证不通过
        dict(reg.row(start + 3, klass=reg.class3), 身份证件号=shared["身份证件号"], 性别=shared["性别"],
             出生日期=shared["出生日期"]),                                 # joins the 惠州 group
        _no_id(reg, start + 4, 姓名="无证同名", 性别="1"),                  # the same person as the earlier no-ID pupil
        reg.row(start + 5, klass=reg.class3, 班号=new_class, 入学年月=f"{reg.year - 3}09"),  # a new class
    ]
    made += [reg.row(start + 6 + k, klass=reg.class3) for k in range(plain)]
    return made


def _number(student: Student) -> str:
    return student.national_number if student.number_kind == "G" else student.national_number[:15]


def state() -> dict:
    """Every record, problem group, class and grade, described without ids."""
    people = {s.pk: (s.name, s.id_type, s.id_number, s.school.code) for s in Student.objects.select_related("school")}
    claims = set(IdentityClaim.objects.values_list("student_id", flat=True))
    family = {}
    for student_id, name in FamilyMember.objects.values_list("student_id", "name"):
        family.setdefault(student_id, []).append(name)
    numbers = {}
    for student_id, number, replaced in StudentNumber.objects.values_list("student_id", "number", "replaced_at"):
        numbers.setdefault(student_id, []).append((number[:15] if number[0] != "G" else number, replaced is None))
    records = sorted(
        (*people[s.pk], s.number_kind, _number(s), s.status, s.klass.code, s.grade.entry_year, s.pk in claims,
         tuple(sorted(family.get(s.pk, []))), tuple(sorted(numbers.get(s.pk, []))))
        for s in Student.objects.select_related("klass", "grade"))
    members = {}
    for group_id, student_id in ProblemMember.objects.values_list("group_id", "student_id"):
        members.setdefault(group_id, []).append(people[student_id])
    groups = sorted((g.kind, g.historical, g.resolved, g.note, tuple(sorted(members.get(g.pk, []))))
                    for g in ProblemGroup.objects.all())
    return {
        "records": records,
        "groups": groups,
        "classes": sorted(SchoolClass.objects.values_list("school__code", "code", "grade__entry_year")),
        "grades": sorted(Grade.objects.values_list("school__code", "stage", "entry_year")),
        "claims": IdentityClaim.objects.count(),
        "unclaimed": IdentityClaim.objects.filter(student__isnull=True).count(),
    }
