"""F-27 at the engine: a business for existing students starts only when their 学籍状态
allows it (the table in students/rules.py), for one student and for many."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.students import services as student_services
from xueji.testing import make_user
from xueji.workflow import services
from xueji.workflow.models import Business

from .conftest import make_student


def _suspend(student):
    with transaction.atomic():
        student_services.change_status([student], "11", reason="因病", date=timezone.localdate())
    student.refresh_from_db()


def test_a_suspended_student_cannot_transfer(world, student, transfers):
    _suspend(student)
    with pytest.raises(ValidationError) as caught:
        services.initiate(kind="transfer_in_province", school=world.th_school, applicant=world.users.school_registrar,
                          student=student, stage="1", summary="转学")
    assert caught.value.messages == ["学籍状态为休学的学生不能办理省内转学"]
    assert not Business.objects.exists()
    business = services.initiate(kind="resume", school=world.th_school, applicant=world.users.school_registrar,
                                 student=student, stage="1", summary="复学")
    assert business.kind == "resume"


def test_many_at_once_name_every_student_refused(world):
    u = world.users
    fine, suspended, deleted = (make_student(world.th_school, name=n) for n in ("甲同学", "乙同学", "丙同学"))
    _suspend(suspended)
    with transaction.atomic():
        student_services.change_status([deleted], "99", reason="误操作删除", date=timezone.localdate())
    items = [{"stage": "1", "summary": s.name, "student": s.pk} for s in (fine, suspended, deleted)]
    with pytest.raises(ValidationError) as caught:
        services.initiate_many(kind="suspend", school=world.th_school, applicant=u.school_registrar, items=items)
    assert caught.value.messages == ["乙同学:学籍状态为休学的学生不能办理休学",
                                     "丙同学:学籍状态为已删除的学生不能办理休学"]
    assert not Business.objects.exists()
    assert len(services.initiate_many(kind="suspend", school=world.th_school, applicant=u.school_registrar,
                                      items=items[:1])) == 1


def test_a_graduate_of_junior_school_cannot_transfer_across_provinces(world, transfers):
    junior = make_student(world.th_middle, stage="2", name="丁同学")
    primary = make_student(world.th_school, name="戊同学")
    with transaction.atomic():
        student_services.change_status([junior, primary], "20", reason="毕业", date=timezone.localdate())
    with pytest.raises(ValidationError, match="学籍状态为毕业的初中学生不能办理跨省转学"):
        services.initiate(kind="transfer_cross_province", school=world.th_middle,
                          applicant=world.users.th_registrar, student=junior, stage="2", summary="跨省转学")
    gx_registrar = make_user("gx_school_registrar", Role.SCHOOL_REGISTRAR, school=world.gx_school)
    business = services.initiate(kind="transfer_cross_province", school=world.gx_school,
                                 applicant=gx_registrar, student=primary, stage="1", summary="跨省转学")
    assert business.student == primary and business.chain[-1]["unit"] == "天河区教育局"  # the sending side
