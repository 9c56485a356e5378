"""``__in`` of many integers becomes ``= ANY(array)`` on PostgreSQL (``common.lookups``) and
finds exactly what ``IN (…)`` finds; short lists, strings, subqueries and SQLite keep ``IN``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xueji.common import lookups
from xueji.org.models import Grade, SchoolClass


@pytest.fixture
def classes(world):
    grade = Grade.objects.create(school=world.th_school, stage="1", entry_year=2021)
    made = [SchoolClass.objects.create(school=world.th_school, grade=grade, code=f"2021{k:03d}", name=f"{k}班")
            for k in range(1, 6)]
    return grade, made


def _sql(queryset) -> tuple[list, str]:
    with CaptureQueriesContext(connection) as captured:
        found = sorted(queryset)
    return found, captured.captured_queries[-1]["sql"]


def test_many_ids_find_the_same_rows(classes):
    grade, made = classes
    wanted = [c.pk for c in made[:3]] + list(range(10 ** 9, 10 ** 9 + lookups.ANY_MIN)) + [None]
    found, sql = _sql(SchoolClass.objects.filter(pk__in=wanted).values_list("code", flat=True))
    assert found == [c.code for c in made[:3]]
    # the foreign key (RelatedIn) and a related field through a join
    by_grade, fk_sql = _sql(SchoolClass.objects.filter(grade__in=[grade.pk, *range(10 ** 9, 10 ** 9 + 200)])
                            .values_list("code", flat=True))
    assert by_grade == [c.code for c in made]
    through, join_sql = _sql(SchoolClass.objects.filter(grade__school_id__in=[grade.school_id, *range(-300, 0)])
                             .values_list("code", flat=True))
    assert through == by_grade
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and " IN (" not in sql
        assert "= ANY(" in fk_sql and "= ANY(" in join_sql
        assert "::bigint[]" in sql and sql.count(",") < 200  # one array literal, not a hundred placeholders
    else:
        assert " IN (" in sql and "ANY(" not in sql


def test_model_instances_excludes_and_empty_lists(classes):
    grade, made = classes
    others = [Grade(pk=10 ** 9 + k) for k in range(lookups.ANY_MIN)]
    assert SchoolClass.objects.filter(grade__in=[grade, *others]).count() == 5
    excluded = [c.pk for c in made[:2]] + list(range(10 ** 9, 10 ** 9 + lookups.ANY_MIN))
    assert sorted(SchoolClass.objects.exclude(pk__in=excluded).values_list("pk", flat=True)) == \
        sorted(c.pk for c in made[2:])
    assert SchoolClass.objects.filter(pk__in=[None] * 300).count() == 0
    assert SchoolClass.objects.filter(pk__in=[]).count() == 0


def test_strings_short_lists_and_subqueries_keep_in(classes):
    grade, made = classes
    codes = [c.code for c in made] + [f"X{k}" for k in range(lookups.ANY_MIN)]
    found, sql = _sql(SchoolClass.objects.filter(code__in=codes).values_list("code", flat=True))
    assert found == [c.code for c in made]
    assert " IN (" in sql
    found, sql = _sql(SchoolClass.objects.filter(pk__in=[made[0].pk, made[1].pk]).values_list("code", flat=True))
    assert found == [made[0].code, made[1].code] and " IN (" in sql
    found, sql = _sql(SchoolClass.objects.filter(grade__in=Grade.objects.filter(pk=grade.pk))
                      .values_list("code", flat=True))
    assert len(found) == 5 and " IN (SELECT" in sql
    # integers given as text (a form's ids) are converted as before
    assert SchoolClass.objects.filter(pk__in=[str(made[0].pk)] + [str(k) for k in range(10 ** 9, 10 ** 9 + 150)]) \
        .count() == 1


def test_ints_against_a_text_column_are_converted_not_sent_as_an_array(classes):
    """The no-conversion path is only for integer columns: ints compared with a text column
    (code) are prepared as text, as Django does, and keep ``IN``."""
    grade, made = classes
    numbers = [int(made[0].code)] + list(range(10 ** 9, 10 ** 9 + lookups.ANY_MIN))
    found, sql = _sql(SchoolClass.objects.filter(code__in=numbers).values_list("code", flat=True))
    assert found == [made[0].code]
    assert "ANY(" not in sql
    by_grade, fk_sql = _sql(SchoolClass.objects.filter(grade_id__in=[grade.pk, *range(-200, 0)])
                            .values_list("code", flat=True))
    assert by_grade == sorted(c.code for c in made)
    if connection.vendor == "postgresql":
        assert "= ANY(" in fk_sql


def test_ids_in_for_hand_written_sql(classes):
    """``bulk.ids_in``: the same rows as ``IN (…)``; one array parameter on PostgreSQL;
    integers given as text are converted; an empty list is refused (``IN ()`` is invalid)."""
    from xueji.common import bulk

    grade, made = classes
    wanted = [made[0].pk, str(made[2].pk), *range(10 ** 9, 10 ** 9 + 500)]
    sql, params = bulk.ids_in("id", wanted)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT code FROM {SchoolClass._meta.db_table} WHERE {sql} ORDER BY code", params)
        assert [row[0] for row in cursor.fetchall()] == [made[0].code, made[2].code]
    if connection.vendor == "postgresql":
        assert sql == "id = ANY(%s::bigint[])" and len(params) == 1
        assert params[0].startswith(f"{{{made[0].pk},{made[2].pk},")  # the array's text
    else:
        assert sql.startswith("id IN (") and len(params) == len(wanted)
    with pytest.raises(ValueError):
        bulk.ids_in("id", [])
    with pytest.raises(ValueError):
        bulk.ids_in("id", ["1 OR 1=1"])


@pytest.mark.django_db(transaction=False)
def test_update_grouped_sets_each_groups_values(classes):
    """``bulk.update_grouped``: every row of a group gets that group's values, in chunks;
    rows not named are untouched."""
    from xueji.common import bulk

    grade, made = classes
    bulk.update_grouped(SchoolClass, [("甲", made[0].pk), ("乙", made[1].pk), ("甲", made[2].pk)],
                        lambda key: {"name": f"{key}班"}, chunk=1)
    names = dict(SchoolClass.objects.values_list("pk", "name"))
    assert [names[c.pk] for c in made] == ["甲班", "乙班", "甲班", "4班", "5班"]
    bulk.update_grouped(SchoolClass, [], lambda key: {"name": "不应写入"})
    assert SchoolClass.objects.filter(name="不应写入").count() == 0


@pytest.mark.django_db(transaction=False)
def test_update_grouped_many_groups_mixed_values(classes, world):
    """Many groups of the same fields — a name, a foreign key's id, a null — give every row
    its group's values; on PostgreSQL in one statement (``update_rows``). Groups setting
    different fields take one UPDATE per group on every database."""
    from xueji.common import bulk

    grade, made = classes
    teacher = world.users.school_registrar
    plan = {"甲": {"name": "甲班", "head_teacher_id": teacher.pk}, "乙": {"name": "乙班", "head_teacher_id": None},
            "丙": {"name": "丙班", "head_teacher": teacher}}
    rows = [("甲", made[0].pk), ("乙", made[1].pk), ("甲", made[2].pk), ("丙", made[3].pk)]
    with CaptureQueriesContext(connection) as captured:
        bulk.update_grouped(SchoolClass, rows, lambda key: dict(plan[key]))
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 3  # the 丙 group names the relation, not its column: its own UPDATE
    got = {c.pk: (c.name, c.head_teacher_id) for c in SchoolClass.objects.filter(grade=grade)}
    assert [got[c.pk] for c in made] == [("甲班", teacher.pk), ("乙班", None), ("甲班", teacher.pk),
                                         ("丙班", teacher.pk), ("5班", None)]
    same = {"甲": {"name": "一", "head_teacher_id": None}, "乙": {"name": "二", "head_teacher_id": teacher.pk}}
    with CaptureQueriesContext(connection) as captured:
        bulk.update_grouped(SchoolClass, [("甲", made[4].pk), ("乙", made[0].pk), ("甲", made[1].pk)],
                            lambda key: same[key])
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == (1 if connection.vendor == "postgresql" else 2)
    got = {c.pk: (c.name, c.head_teacher_id) for c in SchoolClass.objects.filter(grade=grade)}
    assert (got[made[4].pk], got[made[0].pk], got[made[1].pk]) == (("一", None), ("二", teacher.pk), ("一", None))


def test_int_array_text():
    assert lookups.int_array([3, 1, 20]) == "{3,1,20}"
    assert lookups.int_array([]) == "{}"
    for bad in ([1, True], [1, "2"], [1.0], [None]):
        with pytest.raises(TypeError):
            lookups.int_array(bad)


def test_long_int_lists_skip_the_per_value_preparation_and_keep_their_meaning(classes, monkeypatch):
    """Plain ints on an integer column go to the query unprepared (they would come back the
    same); a list with anything else in it is prepared by Django as before."""
    grade, made = classes
    from django.db.models import BigAutoField

    calls = []
    original = BigAutoField.get_prep_value
    monkeypatch.setattr(BigAutoField, "get_prep_value", lambda self, value: calls.append(value) or original(self, value))
    ids = [c.pk for c in made] + list(range(10 ** 9, 10 ** 9 + lookups.ANY_MIN))
    assert SchoolClass.objects.filter(pk__in=ids).count() == 5
    assert SchoolClass.objects.filter(grade_id__in=[grade.pk, *ids]).count() == 5
    assert SchoolClass.objects.filter(grade__in=tuple([grade.pk, *ids])).count() == 5
    assert not [v for v in calls if isinstance(v, int) and v >= 10 ** 9]
    # a bool or a text id in the list: Django's preparation, same rows
    calls.clear()
    assert SchoolClass.objects.filter(pk__in=[*ids, str(made[0].pk)]).count() == 5
    assert len(calls) >= len(ids)
