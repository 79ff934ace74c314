"""A record with sealed fields under a key set, for the vault's tests until the case models exist."""

from __future__ import annotations

import uuid

from django.db import models

from ferry.vault.models import KeySet, SealedField


class Note(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key_set = models.ForeignKey(KeySet, on_delete=models.CASCADE, related_name="+")
    title = SealedField()
    body = SealedField()
