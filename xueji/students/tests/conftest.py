"""Fixtures of the record-writer tests: classes in the world's schools, and plain values
of a pupil as the field rules give them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from xueji.org.models import Grade, SchoolClass
from xueji.registration.testing import person_name, resident_id
from xueji.students import numbers
from xueji.students.services import NewRecord


def pupil_values(i: int, **changes) -> dict:
    """The key and a few basic values of pupil ``i`` (a resident of 天河区)."""
    birth = dt.date(2017, 1, 1) + dt.timedelta(days=i)
    gender = "1" if i % 2 else "2"
    values = {"name": person_name(i), "gender": gender, "birth_date": birth, "id_type": "1",
              "id_number": resident_id("440106", birth, i, gender), "nationality": "CHN", "hmt": "00",
              "ethnicity": "01", "commute_distance": "1.5", "only_child": True, "class_code": "ignored"}
    values.update(changes)
    return values


@pytest.fixture
def place(world):
    th = world.th_school
    g2020 = Grade.objects.create(school=th, stage="1", entry_year=2020)
    g2021 = Grade.objects.create(school=th, stage="1", entry_year=2021)
    hz_grade = Grade.objects.create(school=world.hz_school, stage="1", entry_year=2020)
    ns = SimpleNamespace(
        world=world, g2020=g2020, g2021=g2021,
        c1=SchoolClass.objects.create(school=th, grade=g2020, code="2020101", name="1班"),
        c2=SchoolClass.objects.create(school=th, grade=g2020, code="2020102", name="2班"),
        c21=SchoolClass.objects.create(school=th, grade=g2021, code="2021101", name="1班"),
        hz=SchoolClass.objects.create(school=world.hz_school, grade=hz_grade, code="2020101", name="1班"),
    )

    def spec(i: int, klass=None, *, kind="G", number=None, claim=True, **kw) -> NewRecord:
        klass = klass or ns.c1
        values = kw.pop("values", None) or pupil_values(i)
        if number is None:
            number = numbers.official_number(values["id_number"]) if kind == "G" else ""
        key = numbers.identity_key(values["id_type"], values["id_number"]) if claim else None
        given = {"school_id": klass.school_id, "klass_id": klass.pk, "number_kind": kind, "number": number,
                 "identity_key": key, "family": [{"name": person_name(i + 500), "relation": "1", "is_guardian": True}]}
        return NewRecord(values=values, **{**given, **kw})

    ns.spec = spec
    return ns
