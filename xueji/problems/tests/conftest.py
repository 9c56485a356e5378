"""The problem-group tests use the record-writer fixtures (classes, pupils); ``zoo`` adds
problem groups in every place the lists care about."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from xueji.org.models import Grade, SchoolClass
from xueji.students.tests.conftest import place  # noqa: F401  (the fixture)

from .handling_support import hp  # noqa: F401,E402  (the handling fixture)


@pytest.fixture
def zoo(place):  # noqa: F811
    """Groups of every kind the lists show (states set directly on the test's own rows):

    - ``own``  th_school pair (t1 c1, t2 c2), 身份证件号重复, waiting for th (t2 acts);
    - ``two``  th (t3, class c21) + hz (h1): waiting for hz; 20 working days overdue;
    - ``hist`` th t4 alone, 身份证件号错误, historical (首次数据采集), locked;
    - ``xp``   th t5 + gx x1 across provinces, waiting for th;
    - ``done`` th t6 alone, resolved this month.
    """
    from xueji.problems import services as P
    from xueji.problems.models import ProblemKind, ProblemMember
    from xueji.students import services as S
    from xueji.students.models import Student

    world = place.world
    gx_grade = Grade.objects.create(school=world.gx_school, stage="1", entry_year=2020)
    gx_class = SchoolClass.objects.create(school=world.gx_school, grade=gx_grade, code="2020101", name="1班")
    with transaction.atomic():
        created = S.create_records([
            place.spec(1, place.c1), place.spec(2, place.c2, kind="L", claim=False), place.spec(3, place.c21),
            place.spec(4, place.hz), place.spec(5, place.c1, kind="L"), place.spec(6, place.c1),
            place.spec(7, gx_class), place.spec(8, place.c1)])
    by_pk = Student.objects.select_related("school").in_bulk([c.pk for c in created])
    t1, t2, t3, h1, t4, t5, x1, t6 = (by_pk[c.pk] for c in created)
    own, two, xp = P.open_groups([
        P.NewGroup(ProblemKind.ID_DUPLICATE, (t1.pk, t2.pk), "身份证件号与其他学籍重复"),
        P.NewGroup(ProblemKind.ID_DUPLICATE, (t3.pk, h1.pk), "身份证件号与其他学籍重复"),
        P.NewGroup(ProblemKind.NO_ID_DUPLICATE, (t5.pk, x1.pk), "姓名性别出生日期相同"),
    ])
    (hist,) = P.open_groups([P.NewGroup(ProblemKind.ID_ERROR, (t4.pk,), "身份证件号校验未通过", historical=True)])
    (done,) = P.open_groups([P.NewGroup(ProblemKind.ID_ERROR, (t6.pk,), "身份证件号校验未通过")])
    P.resolve_groups(ProblemKind.ID_ERROR, [t6.pk], resolution="变更后通过")
    # whose turn: fixed here so the tests do not depend on registration order
    now = timezone.now()
    for group, actor in ((own, t2), (two, h1), (xp, t5), (hist, t4)):
        ProblemMember.objects.filter(group=group).update(must_act=False)
        ProblemMember.objects.filter(group=group, student=actor).update(must_act=True)
    type(own).objects.filter(pk=two.pk).update(turn_since=now - dt.timedelta(days=40),
                                               turn_due=now - dt.timedelta(days=10),
                                               created_at=now - dt.timedelta(days=40))
    type(own).objects.filter(pk=hist.pk).update(locked=True, lock_reason="招生期间锁定")
    for g in (own, two, xp, hist, done):
        g.refresh_from_db()
    return SimpleNamespace(place=place, world=world, users=world.users, gx_class=gx_class,
                           t1=t1, t2=t2, t3=t3, h1=h1, t4=t4, t5=t5, x1=x1, t6=t6,
                           own=own, two=two, hist=hist, xp=xp, done=done)
