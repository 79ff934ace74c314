"""An audit entry: who did what to which object, when, chained to the entry before it by hash."""

from __future__ import annotations

from django.db import models

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True, help_text="1, 2, 3... with no gaps; part of the hash.")
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, help_text="Staff id, or empty for the system or an anonymous person.")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        # One object's history (an evidence item's custody entries, audit.services.audit_trail) without
        # reading the whole log.
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditHead(models.Model):
    """The chain's head (seq, entry hash) signed with the key kept outside the database (vault.anchor):
    every day by the worker, and on demand by an administrator or auditor, who can export it."""

    seq = models.BigIntegerField()
    entry_hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    signature = models.CharField(max_length=128)
    public_key = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
