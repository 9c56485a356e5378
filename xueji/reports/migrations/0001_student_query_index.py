"""The index behind 在校生查询's default order (school, class, name): the first page of a
province of a million students reads 21 index entries instead of sorting the province.

On the students' table, which the students app owns: created here (state_operations
empty, so ``Student.Meta`` is untouched and the students app's migrations stay its own).
Plain SQL both SQLite and PostgreSQL accept."""

from django.db import migrations

INDEX = "reports_student_school_klass_name"


class Migration(migrations.Migration):

    dependencies = [
        ("students", "0002_status_change"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {INDEX} ON students_student (school_id, klass_id, name, id)",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
            state_operations=[],
        ),
    ]
