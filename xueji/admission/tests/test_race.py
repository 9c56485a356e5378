"""Two schools admitting the same graduate at the same moment (PostgreSQL or file SQLite;
skipped on in-memory SQLite): the graduate's record lock (``services._lock_students``)
serialises them, so the second sees the first — exactly one DuplicateAdmission holding
both rows, no error."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from xueji.admission import services
from xueji.admission.models import AdmissionResult, DuplicateAdmission, State
from xueji.changes.tests.test_key_change_race import _race, _skip_in_memory
from xueji.workflow.models import Business

from .conftest import row
from .test_flow import imported


def _race_for_the_record(monkeypatch):
    """Make the two admissions overlap where it matters. They start together: both have
    locked their own result rows and written nothing when they reach for the graduate's
    record (on SQLite, whose BEGIN IMMEDIATE lets one transaction in at a time, just before
    it). Then each waits for the other before it looks for other schools' admissions of
    the graduate — without the record lock both would look before either commits and
    neither would see the other. With it the second is still waiting in the database for
    the lock: the first stops waiting after a moment, commits, and the second, let in,
    finds it."""
    start = threading.Barrier(2, timeout=30)
    look = threading.Barrier(2, timeout=3)
    if connection.vendor == "postgresql":
        lock_students = services._lock_students

        def start_then_lock(student_ids):
            student_ids = list(student_ids)
            start.wait()
            return lock_students(student_ids)

        monkeypatch.setattr(services, "_lock_students", start_then_lock)
    else:
        school_registrar = services._school_registrar

        def start_together(user, school_id=None):
            school = school_registrar(user, school_id)
            start.wait()
            return school

        monkeypatch.setattr(services, "_school_registrar", start_together)
    find_duplicates = services._find_duplicates

    def meet_then_look(admitted):
        try:
            look.wait()
        except threading.BrokenBarrierError:
            pass  # the other is held by the lock (or has already passed here)
        return find_duplicates(admitted)

    monkeypatch.setattr(services, "_find_duplicates", meet_then_look)


@pytest.mark.django_db(transaction=True)
def test_two_schools_admitting_one_graduate_at_once(adm, monkeypatch, settings):
    _skip_in_memory()
    # 天河 and 海珠 write their audit entries to chains of their own (each chain's writers
    # queue on its head row), so nothing but the record lock stands between the two
    settings.XUEJI_AUDIT_CHAIN_DIGITS = 6
    u, w = adm.u, adm.users
    pupil = adm.th_pupils[0]
    (a,) = imported(w.th_registrar, row(pupil, adm.th_primary, adm.th_junior))
    (b,) = imported(w.hz_registrar, row(pupil, adm.th_primary, adm.hz_junior))
    _race_for_the_record(monkeypatch)
    outcomes = _race(lambda: services.admit(u.th_junior_registrar, [a.pk]),
                     lambda: services.admit(u.hz_junior_registrar, [b.pk]))
    assert all(isinstance(o, services.Outcome) for o in outcomes), outcomes
    assert sorted(o.done for o in outcomes) == sorted([[a.pk], [b.pk]])
    # the second to take the record's lock found the first: only its own row is reported
    assert sorted(len(o.duplicates) for o in outcomes) == [0, 1]
    group = DuplicateAdmission.objects.get()
    assert not group.resolved and group.student_id == pupil.pk
    rows = AdmissionResult.objects.filter(pk__in=[a.pk, b.pk])
    assert {(r.state, r.duplicate, r.duplicate_group_id) for r in rows} == {(State.REVIEWING, True, group.pk)}
    assert Business.objects.filter(pk__in=[r.business_id for r in rows], status="open").count() == 2
