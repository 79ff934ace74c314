"""Flood limits of the intake: counters for the current hour (submissions, overflow, refusals) and ten seconds
(look-ups). The look-up budget has two shares: a general one anyone's code may take, and a reserve only mailboxes
opened before may take, each within an hourly allowance of its own, so a flood of guessed codes cannot lock
people out of their mailboxes. An hour in which look-ups were refused is marked ("busy"): the check-in sweep
reads it (lookups_refused_since) and does not call a person lost while the intake was refusing them.

Finished windows are folded into per-day totals by the worker, so a seized database shows days, not hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ferry.intake.models import FormNonce, IntakeDay, IntakeWindow, LookupThrottle, MailboxSession

LOOKUP_WINDOW_SECONDS = 10


LOOKUP_LANES = ("lookup", "reserve")


def window_start(kind: str, now: datetime) -> datetime:
    if kind in LOOKUP_LANES:
        # Ten-second windows spread the look-up budget evenly: no burst of derivations each minute.
        return now.replace(second=now.second - now.second % LOOKUP_WINDOW_SECONDS, microsecond=0)
    return now.replace(minute=0, second=0, microsecond=0)


RESERVE_PERCENT = 50  # of each window's look-ups, kept for mailboxes opened before
RESERVE_PER_LOCATOR_HOUR = 6  # tries one locator may take from the reserve in an hour


def lookup_shares() -> tuple[int, int]:
    """(general, reserve): each ten-second window's share of FERRY_INTAKE_LOOKUPS_PER_MINUTE, split in two."""
    total = max(2, -(-settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE * LOOKUP_WINDOW_SECONDS // 60))
    reserve = max(1, total * RESERVE_PERCENT // 100)
    return total - reserve, reserve


def lookup_admitted(now: datetime, *, lane: str = "lookup") -> bool:
    """Whether one more receipt-code check fits this window's share: lane "lookup" (general) or "reserve".

    Over the budget the answer comes from a read alone, so a flood of guesses never queues for the
    database's write lock that new requests for help need."""
    if not lookup_room(now, lane=lane):
        return False
    return window_bump(lane, now) <= _share(lane)


def _share(lane: str) -> int:
    general, reserve = lookup_shares()
    return reserve if lane == "reserve" else general


def lookup_room(now: datetime, *, lane: str) -> bool:
    """Whether this window's share of the lane has room (a read only)."""
    return window_count(lane, now) < _share(lane)


def reserve_allowance_take(locator: str, now: datetime) -> bool:
    """Take one try from this locator's hourly reserve allowance; False when it is spent."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    row, _created = LookupThrottle.objects.get_or_create(locator=locator, defaults={"day": now.date()})
    if row.reserve_hour != hour:
        LookupThrottle.objects.filter(pk=row.pk).update(reserve_hour=hour, reserve_used=0)
    taken = LookupThrottle.objects.filter(
        pk=row.pk, reserve_hour=hour, reserve_used__lt=RESERVE_PER_LOCATOR_HOUR
    ).update(reserve_used=F("reserve_used") + 1, day=now.date())
    return bool(taken)


def lookups_refused_mark(now: datetime) -> None:
    """Mark this hour as one in which look-ups were refused: one write per hour, reads otherwise."""
    if not window_count("busy", now):
        window_bump("busy", now)


def lookups_refused_since(since: datetime) -> bool:
    """Whether the intake refused receipt-code look-ups (a flood) at any time since `since`.

    Finished hours are folded into days, so before the current day this answers by the day: it may say yes for
    a few hours more than happened, never no when look-ups were refused."""
    if IntakeWindow.objects.filter(kind="busy", start__gte=window_start("busy", since)).exists():
        return True
    return IntakeDay.objects.filter(kind="busy", day__gte=since.astimezone(UTC).date(), count__gt=0).exists()


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
            if row.kind not in LOOKUP_LANES:
                day_row, _created = IntakeDay.objects.get_or_create(kind=row.kind, day=row.start.date())
                IntakeDay.objects.filter(pk=day_row.pk).update(count=F("count") + row.count)
            row.delete()
        IntakeWindow.objects.filter(kind__in=LOOKUP_LANES, start__lt=window_start("lookup", now)).delete()
    today = now.date()
    FormNonce.objects.filter(day__lt=today - timedelta(days=2)).delete()
    MailboxSession.objects.filter(expires_at__lt=now).delete()
    LookupThrottle.objects.filter(day__lt=today - timedelta(days=1)).delete()
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
