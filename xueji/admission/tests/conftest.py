"""Fixtures of the 招生入学 tests: primary graduates of 天河 and 海珠 schools, junior
graduates of 天河测试中学 and of a 福田 (深圳) school, the admitting junior schools of 天河
and 海珠 with their first grades and classes, and a user per school role. The records are
made through students.services (the one writer); their Graduate rows as 毕业 writes them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from xueji.accounts.models import Role
from xueji.admission import services
from xueji.changes.tests.conftest import pupil
from xueji.graduation.models import Graduate
from xueji.org.models import Grade, SchoolClass
from xueji.testing import make_school, make_user


def grade_with_classes(school, stage: str, entry_year: int, classes: int = 1) -> Grade:
    grade = Grade.objects.create(school=school, stage=stage, entry_year=entry_year)
    for n in range(1, classes + 1):
        SchoolClass.objects.create(school=school, grade=grade, code=f"{entry_year}{stage}{n:02d}", name=f"{n}班")
    return grade


def graduate(school, stage: str, *, entry_year: int, gender: str | None = None, **values):
    """A 毕业 record of ``school``'s ``stage`` and its Graduate row."""
    grade = Grade.objects.filter(school=school, stage=stage, entry_year=entry_year).first() or grade_with_classes(
        school, stage, entry_year)
    klass = SchoolClass.objects.filter(grade=grade).first()
    if gender:
        values["gender"] = gender
    student = pupil(klass, status="20", **values)
    Graduate.objects.create(student=student, school=school, stage=stage, grade_name=grade.name, kind="20",
                            graduated_on=dt.date(services.admission_year(), 7, 1)
                            if dt.date(services.admission_year(), 7, 1) <= dt.date.today()
                            else dt.date.today())
    return student


@pytest.fixture
def adm(world):
    tree = world.tree
    year = services.admission_year()
    th_junior = world.th_middle  # 天河测试中学: 初中 + 高中, 天河区
    hz_junior = make_school(tree.haizhu, "3440105002", "海珠测试中学", stages={"2": 3}, school_type="311")
    ft_junior = make_school(tree.futian, "3440304002", "福田测试中学", stages={"2": 3}, school_type="311")
    ns = SimpleNamespace(world=world, tree=tree, users=world.users, year=year, th_primary=world.th_school,
                         hz_primary=world.hz_school, th_junior=th_junior, hz_junior=hz_junior, ft_junior=ft_junior,
                         city_senior=world.city_school)
    ns.th_grade = grade_with_classes(th_junior, "2", year, classes=2)
    ns.th_senior_grade = grade_with_classes(th_junior, "3", year, classes=2)
    ns.hz_grade = grade_with_classes(hz_junior, "2", year, classes=1)
    users = SimpleNamespace(
        th_junior_registrar=make_user("thj_registrar", Role.SCHOOL_REGISTRAR, school=th_junior),
        th_junior_leader=make_user("thj_leader", Role.SCHOOL_LEADER, school=th_junior),
        hz_junior_registrar=make_user("hzj_registrar", Role.SCHOOL_REGISTRAR, school=hz_junior),
        hz_junior_leader=make_user("hzj_leader", Role.SCHOOL_LEADER, school=hz_junior),
        sz_registrar=make_user("sz_registrar", Role.AUTHORITY_REGISTRAR, authority=tree.sz),
        ft_registrar=make_user("ft_registrar", Role.AUTHORITY_REGISTRAR, authority=tree.futian),
    )
    ns.u = users
    # primary graduates of 天河 (3) and 海珠 (2)
    ns.th_pupils = [graduate(ns.th_primary, "1", entry_year=year - 6, gender=g) for g in ("1", "2", "1")]
    ns.hz_pupils = [graduate(ns.hz_primary, "1", entry_year=year - 6) for _ in range(2)]
    # junior graduates of 天河测试中学 and 福田测试中学
    ns.th_juniors = [graduate(th_junior, "2", entry_year=year - 3) for _ in range(2)]
    ns.ft_juniors = [graduate(ft_junior, "2", entry_year=year - 3)]
    return ns


def row(student, graduating, admitting, stage: str = "2", *, name: str | None = None) -> dict:
    return {"学籍号": student.national_number, "姓名": student.name if name is None else name,
            "毕业学校标识码": graduating.code, "录取学校标识码": admitting.code, "教育阶段": stage}
