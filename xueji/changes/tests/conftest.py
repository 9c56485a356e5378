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
from xueji.testing import make_school, make_user

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


# --- 省内转学, 学生学籍转移 ------------------------------------------------------------------------
def make_grade(school, *, stage: str = "1", entry_year: int = 2024, classes: int = 2) -> Grade:
    grade, _ = Grade.objects.get_or_create(school=school, stage=stage, entry_year=entry_year)
    for n in range(1, classes + 1):
        SchoolClass.objects.get_or_create(school=school, code=f"{entry_year}{stage}{n:02d}",
                                          defaults={"grade": grade, "name": f"{n}班"})
    return grade


def make_student(school, *, name: str = "", grade: Grade | None = None) -> Student:
    """A pupil (``pupil``: through the one writer) in the first class of ``grade`` (by
    default the school's 2024 grade)."""
    grade = grade or make_grade(school)
    klass = SchoolClass.objects.filter(grade=grade).order_by("code").first()
    return pupil(klass, **({"name": name} if name else {}))


@pytest.fixture
def people(world):
    t = world.tree
    futian = make_school(t.futian, "3440304001", "福田测试小学")
    third = make_school(t.haizhu, "3440105009", "海珠第三小学")
    th_other = make_school(t.tianhe, "3440106009", "天河第二小学")
    for school in (world.th_school, world.hz_school, futian, third, th_other, world.gx_school):
        make_grade(school)
    return SimpleNamespace(
        futian=futian, third=third, th_other=th_other,
        th_leader=world.users.school_leader,
        futian_leader=make_user("futian_leader", Role.SCHOOL_LEADER, school=futian),
        futian_registrar=make_user("futian_sch_registrar", Role.SCHOOL_REGISTRAR, school=futian),
        futian_county=make_user("futian_county", Role.AUTHORITY_REGISTRAR, authority=t.futian),
        sz_registrar=make_user("sz_registrar", Role.AUTHORITY_REGISTRAR, authority=t.sz),
        hz_leader=make_user("hz_leader", Role.SCHOOL_LEADER, school=world.hz_school),
        third_registrar=make_user("third_registrar", Role.SCHOOL_REGISTRAR, school=third),
        third_leader=make_user("third_leader", Role.SCHOOL_LEADER, school=third),
        th_other_leader=make_user("th_other_leader", Role.SCHOOL_LEADER, school=th_other),
        th_other_registrar=make_user("th_other_registrar", Role.SCHOOL_REGISTRAR, school=th_other),
        gx_school_registrar=make_user("gx_sch_registrar", Role.SCHOOL_REGISTRAR, school=world.gx_school),
    )


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
