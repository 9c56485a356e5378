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


def _meet_before_the_record_lock(monkeypatch):
    """Both admissions have locked their own result rows and written nothing when they
    reach for the graduate's record. (SQLite's BEGIN IMMEDIATE lets only one transaction
    in: there they meet just before it.)"""
    barrier = threading.Barrier(2, timeout=30)
    if connection.vendor == "postgresql":
        original = services._lock_students

        def meet_then_lock(student_ids):
            student_ids = list(student_ids)
            barrier.wait()
            return original(student_ids)

        monkeypatch.setattr(services, "_lock_students", meet_then_lock)
    else:
        original = services._school_registrar

        def meet(user, school_id=None):
            school = original(user, school_id)
            barrier.wait()
            return school

        monkeypatch.setattr(services, "_school_registrar", meet)


@pytest.mark.django_db(transaction=True)
def test_two_schools_admitting_one_graduate_at_once(adm, monkeypatch):
    _skip_in_memory()
    u, w = adm.u, adm.users
    pupil = adm.th_pupils[0]
    (a,) = imported(w.th_registrar, row(pupil, adm.th_primary, adm.th_junior))
    (b,) = imported(w.hz_registrar, row(pupil, adm.th_primary, adm.hz_junior))
    _meet_before_the_record_lock(monkeypatch)
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
