"""The query index again, after the students app made ``klass`` nullable (students 0003):
on SQLite that ``AlterField`` rebuilds the table and drops every index Django does not
know of — this one among them, when 0001 ran first. ``IF NOT EXISTS``: nothing happens
where it survived (PostgreSQL, or 0001 ran after)."""

from django.db import migrations

INDEX = "reports_student_school_klass_name"


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_student_query_index"),
        ("students", "0004_backfill_record_events"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {INDEX} ON students_student (school_id, klass_id, name, id)",
            reverse_sql=migrations.RunSQL.noop,
            state_operations=[],
        ),
    ]
