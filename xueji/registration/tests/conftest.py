"""Fixtures of the registration tests: the world, first-grade and third-grade classes in
the Tianhe school, the population registry knowing the generated pupils."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import timezone

from xueji.org.models import Grade, SchoolClass
from xueji.org.rules import school_year_of
from xueji.registration.models import SimulatedResident
from xueji.registration.testing import first_grade_birth, student_row
from xueji.workflow.services import load_default_configs


@pytest.fixture
def reg(world):
    load_default_configs()
    year = school_year_of(timezone.localdate())
    first = Grade.objects.create(school=world.th_school, stage="1", entry_year=year)
    third = Grade.objects.create(school=world.th_school, stage="1", entry_year=year - 2)
    class1 = SchoolClass.objects.create(grade=first, school=world.th_school, code=f"{year}101", name="1班")
    class3 = SchoolClass.objects.create(grade=third, school=world.th_school, code=f"{year - 2}101", name="1班")
    hz_grade = Grade.objects.create(school=world.hz_school, stage="1", entry_year=year)
    hz_class = SchoolClass.objects.create(grade=hz_grade, school=world.hz_school, code=f"{year}101", name="1班")

    def row(i: int, klass=class1, known: bool = True, **overrides) -> dict:
        """A valid row; ``known=False`` puts its ID number on the simulated registry's
        not-found list (认证不通过)."""
        data = student_row(klass.school.code, klass.code, i, birth=first_grade_birth(klass.grade.entry_year, i),
                           division="440106000000", **overrides)
        if data.get("身份证件号"):
            SimulatedResident.objects.get_or_create(
                id_number=data["身份证件号"], defaults={"name": data["姓名"] if known else "", "not_found": not known})
        return data

    return SimpleNamespace(world=world, year=year, class1=class1, class3=class3, hz_class=hz_class, row=row,
                           users=world.users)
