"""Background jobs of accounts: ended sessions and stale throttle rows are deleted within a minute; alert
e-mails go out (what a person sent on the intake, on a fixed, jittered schedule)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import task

from ferry.accounts.alerts import DAY_ONLY
from ferry.accounts.models import LoginThrottle, SetupToken, Staff, StaffAlert, StaffSession
from ferry.accounts.throttle import WINDOW
from ferry.core.models import ScheduledRun


@task()
def sessions_purge() -> None:
    """A session past its idle or absolute limit keeps a wrapped key; delete it rather than wait for its browser."""
    now = timezone.now()
    StaffSession.objects.filter(
        Q(last_seen_at__lt=now - timedelta(minutes=settings.FERRY_SESSION_IDLE_MINUTES))
        | Q(created_at__lt=now - timedelta(hours=settings.FERRY_SESSION_MAX_HOURS))
    ).delete()
    Session.objects.filter(expire_date__lt=now).delete()
    # Throttle rows are keyed hashes of client addresses: keep them only while they can still matter.
    LoginThrottle.objects.filter(window_start__lt=now - WINDOW).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    ).delete()
    SetupToken.objects.filter(used_at__isnull=True, created_at__lt=now - timedelta(days=7)).delete()


_SCHEDULE_JOB = "ferry.accounts.activity_mail"


def period_hours() -> int:
    return int(settings.FERRY_ACTIVITY_MAIL_HOURS)


def activity_mail_slot_start(when: datetime) -> datetime:
    """The start of the period `when` falls in (periods of FERRY_ACTIVITY_MAIL_HOURS, counted from the epoch)."""
    period = period_hours() * 3600
    return datetime.fromtimestamp(int(when.timestamp()) // period * period, tz=UTC)


def activity_mail_moment(when: datetime) -> datetime:
    """The one moment in the period of `when` at which news of a person's request or message is mailed: at an
    offset drawn for each period by a keyed hash (not the period's start, not the same every time)."""
    start = activity_mail_slot_start(when)
    period = period_hours() * 3600
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{_SCHEDULE_JOB}:{start.timestamp()}".encode(), hashlib.sha256)
    return start + timedelta(seconds=int.from_bytes(digest.digest()[:8], "big") % period)


def _activity_moment_passed(now: datetime) -> bool:
    """True once per period, at the first sweep on or after its moment (a marker row makes it exactly once)."""
    if now < activity_mail_moment(now):
        return False
    slot = int(activity_mail_slot_start(now).timestamp())
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(job=_SCHEDULE_JOB, slot=slot, enqueued_at=activity_mail_slot_start(now))
    except IntegrityError:
        return False
    return True


@task()
def alerts_email() -> None:
    """Every minute: one content-free "new activity" e-mail to each active recipient of alerts not yet mailed.

    Alerts about what a person sent (a new request, a new message) wait for their period's moment, so that an
    e-mail seen leaving does not time a submission; the others (duress, lockouts, check-ins) go at once."""
    now = timezone.now()
    pending = StaffAlert.objects.filter(emailed=False)
    if not _activity_moment_passed(now):
        pending = pending.exclude(kind__in=DAY_ONLY)
    ids = list(pending.values_list("pk", flat=True))
    recipients = set(StaffAlert.objects.filter(pk__in=ids).values_list("recipient_id", flat=True))
    if not recipients:
        return
    emails = list(Staff.objects.filter(pk__in=recipients, is_active=True).values_list("email", flat=True))
    # Marked first: a crash after this loses an e-mail (the alert stays in the app), never sends one twice.
    StaffAlert.objects.filter(pk__in=ids).update(emailed=True)
    with override(settings.LANGUAGE_CODE):
        subject = _("New activity")
        body = _("There is new activity that needs your attention. Sign in to see it.")
    for email in emails:
        # One message per person: recipients never see each other's addresses.
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[email], fail_silently=True)
