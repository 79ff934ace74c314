"""API tokens and published releases.

In clear: who owns a token, its label, scope, dates, and the hash of the token (never the token). The token's
secret half is the only key to `wrapped_key` (the owner's private key, wrapped as a browser session wraps it),
so a copy of the database opens nothing with it. A published release is an approved output copied out of its
sealed file for the public API: it was approved for the public, and serving it needs no staff key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    # SHA-256 of the whole token: finds the row; the token itself is never stored.
    lookup = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=60)
    scope = models.CharField(max_length=5, choices=Scope.choices)
    # The owner's private key sealed under the token's secret; its associated data names wrap_id (random).
    wrap_id = models.CharField(max_length=64, unique=True)
    wrapped_key = models.BinaryField()
    # Made in a duress session: it wraps a throwaway key and is never accepted (see tokens.token_create).
    duress = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The day only: enough to spot an unused token, too coarse to trace a script's habits.
    last_used_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"api_token:{self.pk}"


class PublishedRelease(models.Model):
    """An approved release's output, served to anyone by the public API while its release stays approved."""

    release = models.OneToOneField("advocacy.Release", on_delete=models.CASCADE, related_name="+")
    reference = models.CharField(max_length=7, unique=True)
    kind = models.CharField(max_length=10)
    format = models.CharField(max_length=8)
    language = models.CharField(max_length=5)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content = models.BinaryField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at", "reference"]

    def __str__(self) -> str:
        return self.reference
