"""Fixtures of the 升级 tests: schools of every 学制 in 广东 (and one in 广西), with
pupils made through students.services (the one writer) in grades of every year."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from xueji.org.models import Grade, SchoolClass
from xueji.registration.testing import person_name, resident_id
from xueji.students import numbers
from xueji.students import services as student_services
from xueji.students.models import Student
from xueji.testing import make_school

_serial = itertools.count(1)
#: The promotion tested: the school year 2024-2025 ends, 2025-2026 begins.
YEAR = 2025
#: Half an hour after the default moment, 8/10 24:00 Beijing time.
MOMENT = dt.datetime(2025, 8, 11, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def pupils(school, stage: str, entry_year: int, count: int = 2, *, status: str = "10") -> list[Student]:
    grade, _ = Grade.objects.get_or_create(school=school, stage=stage, entry_year=entry_year)
    klass, _ = SchoolClass.objects.get_or_create(school=school, code=f"{entry_year}{stage}01",
                                                 defaults={"grade": grade, "name": "1班"})
    specs = []
    for _ in range(count):
        i = next(_serial)
        birth = dt.date(2008, 1, 1) + dt.timedelta(days=i)
        gender = "1" if i % 2 else "2"
        id_number = resident_id("440106", birth, i, gender)
        specs.append(student_services.NewRecord(
            values={"name": person_name(i), "gender": gender, "birth_date": birth, "id_type": "1",
                    "id_number": id_number, "nationality": "CHN", "hmt": "00", "ethnicity": "01"},
            school_id=school.pk, klass_id=klass.pk, number_kind="G", number=numbers.official_number(id_number),
            status=status, identity_key=numbers.identity_key("1", id_number), family=[]))
    created = student_services.create_records(specs)
    return list(Student.objects.filter(pk__in=[c.pk for c in created]))


def fill(school, years: dict[str, int], *, final: bool = False) -> None:
    """Two pupils in every year of each stage of ``school`` (the final year only with
    ``final``: not graduated, it blocks)."""
    for stage, n in years.items():
        for k in range(1, n + 1):
            if k == n and not final:
                continue
            pupils(school, stage, YEAR - k)


@pytest.fixture
def schools(world):
    t = world.tree
    s = SimpleNamespace(
        p6=make_school(t.tianhe, "3440106101", "天河六年制小学", stages={"1": 6}),
        p5=make_school(t.haizhu, "3440105101", "海珠五年制小学", stages={"1": 5}),
        nine63=make_school(t.tianhe, "3440106102", "天河九年一贯制学校", stages={"1": 6, "2": 3}, school_type="311"),
        nine54=make_school(t.futian, "3440304101", "福田五四制九年一贯制学校", stages={"1": 5, "2": 4},
                           school_type="311"),
        twelve=make_school(t.sz, "3440300101", "深圳十二年一贯制学校", stages={"1": 6, "2": 3, "3": 3},
                           school_type="312", division=t.futian.division),
        senior=make_school(t.gz, "3440100101", "广州高级中学", stages={"3": 3}, school_type="342",
                           division=t.tianhe.division),
        blocked=make_school(t.tianhe, "3440106103", "天河未毕业小学", stages={"1": 6}),
        gx=make_school(t.xingning, "3450102101", "兴宁小学", stages={"1": 6}),
    )
    for school in (s.p6, s.p5, s.nine63, s.nine54, s.twelve, s.senior, s.gx):
        fill(school, {st: school.years_of(st) for st in school.stages})
    fill(s.blocked, {"1": 6}, final=True)
    return s
