"""students.selectors.holding_identities: records by (证件类型, 证件号), served by the index."""

from __future__ import annotations

from django.db import connection, transaction

from xueji.students import numbers
from xueji.students import services as S
from xueji.students.models import Student
from xueji.students.selectors import holding_identities


def test_matches_type_and_number_only(place):
    with transaction.atomic():
        a, b = (c.pk for c in S.create_records([place.spec(1), place.spec(2)]))
    first = Student.objects.get(pk=a)
    key = numbers.identity_key(first.id_type, first.id_number)
    assert list(Student.objects.filter(holding_identities([key])).values_list("pk", flat=True)) == [a]
    # the same number under another document type is another identity
    assert not Student.objects.filter(holding_identities([f"6:{first.id_number}"])).exists()
    assert not Student.objects.filter(holding_identities([])).exists()
    second = Student.objects.get(pk=b)
    both = [key, numbers.identity_key(second.id_type, second.id_number), "6:X1234567"]
    assert set(Student.objects.filter(holding_identities(both)).values_list("pk", flat=True)) == {a, b}


def test_the_filter_uses_the_identity_index(place):
    sql, params = Student.objects.filter(holding_identities(["1:440106201701020011"])).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "student_identity" in plan and "SCAN" not in plan, plan
        else:  # PostgreSQL plans by statistics; the condition at least names both columns
            assert '"id_type"' in sql and '"id_number"' in sql
