"""Two registrars of one school submitting the same 佐证 at once, two arbiters arbitrating
one duplicate at once (PostgreSQL or file SQLite): both read before either writes, the
duplicate's row lock settles it — exactly one wins, the other is refused."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError

from xueji.accounts.models import Role
from xueji.admission.models import AdmissionResult, State
from xueji.changes.tests.test_key_change_race import _race, _skip_in_memory
from xueji.dupadmission import services
from xueji.dupadmission.models import DuplicateEvidence
from xueji.testing import make_user
from xueji.workflow.models import Business

from .test_services import passed


def _read_then_wait(monkeypatch, parties: int):
    barrier = threading.Barrier(parties, timeout=30)
    original = services._admission

    def read_then_wait(admission):
        found = original(admission)
        barrier.wait()
        return found

    monkeypatch.setattr(services, "_admission", read_then_wait)


@pytest.mark.django_db(transaction=True)
def test_two_evidences_of_one_admission_at_once(dw, monkeypatch):
    _skip_in_memory()
    group = dw.dup(dw.th1, dw.hz)
    row = dw.row(group, dw.th1)
    second = make_user("th1_reg2", Role.SCHOOL_REGISTRAR, school=dw.th1)
    _read_then_wait(monkeypatch, 2)
    outcomes = _race(*(lambda user=user: services.submit_evidence(row.pk, user, opinion="同时佐证", proof=dw.png())
                       for user in (dw.th1_reg, second)))
    won = [o for o in outcomes if isinstance(o, DuplicateEvidence)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert DuplicateEvidence.objects.count() == 1 and Business.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_arbitrations_at_once(dw, monkeypatch):
    _skip_in_memory()
    group = dw.dup(dw.th1, dw.th2)
    passed(dw, group, dw.th1)
    passed(dw, group, dw.th2)
    other = make_user("th_registrar2", Role.AUTHORITY_REGISTRAR, authority=dw.tree.tianhe)
    a, b = dw.row(group, dw.th1), dw.row(group, dw.th2)
    outcomes = _race(lambda: services.arbitrate(group.pk, dw.users.th_registrar, a.pk, "天河先录取"),
                     lambda: services.arbitrate(group.pk, other, b.pk, "天河第二中学先录取"))
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(lost) == 1 and "已处理完毕" in lost[0].messages[0], outcomes
    states = sorted(AdmissionResult.objects.filter(duplicate_group=group).values_list("state", flat=True))
    assert states == sorted([State.REVIEWING, State.WITHDRAWN])
