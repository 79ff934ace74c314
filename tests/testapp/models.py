"""A record with sealed fields under a key set, for the vault's tests."""

from __future__ import annotations

from django.db import models

from ferry.vault.models import KeySet, SealedField, SealedRecord


class Note(SealedRecord):
    # Deleting a test key set takes its notes with it (real records are PROTECTed).
    key_set = models.ForeignKey(KeySet, on_delete=models.CASCADE, related_name="+")
    title = SealedField()
    body = SealedField()
