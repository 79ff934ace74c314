"""Advocacy: releases (the one door out), the noise budget, the government response tracker, and which
evidence supports or contradicts a perpetrator's part in an act (what a dossier cites).

The line between clear and sealed (docs/threat-model.md, "Advocacy"): a release's question, disclosure
settings, suppressed cells, hash, preparer, approver and dates are in clear (they say what was published,
and a published output is not secret); its title and its output are sealed under its own key set, granted
to the analysts and the escrow key, because a dossier carries evidence hashes that are sealed in the
documentation. The tracker (governments, what the organisation asked, what they answered) is the
organisation's own public work and stays in clear; it names incidents by reference only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ferry.vault.models import SealedField, SealedRecord


class Release(SealedRecord):
    """One output prepared for outsiders, published only once a second person approved it."""

    class Kind(models.TextChoices):
        TABLE = "table", _("Table")
        CHART = "chart", _("Chart")
        MAP = "map", _("Map")
        REPORT = "report", _("Report")
        DOSSIER = "dossier", _("Perpetrator dossier")
        EXPORT = "export", _("Export")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    reference = models.CharField(max_length=7, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # csv, xlsx, png, svg, pdf, json: what the output is.
    format = models.CharField(max_length=8)
    language = models.CharField(max_length=5, default="en")
    # What was asked: dimensions, filters, measure (clear vocabulary codes only), as the builder took it.
    question = models.JSONField(default=dict)
    # The disclosure settings: threshold, rounding, noise (epsilon), date and place precision.
    disclosure = models.JSONField(default=dict)
    # Which cells were suppressed (primary, secondary) or rounded, by their labels.
    suppressed = models.JSONField(default=dict)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    file_id = models.UUIDField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # {"title", "filename"}: one envelope.
    card = SealedField()

    class Meta:
        ordering = ["-prepared_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("prepared_by")), name="release_approved_by_another"
            )
        ]

    def __str__(self) -> str:
        return self.reference


class NoiseBudget(models.Model):
    """The organisation's privacy-loss budget for noisy statistics (epsilon, in thousandths so sums are
    exact), kept in the database so a restart does not refill it. One row."""

    total_milli = models.PositiveIntegerField(default=10_000)
    spent_milli = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    @property
    def spent(self) -> float:
        return self.spent_milli / 1000

    @property
    def total(self) -> float:
        return self.total_milli / 1000


class NoisyAnswer(models.Model):
    """A noisy table kept by its question's fingerprint: asked again, the same answer, at no new cost (noise
    drawn anew each time could be averaged away)."""

    fingerprint = models.CharField(max_length=64, unique=True)
    epsilon_milli = models.PositiveIntegerField()
    answer = models.JSONField()
    created_at = models.DateTimeField()


class Government(models.Model):
    """A government or an international body the organisation presses."""

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        UN = "un", _("United Nations body")
        EU = "eu", _("European Union body")
        OSCE = "osce", _("OSCE")
        OTHER = "other", _("Other body")

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.STATE)
    name_en = models.CharField(max_length=160)
    name_ru = models.CharField(max_length=160)
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name_en"]
        constraints = [models.UniqueConstraint(fields=["name_en"], name="government_name_once")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ru if (get_language() or "").startswith("ru") else self.name_en


class Ask(models.Model):
    """What the organisation asked of a government, when, and what it rested on."""

    class Kind(models.TextChoices):
        STATEMENT = "statement", _("Make a public statement")
        RAISE = "raise", _("Raise it with the authorities responsible")
        INVESTIGATE = "investigate", _("Call for an investigation")
        ASYLUM = "asylum", _("Open an asylum or visa route")
        SANCTIONS = "sanctions", _("Impose sanctions")
        AID = "aid", _("Fund aid")
        OTHER = "other", _("Other")

    government = models.ForeignKey(Government, on_delete=models.PROTECT, related_name="asks")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    asked_on = models.DateField()
    summary = models.TextField(max_length=4000)
    incidents = models.ManyToManyField("incidents.Incident", blank=True, related_name="+")
    releases = models.ManyToManyField(Release, blank=True, related_name="asks")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-asked_on", "-pk"]


class Response(models.Model):
    """What a government said or did, with its date, source and quote; an answer to an ask, or unprompted."""

    class Kind(models.TextChoices):
        STATEMENT = "statement", _("Statement")
        CONDEMNATION = "condemnation", _("Condemnation")
        RAISED = "raised", _("Raised diplomatically")
        INVESTIGATION = "investigation", _("Investigation")
        PROGRAMME = "programme", _("Asylum or visa programme")
        VISAS = "visas", _("Visas issued")
        SANCTIONS = "sanctions", _("Sanctions")
        AID = "aid", _("Aid")
        NO_ANSWER = "no_answer", _("No answer")
        DENIAL = "denial", _("Denial")

    government = models.ForeignKey(Government, on_delete=models.PROTECT, related_name="responses")
    ask = models.ForeignKey(Ask, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    on = models.DateField()
    source = models.CharField(max_length=500, blank=True)
    quote = models.TextField(max_length=4000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-on", "-pk"]


class ClaimEvidence(models.Model):
    """One evidence item read against one perpetrator's part in an act: it supports the claim, or it
    contradicts it (a sanctions submission must disclose what contradicts it). Clear: both ends are."""

    class Stance(models.TextChoices):
        SUPPORTS = "supports", _("Supports")
        CONTRADICTS = "contradicts", _("Contradicts")

    involvement = models.ForeignKey("incidents.Involvement", on_delete=models.CASCADE, related_name="+")
    evidence = models.ForeignKey("incidents.Evidence", on_delete=models.PROTECT, related_name="+")
    stance = models.CharField(max_length=12, choices=Stance.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["involvement", "evidence"], name="claim_evidence_once")]
