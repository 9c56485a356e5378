"""Index entries a registration import does not need (DECISIONS 201): a business is indexed
by its student only where it has one (an import's registrations have no record yet), and
an identity claim's key has its one unique index, not PostgreSQL's extra ``LIKE`` index.
Lookups by student and the one-open-business rule work as before."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from xueji.students.models import IdentityClaim
from xueji.workflow.models import Business


def _indexes(model) -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, model._meta.db_table)


@pytest.mark.django_db
def test_the_student_column_has_no_whole_column_index():
    by_student = {name: info for name, info in _indexes(Business).items()
                  if info["columns"] == ["student_id"] and (info["index"] or info["unique"])}
    assert set(by_student) == {"business_student", "business_one_open_per_student"}
    assert Business._meta.get_field("student").db_index is False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                           [Business._meta.db_table, "%(student_id)%"])
            definitions = dict(cursor.fetchall())
        assert set(definitions) == set(by_student)
        assert all("student_id IS NOT NULL" in d for d in definitions.values()), definitions


@pytest.mark.django_db
def test_an_identity_key_has_one_unique_index_and_no_like_index():
    on_key = {name: info for name, info in _indexes(IdentityClaim).items() if info["columns"] == ["key"]}
    assert list(on_key) == ["identity_claim_key"]
    assert on_key["identity_claim_key"]["unique"] is True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                           [IdentityClaim._meta.db_table, "%pattern_ops%"])
            assert cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_key_claimed_twice_is_refused_by_the_database(world):
    IdentityClaim.objects.create(key="1:110101201501011234", school=world.th_school, registration_id=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        IdentityClaim.objects.create(key="1:110101201501011234", school=world.hz_school, registration_id=2)
    assert IdentityClaim.objects.filter(key="1:110101201501011234").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner proves the partial indexes")
def test_lookups_by_student_can_use_the_partial_indexes(world):
    # a lookup by student (the ORM's PROTECT check, 在办业务 of some students) implies
    # student_id IS NOT NULL, so the partial index serves it (which of the two the planner
    # takes on a near-empty table is its choice)
    queries = {"in": Business.objects.filter(student_id__in=[1, 2, 3]).order_by().values("pk"),
               "one": Business.objects.filter(student_id=1).order_by().values("pk")}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for what, queryset in queries.items():
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "business_student" in plan or "business_one_open_per_student" in plan, (what, plan)
