"""The board's counts per stage read a partial index of live cases instead of scanning the wide case rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_checkin_next_action_at")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(shredded_at__isnull=True), fields=["stage"], name="case_live_by_stage"
            ),
        ),
    ]
