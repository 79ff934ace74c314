"""Background jobs of the intake: fold hourly counters into daily ones, forget closed mailboxes and old throttles."""

from __future__ import annotations

from django_tasks import task

from ferry.intake.limits import windows_fold


@task()
def intake_housekeeping() -> None:
    windows_fold()
