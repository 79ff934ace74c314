"""Background jobs of accounts: ended sessions and stale throttle rows are deleted within a minute."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import task

from ferry.accounts.models import LoginThrottle, SetupToken, Staff, StaffAlert, StaffSession
from ferry.accounts.throttle import WINDOW


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


@task()
def alerts_email() -> None:
    """Every minute: one content-free "new activity" e-mail to each active recipient of alerts not yet mailed."""
    pending = StaffAlert.objects.filter(emailed=False)
    recipients = set(pending.values_list("recipient_id", flat=True))
    if not recipients:
        return
    emails = list(Staff.objects.filter(pk__in=recipients, is_active=True).values_list("email", flat=True))
    # Marked first: a crash after this loses an e-mail (the alert stays in the app), never sends one twice.
    StaffAlert.objects.filter(emailed=False, recipient_id__in=recipients).update(emailed=True)
    with override(settings.LANGUAGE_CODE):
        subject = _("New activity")
        body = _("There is new activity that needs your attention. Sign in to see it.")
    for email in emails:
        # One message per person: recipients never see each other's addresses.
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[email], fail_silently=True)
