"""A receipt code opens only the person's conversation: every existing request gets a conversation key set,
and the person's grant to the request's own key set (details, staff notes, the case) is deleted.

No key is needed (only public keys are sealed to); one transaction, so a kill half-way changes nothing."""

from django.db import migrations

from ferry.vault.compartments import conversations_split


def split(apps, schema_editor):  # noqa: ARG001 - Django's signature
    conversations_split(
        request_model=apps.get_model("intake", "Request"),
        keyset_model=apps.get_model("vault", "KeySet"),
        grant_model=apps.get_model("vault", "Grant"),
        escrow_model=apps.get_model("vault", "EscrowKey"),
        staff_key_model=apps.get_model("vault", "StaffKey"),
    )


class Migration(migrations.Migration):
    atomic = True
    dependencies = [
        ("intake", "0002_request_conversation"),
        ("vault", "0009_keyset_rekey_needed"),
    ]

    operations = [migrations.RunPython(split, migrations.RunPython.noop)]
