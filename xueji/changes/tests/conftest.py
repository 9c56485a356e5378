"""Fixtures of the 日常管理 tests: pupils (made through students.services, the one writer)
in classes of the world's schools, their reviewers, and small real images."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xueji.accounts.models import Role
from xueji.org.models import Grade, SchoolClass
from xueji.registration.testing import person_name, resident_id
from xueji.students import numbers
from xueji.students import services as student_services
from xueji.students.models import Student
from xueji.testing import make_user

_serial = itertools.count(1)


def png_file(name: str = "证明.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pupil(klass, *, i: int | None = None, kind: str = "G", status: str = "10", id_type: str = "1",
          guardian_id: bool = True, **values) -> Student:
    """A record in ``klass``: a resident of 天河区 with a G number (or ``kind`` L/J)."""
    i = next(_serial) if i is None else i
    birth = values.pop("birth_date", None) or dt.date(2017, 1, 1) + dt.timedelta(days=i)
    gender = values.pop("gender", None) or ("1" if i % 2 else "2")
    data = {"name": person_name(i), "gender": gender, "birth_date": birth, "id_type": id_type,
            "id_number": resident_id("440106", birth, i, gender) if id_type == "1" else values.pop("id_number", ""),
            "nationality": "CHN", "hmt": "00", "ethnicity": "01"}
    data.update(values)
    number = numbers.official_number(data["id_number"]) if kind == "G" else ""
    member = {"name": person_name(i + 500), "relation": "1", "is_guardian": True}
    if guardian_id:
        member.update(id_type="1", id_number=resident_id("440106", dt.date(1985, 1, 1), i, "1"))
    (created,) = student_services.create_records([student_services.NewRecord(
        values=data, school_id=klass.school_id, klass_id=klass.pk, number_kind=kind, number=number,
        status=status, identity_key=numbers.identity_key(data["id_type"], data["id_number"]), family=[member])])
    return Student.objects.select_related("school", "grade", "klass").get(pk=created.pk)


@pytest.fixture
def place(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    th, hz = world.th_school, world.hz_school
    g2022 = Grade.objects.create(school=th, stage="1", entry_year=2022)
    g2023 = Grade.objects.create(school=th, stage="1", entry_year=2023)
    g2021 = Grade.objects.create(school=th, stage="1", entry_year=2021)
    hz_grade = Grade.objects.create(school=hz, stage="1", entry_year=2022)
    ns = SimpleNamespace(
        world=world, users=world.users, g2021=g2021, g2022=g2022, g2023=g2023,
        c1=SchoolClass.objects.create(school=th, grade=g2022, code="2022101", name="1班"),
        c2=SchoolClass.objects.create(school=th, grade=g2022, code="2022102", name="2班"),
        c23=SchoolClass.objects.create(school=th, grade=g2023, code="2023101", name="1班"),
        c21=SchoolClass.objects.create(school=th, grade=g2021, code="2021101", name="1班"),
        hz=SchoolClass.objects.create(school=hz, grade=hz_grade, code="2022101", name="1班"),
        hz_leader=make_user("hz_leader", Role.SCHOOL_LEADER, school=hz),
    )
    ns.pupil = lambda klass=None, **kw: pupil(klass or ns.c1, **kw)
    return ns
