"""Session key caches: one sealed bundle per session instead of one row per key set (sessions rebuild theirs)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("vault", "0004_remove_grant_grant_to_staff_or_escrow_and_more"),
    ]

    operations = [
        migrations.DeleteModel(name="SessionKey"),
        migrations.CreateModel(
            name="SessionKeyBundle",
            fields=[
                (
                    "session",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="accounts.staffsession",
                    ),
                ),
                ("wrapped", models.BinaryField()),
                ("updated_at", models.DateTimeField()),
            ],
        ),
    ]
