"""学籍状态 indexed over the rare statuses only (issue 10, DECISIONS 195).

The whole-column index of ``status`` goes: every non-HOT update of a record (毕业, 升级,
调档, 分班) wrote an entry into it, and 在校 / 毕业 — most rows — are never looked up by it.
``student_rare_status`` (``status NOT IN ('10', '20')``) serves the queries of a rare
status across schools.

As students 0006: the database side finds the old index by its column (Django's hashed
name) and drops it — no table rebuild on SQLite, which an ``AlterField`` would do and so
lose the reports app's index. The state side records ``db_index=False``.
"""

from django.db import migrations, models


def _status_indexes(schema_editor) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, "students_student")
    return [name for name, info in found.items()
            if info["index"] and info["columns"] == ["status"] and not info["unique"] and not info["primary_key"]
            and name != "student_rare_status"]


def drop(apps, schema_editor):
    for name in _status_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def restore(apps, schema_editor):
    name = schema_editor._create_index_name("students_student", ["status"])
    schema_editor.execute(f"CREATE INDEX {schema_editor.quote_name(name)} ON students_student (status)")


STATUS_CHOICES = [("10", "在校"), ("11", "休学"), ("12", "转出"), ("20", "毕业"), ("21", "结业"), ("22", "肄业"),
                  ("30", "辍学"), ("31", "死亡"), ("32", "失踪"), ("33", "开除"), ("34", "退学"), ("35", "出境"),
                  ("36", "去中职就读"), ("39", "其他离校"), ("99", "已删除")]


class Migration(migrations.Migration):

    dependencies = [
        ("org", "0002_constraint_messages"),
        ("students", "0007_copies_without_db_constraint"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name="student",
                    name="status",
                    field=models.CharField(choices=STATUS_CHOICES, default="10", max_length=2,
                                           verbose_name="学籍状态"),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="student",
            index=models.Index(condition=models.Q(("status__in", ["10", "20"]), _negated=True), fields=["status"],
                               name="student_rare_status"),
        ),
    ]
