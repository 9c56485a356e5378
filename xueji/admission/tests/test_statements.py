"""录取, the review's last pass and 调档 are set-based: the number of SQL statements of one
call does not grow with the number of students (within a chunk of services.CHUNK)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from xueji.admission import services
from xueji.admission.models import AdmissionResult, State
from xueji.students.models import Student
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from .conftest import graduate, row
from .test_flow import imported


def _statements(work) -> int:
    with CaptureQueriesContext(connection) as queries:
        work()
    return len(queries.captured_queries)


def _rows(adm, count: int) -> list[AdmissionResult]:
    pupils = [graduate(adm.th_primary, "1", entry_year=adm.year - 6, gender="1" if i % 2 else "2")
              for i in range(count)]
    return imported(adm.users.th_registrar, *(row(p, adm.th_primary, adm.th_junior) for p in pupils))


def _review(adm, rows) -> None:
    businesses = Business.objects.filter(pk__in=[r.business_id for r in AdmissionResult.objects.filter(
        pk__in=[r.pk for r in rows])])
    workflow.decide_many(businesses.filter(position=0), adm.u.th_junior_leader, True)
    workflow.decide_many(businesses.filter(status="open"), adm.users.th_registrar, True)


def test_statements_do_not_grow_with_the_students(adm):
    registrar = adm.u.th_junior_registrar
    # one of each first: what is read once per process (settings, chains) is read now
    warm = _rows(adm, 1)
    services.admit(registrar, [r.pk for r in warm])
    _review(adm, warm)
    services.retrieve(registrar, [r.pk for r in warm])
    counts = {}
    for size in (2, 9):
        rows = _rows(adm, size)
        ids = [r.pk for r in rows]
        admitted = _statements(lambda ids=ids: services.admit(registrar, ids))
        businesses = list(Business.objects.filter(pk__in=AdmissionResult.objects.filter(pk__in=ids)
                                                  .values("business_id")))
        # the review's last pass (the authority's): on_passed_many writes the rows
        workflow.decide_many(Business.objects.filter(pk__in=[b.pk for b in businesses]), adm.u.th_junior_leader,
                             True)
        passed = _statements(lambda businesses=businesses: workflow.decide_many(
            Business.objects.filter(pk__in=[b.pk for b in businesses]), adm.users.th_registrar, True))
        retrieved = _statements(lambda ids=ids: services.retrieve(registrar, ids))
        assert set(AdmissionResult.objects.filter(pk__in=ids).values_list("state", flat=True)) == {State.RETRIEVED}
        assert Student.objects.filter(pk__in=[r.student_id for r in rows], status="10",
                                      grade=adm.th_grade).count() == size
        counts[size] = (admitted, passed, retrieved)
    assert counts[2] == counts[9], counts
