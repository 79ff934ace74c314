"""Cases: a request accepted for help, carried by assigned caseworkers from verification to resettlement.

In clear: reference, stage, risk level, dates, assignees, check-in plan timings and states, need kinds
and statuses, task due dates and owners, referral partner, status and destination country. Sealed under
the case's key set: identity, contacts, the risk reason, every note, task title, need detail and the
referral packet. Nothing a seized database shows links a person to a case.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ferry.vault.models import SealedField, SealedRecord


class Named(models.Model):
    """A configurable label in English and Russian."""

    key = models.SlugField(max_length=40, unique=True)
    name_en = models.CharField(max_length=80)
    name_ru = models.CharField(max_length=80)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name_ru if (get_language() or "").startswith("ru") else self.name_en


class Stage(Named):
    """A stage of the evacuation pipeline; administrators add, rename and reorder them."""

    is_closed = models.BooleanField(default=False, help_text="The closing stage: entering it needs a reason.")

    class Meta(Named.Meta):
        pass


class ClosingReason(Named):
    class Meta(Named.Meta):
        pass


class Case(SealedRecord):
    class Risk(models.TextChoices):
        CRITICAL = "critical", _("Critical")
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    reference = models.CharField(max_length=7, unique=True)
    request = models.OneToOneField("intake.Request", on_delete=models.SET_NULL, null=True, related_name="case")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="cases")
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.HIGH)
    risk_reason = SealedField()
    # The name and a one-line summary, sealed together: one envelope per row on list pages.
    card = SealedField()
    identity = SealedField()
    contacts = SealedField()
    closing_reason = models.ForeignKey(ClosingReason, on_delete=models.PROTECT, null=True, related_name="+")
    destination_country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    stage_changed_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True)
    shredded_at = models.DateTimeField(null=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["stage", "risk"]),
            models.Index(fields=["closed_at"]),
            # The board's counts per stage read only this (live cases), never the wide rows with sealed fields.
            models.Index(fields=["stage"], condition=models.Q(shredded_at__isnull=True), name="case_live_by_stage"),
        ]

    def __str__(self) -> str:
        return self.reference


class Assignment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    assigned_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "staff"], name="assignment_once")]


class Event(SealedRecord):
    """One entry of a case's timeline. What happened is in clear (kind, time, who); the detail is sealed."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Case opened")
        NOTE = "note", _("Note")
        STAGE = "stage", _("Stage changed")
        RISK = "risk", _("Risk changed")
        ASSIGNED = "assigned", _("Caseworker added")
        UNASSIGNED = "unassigned", _("Caseworker removed")
        CHECKIN = "checkin", _("Check-in")
        TASK = "task", _("Task")
        NEED = "need", _("Need")
        REFERRAL = "referral", _("Referral")
        PLAN = "plan", _("Check-in plan")
        ALERT = "alert", _("Alert acknowledged")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    detail = SealedField()
    # The stage entered, in clear like Case.stage, on opening and stage events: what a shred keeps as history.
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["case", "at"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.stage_id is None and self.kind in (self.Kind.CREATED, self.Kind.STAGE):
            # Services write these events after moving the case, so its stage now is the one entered.
            self.stage_id = Case.objects.filter(pk=self.case_id).values_list("stage_id", flat=True).first()
        super().save(*args, **kwargs)


class Need(SealedRecord):
    class Kind(models.TextChoices):
        SHELTER = "shelter", _("Shelter")
        TRANSPORT = "transport", _("Transport")
        DOCUMENTS = "documents", _("Documents")
        VISA = "visa", _("Visa")
        MEDICAL = "medical", _("Medical")
        PSYCHOLOGICAL = "psychological", _("Psychological support")
        MONEY = "money", _("Money")
        LEGAL = "legal", _("Legal")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("need status", "Open")
        IN_PROGRESS = "in_progress", _("In progress")
        MET = "met", _("Met")
        NOT_NEEDED = "not_needed", _("Not needed")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    detail = SealedField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="need_once_per_kind")]


class Task(SealedRecord):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = SealedField()
    due_on = models.DateField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="tasks")
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True)


class CheckInPlan(models.Model):
    """How often the person must be heard from, and who is told, step by step, when they are not.

    The worker's sweep reads only these clear timings; it never needs a key."""

    class State(models.TextChoices):
        OK = "ok", _("OK")
        DUE = "due", _("Due")
        OVERDUE = "overdue", _("Overdue")
        LOST = "lost", _("Lost contact")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="checkin_plan")
    interval_minutes = models.PositiveIntegerField()
    grace_minutes = models.PositiveIntegerField()
    lost_after_missed = models.PositiveSmallIntegerField(default=3)
    quiet_start = models.TimeField(null=True, help_text="Start of quiet hours, in the plan's time zone.")
    quiet_end = models.TimeField(null=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    active = models.BooleanField(default=True)
    last_checkin_at = models.DateTimeField()
    next_due_at = models.DateTimeField(db_index=True)
    # When the sweep must next look at this plan (due, an escalation step, lost contact); empty once
    # nothing more can happen. The sweep reads only plans whose time has come, through this index.
    next_action_at = models.DateTimeField(null=True, db_index=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OK)
    escalation_step = models.PositiveSmallIntegerField(default=0)
    missed = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField()


class CheckInRecord(SealedRecord):
    """A check-in recorded by staff ("spoke by phone"), with its channel; the person's own are intake.CheckIn."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        MESSENGER = "messenger", _("Messenger")
        IN_PERSON = "in_person", _("In person")
        THIRD_PARTY = "third_party", _("Through a trusted person")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="staff_checkins")
    at = models.DateTimeField()
    channel = models.CharField(max_length=12, choices=Channel.choices)
    duress = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = SealedField()


class Partner(models.Model):
    """A partner organisation or asylum pathway that referrals go to (a managed list; not personal data)."""

    name = models.CharField(max_length=120, unique=True)
    country = models.CharField(max_length=2, blank=True)
    kind = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class Referral(SealedRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    destination_country = models.CharField(max_length=2, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    consent_at = models.DateTimeField(null=True)
    packet = SealedField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class RetentionPolicy(models.Model):
    """How long closed cases keep personal data before the worker crypto-shreds them (one row)."""

    days_after_closing = models.PositiveIntegerField(null=True, help_text="Empty: keep until shredded by hand.")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")


class ShreddedCase(models.Model):
    """What survives a shred: non-identifying statistics only."""

    reference = models.CharField(max_length=7)
    created_on = models.DateField()
    closed_on = models.DateField(null=True)
    shredded_on = models.DateField()
    outcome = models.CharField(max_length=40, blank=True)
    destination_country = models.CharField(max_length=2, blank=True)
    stage_history = models.JSONField(default=list)
