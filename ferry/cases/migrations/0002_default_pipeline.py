"""The default pipeline and closing reasons (DESIGN.md, "Data sketch"); administrators change them later."""

from django.db import migrations

from ferry.cases.pipeline import DEFAULT_REASONS as REASONS
from ferry.cases.pipeline import DEFAULT_STAGES as STAGES


def seed(apps, schema_editor):
    Stage = apps.get_model("cases", "Stage")
    ClosingReason = apps.get_model("cases", "ClosingReason")
    for position, (key, en, ru, closed) in enumerate(STAGES):
        Stage.objects.get_or_create(key=key, defaults={"name_en": en, "name_ru": ru, "position": position, "is_closed": closed})
    for position, (key, en, ru) in enumerate(REASONS):
        ClosingReason.objects.get_or_create(key=key, defaults={"name_en": en, "name_ru": ru, "position": position})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
