"""The history of records that existed before ``RecordEvent``: a 注册 event per record (at
its registration time, at its school) and a 状态变更 event per ``StatusChange`` — one
INSERT … SELECT each, so it runs in seconds on millions of records."""

from django.db import migrations

_JSON = {
    "sqlite": ("json_object", ""),
    "postgresql": ("json_build_object", "::jsonb"),
}


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    build, cast = _JSON.get(connection.vendor, _JSON["sqlite"])
    Student = apps.get_model("students", "Student")
    StatusChange = apps.get_model("students", "StatusChange")
    RecordEvent = apps.get_model("students", "RecordEvent")
    events, students, changes = (m._meta.db_table for m in (RecordEvent, Student, StatusChange))
    columns = "student_id, at, kind, business_id, school_id, actor_name, reason, before, after"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {events} ({columns}) "
            f"SELECT s.id, s.registered_at, 'register', NULL, s.school_id, '', '', '{{}}'{cast}, "
            f"{build}('national_number', s.national_number, 'status', s.status, 'klass', s.klass_id){cast} "
            f"FROM {students} s WHERE NOT EXISTS (SELECT 1 FROM {events} e WHERE e.student_id = s.id)")
        cursor.execute(
            f"INSERT INTO {events} ({columns}) "
            f"SELECT c.student_id, c.created_at, 'status', NULL, c.school_id, c.actor_name, c.reason, "
            f"{build}('status', c.old_status){cast}, {build}('status', c.new_status, 'date', c.date){cast} "
            f"FROM {changes} c WHERE NOT EXISTS (SELECT 1 FROM {events} e WHERE e.student_id = c.student_id "
            f"AND e.kind = 'status')")


class Migration(migrations.Migration):
    dependencies = [("students", "0003_record_events_parts")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
