"""The query index on students_student survives the students app's table rebuild (klass
nullable, students 0003, which SQLite does by copying the table)."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_query_index_exists_after_every_migration():
    with connection.cursor() as cursor:
        names = {i for i in connection.introspection.get_constraints(cursor, "students_student")}
    assert "reports_student_school_klass_name" in names
