"""办理期限 for the businesses open before deadlines existed: the current step counts from
its last decision (or the start) with the default 5 working days (or the step's own)."""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

CHUNK = 2000


def backfill(apps, schema_editor):
    from xueji.workflow import rules

    Business = apps.get_model("workflow", "Business")
    Decision = apps.get_model("workflow", "Decision")
    open_ids = list(Business.objects.filter(status="open", step_due__isnull=True).order_by("pk")
                    .values_list("pk", flat=True))
    for start in range(0, len(open_ids), CHUNK):
        ids = open_ids[start:start + CHUNK]
        last = dict(Decision.objects.filter(business_id__in=ids).values("business_id")
                    .annotate(at=Max("decided_at")).values_list("business_id", "at"))
        rows = []
        for business in Business.objects.filter(pk__in=ids).only("pk", "created_at", "chain", "position"):
            since = last.get(business.pk) or business.created_at
            chain = business.chain or []
            step = chain[business.position] if 0 <= business.position < len(chain) else {}
            days = step.get("days") if isinstance(step, dict) else None
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                days = rules.DEFAULT_DEADLINE_DAYS
            business.step_since = since
            business.step_due = rules.add_working_days(timezone.localtime(since), days)
            rows.append(business)
        Business.objects.bulk_update(rows, ["step_since", "step_due"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0004_deadlines")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
