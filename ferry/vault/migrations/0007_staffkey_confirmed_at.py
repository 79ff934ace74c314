"""Staff keys carry when administrators confirmed them; keys that existed before count as confirmed."""

from django.db import migrations, models
from django.db.models import F


def confirm_existing(apps, schema_editor):  # noqa: ARG001 - Django's signature
    apps.get_model("vault", "StaffKey").objects.update(confirmed_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [("vault", "0006_alter_keyset_purpose")]

    operations = [
        migrations.AddField(model_name="staffkey", name="confirmed_at", field=models.DateTimeField(null=True)),
        migrations.RunPython(confirm_existing, migrations.RunPython.noop),
    ]
