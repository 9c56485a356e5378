"""Students for the 综合查询 tests: two classes at 天河测试小学 (the world's class teacher
heads one), one class in 天河测试中学, 海珠, 广州市直属高中 and 广西, of several statuses,
each with its 学籍号 row (one with a replaced temporary number)."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest

from xueji.org.models import Grade, SchoolClass
from xueji.registration.testing import person_name, resident_id
from xueji.students.models import Status, Student, StudentNumber

_serial = itertools.count(1)


def _klass(school, stage, year, number, **kw):
    grade, _ = Grade.objects.get_or_create(school=school, stage=stage, entry_year=year)
    return SchoolClass.objects.create(school=school, grade=grade, code=f"{year}{stage}{number:02d}",
                                      name=f"{number}班", **kw)


def add_student(klass, *, name: str = "", status: str = Status.IN_SCHOOL, gender: str = "1", **values) -> Student:
    n = next(_serial)
    birth = dt.date(2016, 1, 1) + dt.timedelta(days=n)
    id_number = resident_id("440106", birth, n, gender)
    student = Student.objects.create(
        national_number=f"G{id_number}", number_kind="G", name=name or person_name(n), gender=gender,
        birth_date=birth, id_type="1", id_number=id_number, school=klass.school, grade=klass.grade, klass=klass,
        status=status, ethnicity=values.pop("ethnicity", "01"), entry_month=values.pop("entry_month", "202309"),
        **values)
    StudentNumber.objects.create(number=student.national_number, student=student, kind="G")
    return student


@pytest.fixture
def q(world):
    u = world.users
    th_a = _klass(world.th_school, "1", 2023, 1, head_teacher=u.class_teacher)
    th_b = _klass(world.th_school, "1", 2023, 2)
    th_c = _klass(world.th_school, "1", 2024, 1)
    middle = _klass(world.th_middle, "2", 2024, 1)
    hz = _klass(world.hz_school, "1", 2023, 1)
    city = _klass(world.city_school, "3", 2024, 1)
    gx = _klass(world.gx_school, "1", 2023, 1)
    ns = SimpleNamespace(world=world, users=u, th_a=th_a, th_b=th_b, th_c=th_c, middle=middle, hz=hz, city=city,
                         gx=gx)
    ns.a1 = add_student(th_a, name="张一", phone="13800138000", home_address="天河路1号", only_child=True,
                        native_place_code="440106000000")
    ns.a2 = add_student(th_a, name="张二", gender="2", only_child=False, left_behind=True, ethnicity="02",
                        entry_month="202409")
    ns.b1 = add_student(th_b, name="李一", migrant_worker_child=True)
    ns.b_suspended = add_student(th_b, name="李休", status=Status.SUSPENDED)
    ns.b_graduated = add_student(th_b, name="李毕", status=Status.GRADUATED)
    ns.b_deleted = add_student(th_b, name="李删", status=Status.DELETED)
    ns.c1 = add_student(th_c, name="王一")
    ns.m1 = add_student(middle, name="中一")
    ns.h1 = add_student(hz, name="海一")
    ns.city1 = add_student(city, name="市一")
    ns.g1 = add_student(gx, name="桂一")
    # a replaced temporary number still finds its student
    ns.old_number = "L440106201601010001"
    StudentNumber.objects.create(number=ns.old_number, student=ns.a2, kind="L")
    ns.in_school = {ns.a1, ns.a2, ns.b1, ns.b_suspended, ns.c1, ns.m1, ns.h1, ns.city1, ns.g1}
    ns.all = ns.in_school | {ns.b_graduated, ns.b_deleted}
    return ns
