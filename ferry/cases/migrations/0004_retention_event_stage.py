"""Events carry the stage entered, in clear, so a shredded case keeps its stage history (additive only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_default_pipeline")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="stage",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="cases.stage"
            ),
        ),
    ]
