"""Background jobs of cases: the check-in sweep and retention shredding. Neither ever holds a key."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from ferry.cases.checkins.sweep import sweep_plans
from ferry.cases.retention import shred_due


@task()
def checkin_sweep() -> None:
    """The worker's minute sweep over active check-in plans (cases.checkins.sweep)."""
    sweep_plans(timezone.now())


@task()
def retention_shred() -> None:
    shred_due()
