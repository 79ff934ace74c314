"""An import of a spreadsheet into the documentation, driven chunk by chunk by its importer's own session.

Nothing here is sealed in a column: the sheet's rows, its headings and the dry run's report wait in vault
files (ferry.vault.files) under a key set held by the importer alone (and the escrow key), in segments of
SEGMENT_ROWS rows, so each chunk reads one small file. What is in clear says how far the import is and
how big it is, never what it holds: counts, the column numbers chosen for each field, the state."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class State(models.TextChoices):
        MAPPING = "mapping", _("Choose the columns")
        CHECKING = "checking", _("Dry run in progress")
        CHECKED = "checked", _("Dry run done")
        IMPORTING = "importing", _("Import in progress")
        STOPPED = "stopped", _("Import stopped")
        IMPORTED = "imported", _("Imported, waiting for confirmation")
        UNDOING = "undoing", _("Undo in progress")
        UNDONE = "undone", _("Undone")
        CONFIRMED = "confirmed", _("Confirmed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The importer's own compartment: the sheet's segments and the report are vault files under it.
    key_set = models.ForeignKey("vault.KeySet", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=4)  # csv or xlsx
    state = models.CharField(max_length=10, choices=State.choices, default=State.MAPPING)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)
    columns = models.PositiveIntegerField(default=0)
    # The file ids of the sealed segments, in order; then the sealed headings and the sealed report.
    segments = models.JSONField(default=list)
    head_file = models.UUIDField()
    report_files = models.JSONField(default=list)
    # Which column (0-based) holds which field: {"title": 0, "start": 2, ...}.
    mapping = models.JSONField(default=dict)
    # The next segment the running phase (dry run, import, undo) works on: a chunk moves it in the same
    # transaction as its rows, so an interrupted chunk leaves it where it was and the next one resumes.
    cursor = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class ImportedIncident(models.Model):
    """An incident an import made: what undoing the import removes."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="made")
    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    segment = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["job", "segment"])]
