"""Fewer indexes on the tables 升级 and 毕业 write (issue 10, DECISIONS 180–181).

Every UPDATE of a 学籍 sets ``updated_at``, which is indexed (the incremental sync), so
PostgreSQL cannot update in place (no HOT update): each changed row gets a new entry in
every index of the table. Dropped here, each covered by a composite index with the same
leading column, or used by no query:

- 学籍 ``school_id`` alone: ``student_school_status (school_id, status)`` and
  ``reports_student_school_klass_name (school_id, klass_id, name, id)`` lead with it;
- 学籍 ``status`` and ``national_number`` ``varchar_pattern_ops`` (PostgreSQL only; Django
  adds them for ``LIKE 'x%'``): no query filters either by a prefix (``status`` is compared
  with ``=``/``IN``, the 学籍号 with ``=``, served by the plain index / the unique key;
  the maintenance search ``icontains`` cannot use an index at all);
- 学籍变动记录 and 学籍状态变动 ``student_id`` alone: ``record_event_student_at`` and
  ``status_change_student_date`` lead with it;
- 学籍变动记录 ``school_id`` and ``business_id``, 学籍状态变动 ``school_id``: both histories
  are only ever read by record (the 学籍卡, the record's history page, the problem and
  card checks by student ids); a school is never deleted (and one with records cannot be:
  学籍 protects it), so the foreign keys need no index for their check either.

The database side finds the index by its columns (the names are Django's hashes) and
drops it — no table rebuild on SQLite (an ``AlterField`` there would rebuild 学籍 and
lose the reports app's index). The state side only records ``db_index=False``.
"""

from django.db import migrations, models

#: (model, column) whose single-column, non-unique index goes
SINGLE = [("student", "school_id"), ("recordevent", "student_id"), ("recordevent", "school_id"),
          ("recordevent", "business_id"), ("statuschange", "student_id"), ("statuschange", "school_id")]
#: (model, column) whose PostgreSQL ``varchar_pattern_ops`` index goes
PATTERN = [("student", "status"), ("student", "national_number")]


def _indexes(schema_editor, table):
    with schema_editor.connection.cursor() as cursor:
        return schema_editor.connection.introspection.get_constraints(cursor, table)


def drop(apps, schema_editor):
    connection = schema_editor.connection
    for model_name, column in SINGLE:
        table = apps.get_model("students", model_name)._meta.db_table
        for name, info in _indexes(schema_editor, table).items():
            if (info["index"] and info["columns"] == [column] and not info["unique"] and not info["primary_key"]
                    and not name.endswith("_like")):
                schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")
    if connection.vendor != "postgresql":
        return
    for model_name, column in PATTERN:
        table = apps.get_model("students", model_name)._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s"
                           " AND indexdef LIKE %s", [table, f"%({column} varchar_pattern_ops)"])
            names = [row[0] for row in cursor.fetchall()]
        for name in names:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def restore(apps, schema_editor):
    connection = schema_editor.connection
    for model_name, column in SINGLE:
        model = apps.get_model("students", model_name)
        table = model._meta.db_table
        name = schema_editor._create_index_name(table, [column])
        schema_editor.execute(f"CREATE INDEX {schema_editor.quote_name(name)} ON {schema_editor.quote_name(table)}"
                              f" ({schema_editor.quote_name(column)})")
    if connection.vendor != "postgresql":
        return
    for model_name, column in PATTERN:
        table = apps.get_model("students", model_name)._meta.db_table
        name = schema_editor._create_index_name(table, [column], suffix="_like")
        schema_editor.execute(f"CREATE INDEX {schema_editor.quote_name(name)} ON {schema_editor.quote_name(table)}"
                              f" ({schema_editor.quote_name(column)} varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ("students", "0005_promoted_year"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name="student",
                    name="school",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.PROTECT,
                                            related_name="students", to="org.school", verbose_name="学校"),
                ),
                migrations.AlterField(
                    model_name="recordevent",
                    name="student",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            related_name="events", to="students.student", verbose_name="学籍"),
                ),
                migrations.AlterField(
                    model_name="recordevent",
                    name="school",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.PROTECT, related_name="+",
                                            to="org.school", verbose_name="当时所在学校"),
                ),
                migrations.AlterField(
                    model_name="recordevent",
                    name="business_id",
                    field=models.BigIntegerField(blank=True, null=True, verbose_name="业务"),
                ),
                migrations.AlterField(
                    model_name="statuschange",
                    name="school",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.PROTECT, related_name="+",
                                            to="org.school", verbose_name="变动时所在学校"),
                ),
                migrations.AlterField(
                    model_name="statuschange",
                    name="student",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            related_name="status_changes", to="students.student",
                                            verbose_name="学籍"),
                ),
            ],
        ),
    ]
