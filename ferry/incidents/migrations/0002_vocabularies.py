"""The seeded vocabularies (incidents.seed); administrators add, rename and deprecate terms later."""

from django.db import migrations

from ferry.incidents.seed import vocabularies_seed


def seed(apps, schema_editor):
    vocabularies_seed(apps.get_model("incidents", "Term"))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
