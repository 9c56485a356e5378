"""Demo 省内转学 (演示数据): pupils of 海珠区示范小学 transferring into 天河区示范小学, one
waiting at each party — the receiving school's leader, 天河区教育局 (overdue), the sending
school's leader, 海珠区教育局 — and one already moved and waiting for a class (待分班).
Through the real services and the engine. Idempotent: nothing is added once a transfer
exists."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from xueji.accounts.models import Role
from xueji.accounts.selectors import first_user
from xueji.org.models import Grade, School
from xueji.students.models import Student
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from . import transfer_services as services

RECEIVING, SENDING = "3440106001", "3440105001"


def seed_transfers() -> int:
    """Start the demo transfers; returns how many were started."""
    if Business.objects.filter(kind=services.TRANSFER).exists():
        return 0
    receiving = School.objects.filter(code=RECEIVING).select_related("supervisor").first()
    sending = School.objects.filter(code=SENDING).select_related("supervisor").first()
    if receiving is None or sending is None:
        return 0
    registrar = first_user(Role.SCHOOL_REGISTRAR, school=receiving)
    reviewers = [first_user(Role.SCHOOL_LEADER, school=receiving), first_user(Role.AUTHORITY_REGISTRAR, authority=receiving.supervisor),
                 first_user(Role.SCHOOL_LEADER, school=sending), first_user(Role.AUTHORITY_REGISTRAR, authority=sending.supervisor)]
    if registrar is None or None in reviewers:
        return 0
    pupils = list(Student.objects.filter(school=sending, status="10").order_by("-grade__entry_year", "pk")[:5])
    #: decisions taken for each pupil: waiting at 转入学校 (0), 转入方教育局 (1, overdue),
    #: 转出学校 (2), 转出方教育局 (3), moved (4)
    steps = (1, 4, 0, 2, 3)
    started = 0
    for n, pupil in enumerate(pupils):
        grade = Grade.objects.filter(school=receiving, stage=pupil.grade.stage,
                                     entry_year=pupil.grade.entry_year).first()
        if grade is None:
            continue
        business = services.apply_transfer(registrar, national_number=pupil.national_number, name=pupil.name,
                                           to_grade=grade, reason="随父母工作调动")
        for reviewer in reviewers[: steps[n]]:
            workflow.decide(business, reviewer, True, "同意")
        if n == 0:  # the demo's clock: this step (天河区教育局) was reached eight working days ago → 超期
            since = timezone.now() - dt.timedelta(days=12)
            Business.objects.filter(pk=business.pk).update(step_since=since,
                                                          step_due=since + dt.timedelta(days=7))
        started += 1
    return started
