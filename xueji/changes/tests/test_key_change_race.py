"""Races on one new ID the database must settle (PostgreSQL or file SQLite; in-memory
SQLite can't serve two threads): two key changes, and a key change against a
registration of another school. Exactly one wins; nothing of the loser is left."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from xueji.changes import key_changes as K
from xueji.org.models import Grade, SchoolClass
from xueji.org.rules import school_year_of
from xueji.registration import services as registration
from xueji.registration.testing import first_grade_birth, resident_id, student_row
from xueji.students import services as student_services
from xueji.students.models import IdentityClaim
from xueji.workflow.models import Business
from xueji.workflow.services import load_default_configs

from .conftest import png_file


def _skip_in_memory():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory SQLite can't serve two threads; file SQLite and PostgreSQL can")


def _read_then_wait(monkeypatch, parties: int):
    """Every racer reads "not held" before any writes: the database alone settles it."""
    barrier = threading.Barrier(parties, timeout=30)
    original = student_services.find_conflicts
    local = threading.local()

    def read_then_wait(keys):
        found = original(keys)
        if not getattr(local, "done", False):
            local.done = True
            barrier.wait()
        return found

    monkeypatch.setattr(student_services, "find_conflicts", read_then_wait)


def _race(*jobs):
    outcomes: list = [None] * len(jobs)

    def run(i, job):
        try:
            outcomes[i] = job()
        except BaseException as error:  # noqa: BLE001 - returned to the test
            outcomes[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_key_changes_to_one_id(place, monkeypatch):
    _skip_in_memory()
    u = place.users
    a = place.pupil()
    b = place.pupil(birth_date=a.birth_date, gender=a.gender)
    number = resident_id("440106", a.birth_date, 321, a.gender)
    _read_then_wait(monkeypatch, 2)
    outcomes = _race(
        lambda: K.request_key_change(a, u.school_registrar, {"id_number": number}, proof=png_file()),
        lambda: K.request_key_change(b, u.data_checker, {"id_number": number}, proof=png_file()),
    )
    won = [o for o in outcomes if isinstance(o, Business)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert "不能变更为该身份证件号" in lost[0].messages[0]
    assert IdentityClaim.objects.get(key=f"1:{number}").registration_id == won[0].pk
    assert Business.objects.count() == 1  # the loser's business rolled back with its claim


@pytest.mark.django_db(transaction=True)
def test_a_key_change_and_a_registration_of_one_id(place, monkeypatch):
    _skip_in_memory()
    load_default_configs()
    u, w = place.users, place.world
    year = school_year_of(timezone.localdate())
    grade = Grade.objects.create(school=w.hz_school, stage="1", entry_year=year)
    klass = SchoolClass.objects.create(school=w.hz_school, grade=grade, code=f"{year}101", name="1班")
    birth = first_grade_birth(year, 7)
    row = student_row(w.hz_school.code, klass.code, 7, birth=birth, division="440106000000")
    number = row["身份证件号"]
    s = place.pupil(birth_date=birth, gender=row["性别"])
    assert s.id_number != number and s.birth_date == birth and isinstance(birth, dt.date)
    _read_then_wait(monkeypatch, 2)
    outcomes = _race(
        lambda: K.request_key_change(s, u.school_registrar, {"id_number": number}, proof=png_file()),
        lambda: registration.register_rows(w.hz_school, "primary-resident", u.hz_school_registrar, [(2, row)],
                                           keep=False),
    )
    change, registered = outcomes
    change_won = isinstance(change, Business)
    assert change_won != bool(getattr(registered, "passed_count", 0)), outcomes
    assert not isinstance(registered, BaseException), registered
    claim = IdentityClaim.objects.get(key=f"1:{number}")
    if change_won:
        assert claim.registration_id == change.pk and registered.failed
    else:
        assert isinstance(change, ValidationError) and "不能变更为该身份证件号" in change.messages[0]
        assert claim.school_id == w.hz_school.pk
        assert not Business.objects.filter(student=s).exists()
