"""Background jobs of cases: the check-in sweep and retention shredding. Neither ever holds a key."""

from __future__ import annotations

from django_tasks import task


@task()
def checkin_sweep() -> None:
    from ferry.cases.checkins.services import sweep

    sweep()


@task()
def retention_shred() -> None:
    from ferry.cases.retention import shred_due

    shred_due()
