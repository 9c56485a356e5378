"""Races the database must settle: two initiations for one student, two reviewers passing
one step. Run on PostgreSQL or a file SQLite database; in-memory SQLite can't queue
writers from threads, so there they are skipped (like xueji/audit/tests/test_concurrency)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from xueji.accounts.models import Role
from xueji.testing import make_user
from xueji.workflow import services
from xueji.workflow.models import Business, Decision

from .conftest import make_student


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def _race(*jobs):
    """Run the jobs at the same moment in threads; return their results/exceptions."""
    start = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(i, job):
        try:
            start.wait()
            outcomes[i] = job()
        except BaseException as error:  # noqa: BLE001 - returned to the test
            outcomes[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_initiations_for_one_student_race(world):
    if _in_memory_sqlite():
        pytest.skip("in-memory SQLite shares one cache between threads and can't queue writers")
    student = make_student(world.th_school)
    applicant = world.users.school_registrar

    def start(kind):
        return lambda: services.initiate(kind=kind, school=world.th_school, applicant=applicant,
                                         student=student, stage="1", summary=kind)

    outcomes = _race(start("suspend"), start("quit_school"), start("repeat_grade"))
    started = [o for o in outcomes if isinstance(o, Business)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(started) == 1 and len(refused) == 2, outcomes
    assert all("该学生已有在办业务" in e.messages[0] for e in refused)
    assert Business.objects.filter(student=student, status="open").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_pass_one_step_once(world):
    if _in_memory_sqlite():
        pytest.skip("in-memory SQLite shares one cache between threads and can't queue writers")
    colleague = make_user("th_registrar2", Role.AUTHORITY_REGISTRAR, authority=world.tree.tianhe)
    business = services.initiate(kind="repeat_grade", school=world.th_school, applicant=world.users.school_registrar,
                                 student=make_student(world.th_school), stage="1", summary="留级")
    services.decide(business, world.users.school_leader, True)
    outcomes = _race(lambda: services.decide(business.pk, world.users.th_registrar, True),
                     lambda: services.decide(business.pk, colleague, True))
    assert sum(isinstance(o, Business) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ValidationError | PermissionDenied) for o in outcomes) == 1, outcomes
    assert Decision.objects.filter(business=business).count() == 2
    business.refresh_from_db()
    assert business.status == "passed"
