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

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
