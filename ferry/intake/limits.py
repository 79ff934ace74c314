"""Flood limits of the intake: counters for the current hour (submissions, refusals) and ten seconds (look-ups).

Finished windows are folded into per-day totals by the worker, so a seized database shows days, not hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ferry.intake.models import FormNonce, IntakeDay, IntakeWindow, LookupThrottle, MailboxSession

LOOKUP_WINDOW_SECONDS = 10


def window_start(kind: str, now: datetime) -> datetime:
    if kind == "lookup":
        # Ten-second windows spread the look-up budget evenly: no burst of derivations each minute.
        return now.replace(second=now.second - now.second % LOOKUP_WINDOW_SECONDS, microsecond=0)
    return now.replace(minute=0, second=0, microsecond=0)


def lookup_admitted(now: datetime) -> bool:
    """Whether one more receipt-code check fits this window's share of FERRY_INTAKE_LOOKUPS_PER_MINUTE.

    Over the budget the answer comes from a read alone, so a flood of guesses never queues for the
    database's write lock that new requests for help need."""
    share = max(1, -(-settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE * LOOKUP_WINDOW_SECONDS // 60))
    if window_count("lookup", now) >= share:
        return False
    return window_bump("lookup", now) <= share


def window_bump(kind: str, now: datetime) -> int:
    """Add one to the current window's counter and return the new count (one statement, no lost updates)."""
    start = window_start(kind, now)
    updated = IntakeWindow.objects.filter(kind=kind, start=start).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                IntakeWindow.objects.create(kind=kind, start=start, count=1)
                return 1
        except IntegrityError:
            IntakeWindow.objects.filter(kind=kind, start=start).update(count=F("count") + 1)
    return IntakeWindow.objects.filter(kind=kind, start=start).values_list("count", flat=True).first() or 0


def window_count(kind: str, now: datetime | None = None) -> int:
    start = window_start(kind, now or timezone.now())
    return IntakeWindow.objects.filter(kind=kind, start=start).values_list("count", flat=True).first() or 0


def windows_fold(now: datetime | None = None) -> None:
    """Fold finished windows into per-day totals and drop stale rows (worker job, every minute)."""
    now = now or timezone.now()
    with transaction.atomic():
        for row in IntakeWindow.objects.select_for_update().filter(start__lt=window_start("submit", now)):
            if row.kind != "lookup":
                day_row, _created = IntakeDay.objects.get_or_create(kind=row.kind, day=row.start.date())
                IntakeDay.objects.filter(pk=day_row.pk).update(count=F("count") + row.count)
            row.delete()
        IntakeWindow.objects.filter(kind="lookup", start__lt=window_start("lookup", now)).delete()
    today = now.date()
    FormNonce.objects.filter(day__lt=today - timedelta(days=2)).delete()
    MailboxSession.objects.filter(expires_at__lt=now).delete()
    LookupThrottle.objects.filter(day__lt=today - timedelta(days=1)).exclude(blocked_until__gt=now).delete()
    IntakeDay.objects.filter(day__lt=today - timedelta(days=90)).delete()


@dataclass(frozen=True)
class IntakeLoad:
    """Requests received (all of them kept), how many of those came past the hourly cap, and refusals."""

    submitted_this_hour: int
    overflow_this_hour: int
    refused_this_hour: int
    cap: int
    submitted_today: int
    overflow_today: int
    refused_today: int


def intake_load() -> IntakeLoad:
    now = timezone.now()
    day_totals = dict(IntakeDay.objects.filter(day=now.date()).values_list("kind", "count"))
    hour = {kind: window_count(kind, now) for kind in ("submit", "overflow", "refused")}
    return IntakeLoad(
        submitted_this_hour=hour["submit"],
        overflow_this_hour=hour["overflow"],
        refused_this_hour=hour["refused"],
        cap=settings.FERRY_INTAKE_HOURLY_CAP,
        submitted_today=day_totals.get("submit", 0) + hour["submit"],
        overflow_today=day_totals.get("overflow", 0) + hour["overflow"],
        refused_today=day_totals.get("refused", 0) + hour["refused"],
    )
