"""Cases: a request accepted for help, carried by assigned caseworkers.

This is the start the intake needs (a case, its stage and assignees); the pipeline, tasks, needs,
check-in plans and referrals grow here."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ferry.vault.models import KeySet


class Case(models.Model):
    class Risk(models.TextChoices):
        CRITICAL = "critical", _("Critical")
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=7, unique=True)
    key_set = models.ForeignKey(KeySet, on_delete=models.PROTECT, related_name="+")
    request = models.OneToOneField("intake.Request", on_delete=models.SET_NULL, null=True, related_name="case")
    stage = models.CharField(max_length=40, default="accepted")
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.HIGH)
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)


class Assignment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    assigned_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "staff"], name="assignment_once")]
