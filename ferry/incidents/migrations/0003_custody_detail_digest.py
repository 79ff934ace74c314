# A custody entry's hash covers a salted digest of its sealed detail rather than the ciphertext, so re-keying
# (which re-encrypts the detail) leaves the chain intact. No custody entries exist yet when this runs.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_vocabularies"),
    ]

    operations = [
        migrations.AddField(
            model_name="custodyevent",
            name="detail_digest",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
    ]
