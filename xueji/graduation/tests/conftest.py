"""Fixtures of the 毕业 tests: 天河测试小学 (6-year primary) with its final grade (two
classes), a younger grade and an earlier, already graduated grade, pupils made through
students.services (the one writer), dated by the current school year."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import timezone

from xueji.changes.tests.conftest import pupil
from xueji.graduation import services
from xueji.org.models import Grade, SchoolClass


def grade_with_classes(school, stage: str, entry_year: int, classes: int = 1) -> Grade:
    grade = Grade.objects.create(school=school, stage=stage, entry_year=entry_year)
    for n in range(1, classes + 1):
        SchoolClass.objects.create(school=school, grade=grade, code=f"{entry_year}{stage}{n:02d}", name=f"{n}班")
    return grade


@pytest.fixture
def grad(world):
    school = world.th_school
    year = services.school_year(school)
    final = grade_with_classes(school, "1", year - 5, classes=2)
    young = grade_with_classes(school, "1", year - 4)
    past = grade_with_classes(school, "1", year - 6)
    c1, c2 = SchoolClass.objects.filter(grade=final).order_by("code")
    ns = SimpleNamespace(
        world=world, users=world.users, school=school, year=year, final=final, young=young, past=past, c1=c1, c2=c2,
        today=timezone.localdate(),
    )
    ns.class_one = [pupil(c1) for _ in range(3)]
    ns.class_two = [pupil(c2) for _ in range(2)]
    ns.young_pupil = pupil(SchoolClass.objects.get(grade=young))
    ns.past_pupil = pupil(SchoolClass.objects.get(grade=past))
    hz_final = grade_with_classes(world.hz_school, "1", year - 5)
    ns.hz_class = SchoolClass.objects.get(grade=hz_final)
    ns.hz_pupil = pupil(ns.hz_class)
    return ns
