"""Fixtures of the workflow tests: students in the ``world`` schools, hooks that count
their calls, and small real images for the proof-material checks.

The engine refuses to start a type without an effect, and no feature has plugged into
休学, 复学, 留级 and 退学 yet: every test here runs with test effects and a payload schema
on them (``_test_effects``), restored afterwards."""

from __future__ import annotations

import dataclasses
import io
import itertools

import pytest
from PIL import Image

from xueji.accounts.models import Role
from xueji.org.models import Grade, SchoolClass
from xueji.students.models import Student
from xueji.testing import make_user
from xueji.workflow import payloads, registry

_serial = itertools.count(1)


def make_student(school, *, stage: str = "1", name: str = "") -> Student:
    n = next(_serial)
    grade, _ = Grade.objects.get_or_create(school=school, stage=stage, entry_year=2024)
    klass, _ = SchoolClass.objects.get_or_create(
        school=school, code=f"2024{stage}01", defaults={"grade": grade, "name": "1班"},
    )
    id_number = f"44010620180101{n:04d}"
    return Student.objects.create(
        national_number=f"G{id_number}", number_kind="G", name=name or f"学生{n}", gender="1",
        birth_date="2018-01-01", id_type="1", id_number=id_number, school=school, grade=grade, klass=klass,
    )


@pytest.fixture
def student(world):
    return make_student(world.th_school, name="张三")


@pytest.fixture
def more(world):
    """Users the shared ``world`` lacks: a leader at 海珠, a registrar at 广西."""
    return dataclasses.make_dataclass("More", ["hz_leader", "gx_registrar", "th_leader2"])(
        hz_leader=make_user("hz_leader", Role.SCHOOL_LEADER, school=world.hz_school),
        gx_registrar=make_user("gx_registrar", Role.AUTHORITY_REGISTRAR, authority=world.tree.gx),
        th_leader2=make_user("th_leader2", Role.SCHOOL_LEADER, school=world.th_middle),
    )


#: The content of the test 休学/复学 businesses.
REASON_SCHEMA = payloads.Schema("测试休学申请", (
    payloads.Field("reason", "原因", required=False),
    payloads.Field("from_date", "开始日期", "date", required=False),
))


def no_effect(business, decision, user):
    return None


@pytest.fixture(autouse=True)
def _test_effects():
    saved = dict(registry._TYPES)
    for code in ("suspend", "resume", "repeat_grade", "quit_school"):
        registry.set_handlers(code, on_complete=no_effect, payload=REASON_SCHEMA)
    yield
    registry._TYPES.clear()
    registry._TYPES.update(saved)


class Calls:
    """Records every hook call: (business id, decision id or None, user id or None)."""

    def __init__(self):
        self.completed: list[int] = []
        self.ended: list[tuple[int, str]] = []
        self.advanced: list[tuple[int, int]] = []
        self.arguments: list[tuple[str, int, int | None, int | None]] = []

    def _note(self, name, business, decision, user):
        self.arguments.append((name, business.pk, getattr(decision, "pk", None), getattr(user, "pk", None)))

    def on_complete(self, business, decision, user):
        self._note("complete", business, decision, user)
        self.completed.append(business.pk)

    def on_end(self, business, decision, user):
        self._note("end", business, decision, user)
        self.ended.append((business.pk, business.status))

    def on_advance(self, business, decision, user):
        self._note("advance", business, decision, user)
        self.advanced.append((business.pk, business.position))


@pytest.fixture
def hooks():
    """Count the hooks of the "suspend" (休学) type; restore the registry afterwards."""
    calls = Calls()
    registry.set_handlers("suspend", on_complete=calls.on_complete, on_end=calls.on_end)
    return calls


@pytest.fixture
def registration_like():
    """A type like a no-ID registration (up to the province, 上报 after the school), with a
    test effect, so the engine is tested apart from the registration app's hooks."""
    btype = registry.register("test_no_id_registration", "测试无身份证件注册", registry.TO_PROVINCE,
                              group="学籍注册", report_after_school=True, on_complete=no_effect,
                              payload=payloads.Schema("测试注册", (payloads.Field("name", "姓名", required=False),
                                                                  payloads.Field("born", "出生日期", "date", required=False))))
    return btype.code


def image_bytes(fmt: str = "PNG", size=(20, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def png() -> bytes:
    return image_bytes("PNG")


@pytest.fixture
def jpeg() -> bytes:
    return image_bytes("JPEG")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


#: The content of the test transfers.
TRANSFER_SCHEMA = payloads.Schema("测试转学申请", (
    payloads.Field("reason", "转学原因", required=False),
    payloads.Field("to_class", "转入班级", required=False),
))


@pytest.fixture
def transfers():
    """Test effects on 省内转学 and 跨省转学 (no feature has plugged into them yet)."""
    calls = Calls()
    for code in ("transfer_in_province", "transfer_cross_province"):
        registry.set_handlers(code, on_complete=calls.on_complete, on_end=calls.on_end,
                              on_advance=calls.on_advance, payload=TRANSFER_SCHEMA)
    return calls


@pytest.fixture
def parties(world):
    """The people of the other parties: leaders of 海珠, 兴宁 and the 天河 middle school,
    the registrar of 兴宁区 and of 广西, and a third school's registrar and leader."""
    from xueji.testing import make_school

    t = world.tree
    third = make_school(t.futian, "3440304001", "福田测试小学")
    return dataclasses.make_dataclass("Parties", [
        "hz_leader", "gx_leader", "th_middle_leader", "xn_registrar", "gx_registrar", "third_registrar",
        "third_leader", "third", "nn_registrar", "futian_registrar",
    ])(
        hz_leader=make_user("hz_leader", Role.SCHOOL_LEADER, school=world.hz_school),
        gx_leader=make_user("gx_leader", Role.SCHOOL_LEADER, school=world.gx_school),
        th_middle_leader=make_user("th_middle_leader", Role.SCHOOL_LEADER, school=world.th_middle),
        xn_registrar=make_user("xn_registrar", Role.AUTHORITY_REGISTRAR, authority=t.xingning),
        gx_registrar=make_user("gx_prov_registrar", Role.AUTHORITY_REGISTRAR, authority=t.gx),
        third_registrar=make_user("third_registrar", Role.SCHOOL_REGISTRAR, school=third),
        third_leader=make_user("third_leader", Role.SCHOOL_LEADER, school=third),
        third=third,
        nn_registrar=make_user("nn_registrar", Role.AUTHORITY_REGISTRAR, authority=t.nn),
        futian_registrar=make_user("futian_registrar", Role.AUTHORITY_REGISTRAR, authority=t.futian),
    )
