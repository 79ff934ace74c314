import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import TruncMonth


def counts_build(apps, schema_editor):
    """The counts of the acts already recorded, grouped in the database (as act_counts.rebuild does today)."""
    Act = apps.get_model("incidents", "Act")
    ActCount = apps.get_model("incidents", "ActCount")
    grouped = (
        Act.objects.annotate(month=TruncMonth("start_date"))
        .values("month", "incident__country", "incident__subdivision", "incident__verification", "act_type_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    batch = []
    for row in grouped.iterator(chunk_size=2000):
        month = row["month"]
        batch.append(
            ActCount(
                month=month.date() if hasattr(month, "date") else month,
                country=row["incident__country"],
                subdivision=row["incident__subdivision"],
                verification=row["incident__verification"],
                act_type_id=row["act_type_id"],
                acts=row["n"],
            )
        )
        if len(batch) >= 2000:
            ActCount.objects.bulk_create(batch)
            batch = []
    ActCount.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0006_incident_terms"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField()),
                ("country", models.CharField(max_length=2)),
                ("subdivision", models.CharField(max_length=6)),
                ("verification", models.CharField(max_length=12)),
                ("acts", models.PositiveIntegerField()),
                (
                    "act_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="incidents.term"
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["country", "subdivision", "month"], name="act_count_place"),
                    models.Index(fields=["month", "subdivision", "act_type", "acts"], name="act_count_cells"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("month", "country", "subdivision", "verification", "act_type"), name="act_count_once"
                    )
                ],
            },
        ),
        migrations.RunPython(counts_build, migrations.RunPython.noop),
    ]
