"""Check-in plans get the time the sweep must next look at them, indexed (additive only).

Existing plans are filled in from their due time, so the first sweep after the upgrade catches up."""

from django.db import migrations, models
from django.db.models import F


def fill(apps, schema_editor):
    CheckInPlan = apps.get_model("cases", "CheckInPlan")
    CheckInPlan.objects.filter(active=True).exclude(state="lost").update(next_action_at=F("next_due_at"))


class Migration(migrations.Migration):
    # Numbered 0003 when it was planned; the retention migration (0004) landed first, so this one follows it
    # and the history stays a single line, also for databases that already applied 0004.
    dependencies = [("cases", "0004_retention_event_stage")]

    operations = [
        migrations.AddField(
            model_name="checkinplan",
            name="next_action_at",
            field=models.DateTimeField(db_index=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
