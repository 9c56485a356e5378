"""Groups opened before handling existed: settled ones are 已处理完毕; open ones wait for
the record registered latest (its school acts first), counted from the group's creation."""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def forwards(apps, schema_editor):
    Group = apps.get_model("problems", "ProblemGroup")
    Member = apps.get_model("problems", "ProblemMember")
    Student = apps.get_model("students", "Student")
    Group.objects.filter(resolved=True).update(state="resolved")
    Group.objects.filter(resolved=False, turn_since__isnull=True).update(turn_since=F("created_at"))
    Member.objects.filter(rank__isnull=True).update(
        rank=Subquery(Student.objects.filter(pk=OuterRef("student_id")).values("registered_at")[:1]))
    latest: dict[int, tuple] = {}
    for pk, group_id, rank, student_id in Member.objects.filter(group__resolved=False).values_list(
            "pk", "group_id", "rank", "student_id").iterator(chunk_size=5000):
        key = (rank is not None, rank, student_id)
        if group_id not in latest or key > latest[group_id][0]:
            latest[group_id] = (key, pk)
    turn = [pk for _, pk in latest.values()]
    for start in range(0, len(turn), 5000):
        Member.objects.filter(pk__in=turn[start:start + 5000]).update(must_act=True)


class Migration(migrations.Migration):

    dependencies = [
        ("problems", "0003_handling"),
        ("students", "0004_backfill_record_events"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
