"""The 学籍状态 index covers the rare statuses only (DECISIONS 195): a query of a rare
status (or several) across schools finds its records and, on PostgreSQL, can be served
by ``student_rare_status``; 在校 and 毕业 records are not in it, and a record moving
between statuses moves in and out of it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from xueji.students import services as S
from xueji.students.models import Status, Student


def _made(place, n: int) -> list[int]:
    with transaction.atomic():
        return [c.pk for c in S.create_records([place.spec(i) for i in range(1, n + 1)])]


def test_rare_status_queries_find_their_records(place):
    ids = _made(place, 4)
    Student.objects.filter(pk=ids[0]).update(status=Status.SUSPENDED)
    Student.objects.filter(pk=ids[1]).update(status=Status.DROPPED_OUT)
    Student.objects.filter(pk=ids[2]).update(status=Status.GRADUATED)
    assert list(Student.objects.filter(status=Status.SUSPENDED).values_list("pk", flat=True)) == [ids[0]]
    assert sorted(Student.objects.filter(status__in=[Status.SUSPENDED, Status.DROPPED_OUT])
                  .values_list("pk", flat=True)) == ids[:2]
    assert list(Student.objects.filter(status=Status.GRADUATED).values_list("pk", flat=True)) == [ids[2]]
    assert list(Student.objects.filter(status=Status.IN_SCHOOL).values_list("pk", flat=True)) == [ids[3]]
    Student.objects.filter(pk=ids[0]).update(status=Status.IN_SCHOOL)  # 复学: out of the index again
    assert not Student.objects.filter(status=Status.SUSPENDED).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner proves the partial index")
def test_rare_status_queries_can_use_the_partial_index(place):
    _made(place, 2)
    # without the model's default ordering (school, class, name): that joins the schools, and
    # the planner may then reach the records through student_school_status per school instead
    queries = [Student.objects.filter(status=Status.SUSPENDED).order_by().values("pk"),
               Student.objects.filter(status__in=[Status.DROPPED_OUT, Status.MISSING]).order_by().values("pk")]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for queryset in queries:
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "student_rare_status" in plan, plan
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'student_rare_status'")
        (definition,) = cursor.fetchone()
        assert "WHERE" in definition and "'10'" in definition and "'20'" in definition
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'students_student' AND indexdef LIKE "
                       "'%%(status)' ")
        assert cursor.fetchone()[0] == 0  # no whole-column index of the status left
