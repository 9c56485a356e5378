"""Fixtures of the handling tests: duplicate records in schools of one county, two
counties, two cities and two provinces (made through students.services, the one writer),
their reviewers found or made per step, and a real small image as proof."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xueji.accounts.models import Role, User
from xueji.org.models import Grade, SchoolClass
from xueji.problems import services as P
from xueji.problems.models import ProblemGroup, ProblemKind, ProblemMember
from xueji.registration.testing import person_name, resident_id
from xueji.students import numbers
from xueji.students import services as student_services
from xueji.students.models import Student
from xueji.testing import make_school, make_user
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

_serial = itertools.count(1)


def png_file(name: str = "证明.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (30, 120, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def values_of(i: int) -> dict:
    birth = dt.date(2017, 1, 1) + dt.timedelta(days=i)
    gender = "1" if i % 2 else "2"
    return {"name": person_name(i), "gender": gender, "birth_date": birth, "id_type": "1",
            "id_number": resident_id("440106", birth, i, gender), "nationality": "CHN", "hmt": "00",
            "ethnicity": "01"}


def record(klass, values: dict, *, holder: bool, status: str = "10", kind: str | None = None) -> Student:
    """A record of ``values`` in ``klass``: the holder of the identity (G number) or a
    duplicate not holding it (L number), as registration leaves them."""
    member = {"name": person_name(next(_serial) + 700), "relation": "1", "is_guardian": True,
              "id_type": "1", "id_number": resident_id("440106", dt.date(1985, 1, 1), next(_serial), "1")}
    kind = kind or ("G" if holder else "L")
    (made,) = student_services.create_records([student_services.NewRecord(
        values=dict(values), school_id=klass.school_id, klass_id=klass.pk, number_kind=kind,
        number=numbers.official_number(values["id_number"]) if kind == "G" else "", status=status,
        identity_key=numbers.identity_key(values["id_type"], values["id_number"]) if holder else None,
        family=[member])])
    return Student.objects.select_related("school", "grade", "klass").get(pk=made.pk)


def _class(school, code: str = "2022101") -> SchoolClass:
    grade, _ = Grade.objects.get_or_create(school=school, stage="1", entry_year=2022)
    klass, _ = SchoolClass.objects.get_or_create(school=school, code=code, defaults={"grade": grade, "name": "1班"})
    return klass


def reviewer_for(business: Business) -> User:
    """The user who decides the business's current step: the leader of the step's school,
    or a registrar of exactly the step's authority (made on first use)."""
    business.refresh_from_db()
    if business.current_level == "school":
        found = User.objects.filter(role=Role.SCHOOL_LEADER, school_id=business.current_school_id).first()
        return found or make_user(f"leader{business.current_school_id}", Role.SCHOOL_LEADER,
                                  school=business.current_school)
    found = User.objects.filter(role=Role.AUTHORITY_REGISTRAR, authority_id=business.current_authority_id).first()
    return found or make_user(f"reg{business.current_authority_id}", Role.AUTHORITY_REGISTRAR,
                              authority=business.current_authority)


def pass_all(business: Business) -> Business:
    while True:
        business.refresh_from_db()
        if not business.is_open:
            return business
        workflow.decide(business, reviewer_for(business), True)


def registrar_of(school) -> User:
    found = User.objects.filter(role=Role.SCHOOL_REGISTRAR, school=school).first()
    return found or make_user(f"sreg{school.pk}", Role.SCHOOL_REGISTRAR, school=school)


@pytest.fixture
def hp(world, settings, tmp_path):
    """Schools: 天河 (th, th2), 海珠 (hz), 福田 in 深圳 (ft), 兴宁 in 广西 (gx)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    t = world.tree
    th2 = make_school(t.tianhe, "3440106008", "天河第二测试小学")
    ft = make_school(t.futian, "3440304001", "福田测试小学")
    ns = SimpleNamespace(world=world, tree=t, users=world.users, th=world.th_school, th2=th2, hz=world.hz_school,
                         ft=ft, gx=world.gx_school)
    ns.klass = {name: _class(getattr(ns, name)) for name in ("th", "th2", "hz", "ft", "gx")}

    def duplicates(*schools: str, kind: str = ProblemKind.ID_DUPLICATE, number_kind: str | None = None):
        """One identity in records of ``schools`` (the first holds it; each later one
        registered later), in one open group. Returns (group, [members, first school first])."""
        i = next(_serial) + 100
        vals = values_of(i)
        made = [record(ns.klass[s], vals, holder=(n == 0), kind=number_kind if n == 0 else None)
                for n, s in enumerate(schools)]
        (group,) = P.open_groups([P.NewGroup(kind, tuple(s.pk for s in made), "身份证件号与其他学籍重复")])
        members = [ProblemMember.objects.select_related("student").get(group=group, student=s) for s in made]
        return ProblemGroup.objects.get(pk=group.pk), members

    ns.duplicates = duplicates
    ns.registrar = registrar_of
    return ns


def fresh(member: ProblemMember) -> ProblemMember:
    return ProblemMember.objects.select_related("student", "group").get(pk=member.pk)


def new_id_for(student: Student, seq: int) -> str:
    return resident_id("440106", student.birth_date, seq, student.gender)
