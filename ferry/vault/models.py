"""Wrapped staff keys, key sets and their grants, per-file keys, and the organisation's escrow key.

Nothing here is a usable key: private keys and key-set keys exist only sealed or wrapped.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def random_id() -> int:
    """A primary key that says nothing of when its row was made: ids counted up put rows in the order they came."""
    return secrets.randbits(62) + 1


class OrderFree:
    """Rows a person causes: a seized copy must not tell in which order, or at what time of day, they came.

    Their primary key is random (a UUID, or random_id), and on SQLite a table whose key is not its row id is
    rebuilt WITHOUT ROWID (vault.orderfree), so no hidden counter numbers its rows. Times are days."""


class SealedField(models.BinaryField):
    """Ciphertext sealed with a key set's key (keysets.seal_field); the seizure test finds every one of these.

    A model with sealed fields has a `key_set` foreign key and a UUID primary key set before the first save."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class SealedRecord(models.Model):
    """A record with sealed fields: a UUID id set before the first save (every envelope's associated data
    binds it, so a ciphertext cannot move to another record) and the key set whose key seals it.

    Every model with a SealedField is one (a system check, vault.checks, fails otherwise); the generic door
    (core.doors) opens any of them through the viewer's grant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key_set = models.ForeignKey("vault.KeySet", on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class StaffKey(models.Model):
    staff = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vault_key")
    public_key = models.BinaryField()
    passphrase_wrap = models.BinaryField()
    passphrase_kdf = models.JSONField()
    recovery_wrap = models.BinaryField(null=True)
    recovery_kdf = models.JSONField(null=True)
    duress_check = models.BinaryField(null=True)
    duress_kdf = models.JSONField(null=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Nothing is sealed to a key until administrators confirmed in person that it is this person's (they
    # compare its fingerprint, read aloud): an intercepted invitation makes an account that receives nothing.
    confirmed_at = models.DateTimeField(null=True)
    # Set by a duress login: nothing new is sealed to this key (a coerced coordinator receives no new request)
    # until administrators confirm the person again, in person.
    paused_at = models.DateTimeField(null=True)


class EscrowKey(models.Model):
    """The organisation's escrow key pair. Its private key is held in custody by the first administrator
    until a ceremony splits it into k-of-n shares; after that the server keeps no part of it."""

    public_key = models.BinaryField()
    created_at = models.DateTimeField()
    custodian = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    custody_wrap = models.BinaryField(null=True, help_text="Private key sealed to the custodian until the split.")
    split_at = models.DateTimeField(null=True)
    threshold = models.PositiveSmallIntegerField(null=True)
    share_count = models.PositiveSmallIntegerField(null=True)


class KeySet(OrderFree, models.Model):
    class Purpose(models.TextChoices):
        CASE = "case", _("case")
        CONVERSATION = "conversation", _("conversation")
        DOCUMENTATION = "documentation", _("documentation")
        ADVOCACY = "advocacy", _("advocacy")
        BLIND_INDEX = "blind_index", _("contact index")

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    generation = models.PositiveIntegerField(default=1)
    # Its key was once sealed to someone who no longer holds it (a requester, before the compartments were
    # split): the first holder who opens it re-keys it, so an old copy with that grant opens nothing new.
    rekey_needed = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    shredded_at = models.DateTimeField(null=True)


class Grant(OrderFree, models.Model):
    """The key set's key sealed to one staff member's public key, to the escrow public key, or to a
    requester's public key (derived from their receipt code; see vault/requester.py)."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    # No index of its own: both unique constraints below begin with it and serve every look-up by key set.
    key_set = models.ForeignKey(KeySet, on_delete=models.CASCADE, related_name="grants", db_index=False)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        related_name="grants",
    )
    escrow = models.ForeignKey(EscrowKey, on_delete=models.PROTECT, null=True, related_name="grants")
    requester_key = models.BinaryField(null=True)
    generation = models.PositiveIntegerField()
    sealed_key = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_set", "staff"], name="grant_once_per_staff"),
            models.UniqueConstraint(fields=["key_set", "escrow"], name="grant_once_per_escrow"),
            models.CheckConstraint(
                condition=models.Q(staff__isnull=False, escrow__isnull=True, requester_key__isnull=True)
                | models.Q(staff__isnull=True, escrow__isnull=False, requester_key__isnull=True)
                | models.Q(staff__isnull=True, escrow__isnull=True, requester_key__isnull=False),
                name="grant_to_one_recipient",
            ),
        ]


class FileKey(OrderFree, models.Model):
    """A file's own random key, wrapped by its key set's key, so re-keying never touches file contents."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key_set = models.ForeignKey(KeySet, on_delete=models.CASCADE, related_name="file_keys")
    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField()


class SessionKeyBundle(models.Model):
    """The key-set keys one session has opened, sealed together under the session's client-held key.

    Opening a grant costs an X25519 operation; this costs one symmetric operation for a whole page of
    records. It is useless without the browser's cookie (like the session's wrapped private key). Each key
    inside is bound to its key set's generation, so a re-key makes it worthless; a revoke, a shred or a
    duress login deletes the bundles of every session that could hold the key."""

    session = models.OneToOneField(
        "accounts.StaffSession", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    wrapped = models.BinaryField()
    updated_at = models.DateTimeField()


class PendingFile(OrderFree, models.Model):
    """A sealed file sent by a person, kept in the database until its day has ended (vault/files.py): written
    to storage then, in a batch with that day's other files, its times on disk say no more than its day."""

    file_key = models.OneToOneField(FileKey, on_delete=models.CASCADE, primary_key=True, related_name="+")
    blob = models.BinaryField()


class ShreddedFile(models.Model):
    """A stored ciphertext whose key was destroyed: the sweep removes it a margin later, so a backup that copied
    the database just before the shred still finds every file that its copy names."""

    file_id = models.UUIDField(primary_key=True)
    shredded_at = models.DateTimeField()
