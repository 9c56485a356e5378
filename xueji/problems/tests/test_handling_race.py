"""A 问题学籍变更 racing a registration of the same new ID (PostgreSQL or file SQLite):
exactly one wins; the loser leaves nothing behind."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from xueji.changes.tests.test_key_change_race import _race, _read_then_wait, _skip_in_memory
from xueji.org.models import Grade, SchoolClass
from xueji.org.rules import school_year_of
from xueji.problems import handling as H
from xueji.problems import services as P
from xueji.problems.models import MemberState, Method, ProblemKind, ProblemMember
from xueji.registration import services as registration
from xueji.registration.testing import first_grade_birth, student_row
from xueji.students.models import IdentityClaim
from xueji.workflow.models import Business
from xueji.workflow.services import load_default_configs

from .handling_support import png_file, record, values_of


@pytest.mark.django_db(transaction=True)
def test_a_problem_change_and_a_registration_of_one_id(hp, monkeypatch):
    _skip_in_memory()
    load_default_configs()
    w = hp.world
    year = school_year_of(timezone.localdate())
    grade = Grade.objects.create(school=w.hz_school, stage="1", entry_year=year)
    klass = SchoolClass.objects.create(school=w.hz_school, grade=grade, code=f"{year}101", name="1班")
    birth = first_grade_birth(year, 7)
    row = student_row(w.hz_school.code, klass.code, 7, birth=birth, division="440106000000")
    number = row["身份证件号"]
    vals = {**values_of(300), "birth_date": birth, "gender": row["性别"]}
    from xueji.registration.testing import resident_id

    vals["id_number"] = resident_id("440106", birth, 250, row["性别"])
    a = record(hp.klass["th"], vals, holder=True)
    b = record(hp.klass["th2"], vals, holder=False)
    (group,) = P.open_groups([P.NewGroup(ProblemKind.ID_DUPLICATE, (a.pk, b.pk))])
    member = ProblemMember.objects.get(group=group, student=b)
    assert member.must_act
    _read_then_wait(monkeypatch, 2)
    outcomes = _race(
        lambda: H.start_handling(member.pk, hp.registrar(hp.th2), Method.CHANGE, proof=png_file(),
                                 after={"id_number": number}),
        lambda: registration.register_rows(w.hz_school, "primary-resident", w.users.hz_school_registrar, [(2, row)],
                                           keep=False),
    )
    change, registered = outcomes
    assert not isinstance(registered, BaseException), registered
    change_won = isinstance(change, Business)
    assert change_won != bool(getattr(registered, "passed_count", 0)), outcomes
    claim = IdentityClaim.objects.get(key=f"1:{number}")
    member.refresh_from_db()
    if change_won:
        assert claim.registration_id == change.pk and registered.failed
        assert member.state == MemberState.ACTING
    else:
        assert isinstance(change, ValidationError) and "不能变更为该身份证件号" in change.messages[0]
        assert claim.school_id == w.hz_school.pk
        assert member.state == MemberState.PENDING and member.business_id is None
        assert not Business.objects.filter(student=b).exists()
