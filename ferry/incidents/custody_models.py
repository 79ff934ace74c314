"""Verification runs: every evidence item checked with one documenter's keys, chunk by chunk in their session.

Nothing here is sealed, and nothing needs to be: a run holds who started it and when, how far it got (a cursor
over evidence ids), its counts, and what it found as an item and a code (incidents.custody_check.MESSAGES and
NOTES). No name, no description, no hash of any content."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VerifyRun(models.Model):
    class State(models.TextChoices):
        RUNNING = "running", _("In progress")
        DONE = "done", _("Done")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)  # items there were when it started: the progress bar's end
    # The last item checked, in id order (None before the first chunk). A chunk moves it in the transaction that
    # records what it found, so a chunk interrupted leaves it where it was, and the next request does it again.
    cursor = models.UUIDField(null=True, blank=True)
    checked = models.PositiveIntegerField(default=0)
    ok = models.PositiveIntegerField(default=0)  # items in which nothing was found wrong
    problems = models.PositiveIntegerField(default=0)  # problems found (an item may have several)
    rechecked = models.PositiveIntegerField(default=0)  # items opened with the viewer's keys: details and file
    unopened = models.PositiveIntegerField(default=0)  # items checked without keys only

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["staff", "started_at"], name="verifyrun_staff_started")]


class VerifyFinding(models.Model):
    """One thing a run found about one item: a problem, or why it was checked without keys only."""

    run = models.ForeignKey(VerifyRun, on_delete=models.CASCADE, related_name="findings")
    evidence = models.ForeignKey("incidents.Evidence", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=24)
    entry = models.PositiveIntegerField(null=True, blank=True)  # the custody entry it concerns (0: the record)

    class Meta:
        ordering = ["id"]
