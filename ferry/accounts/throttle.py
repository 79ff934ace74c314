"""Throttling of failed logins per account and per account's second factor, with temporary lockout.

Not per client address: behind a reverse proxy or an onion service every person arrives from the same one, so
twenty bad logins with random e-mails would lock out everyone (issue 14). Guessing is slowed where it aims: a
passphrase at its account (and its Argon2id cost), a one-time code or security key at its account's second
factor."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from ferry.accounts.models import LoginThrottle

ACCOUNT_LIMIT = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


def _key(kind: str, value: str) -> str:
    # Keyed hash: the table never holds an address or an e-mail in a form that can be read back.
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:40]}"


def throttle_keys(*, email: str, client: str = "") -> list[str]:
    """What a wrong passphrase or recovery code counts against: the account (never the shared address)."""
    del client  # kept in the signature for the callers; see the module's docstring
    return [_key("account", email.strip().lower())]


def factor_keys(*, staff_id: int) -> list[str]:
    """What a wrong one-time code or security key answer counts against: the account's second factor."""
    return [_key("factor", str(staff_id))]


def throttle_locked(keys: list[str]) -> bool:
    now = timezone.now()
    return LoginThrottle.objects.filter(key__in=keys, locked_until__gt=now).exists()


@transaction.atomic
def throttle_failure(keys: list[str]) -> bool:
    """Count one failure against each key; returns True if this failure locked any of them."""
    now = timezone.now()
    locked = False
    for key in keys:
        row, _created = LoginThrottle.objects.select_for_update().get_or_create(key=key, defaults={"window_start": now})
        if row.window_start < now - WINDOW:
            row.window_start, row.failures = now, 0
        row.failures += 1
        if row.failures >= ACCOUNT_LIMIT and (row.locked_until is None or row.locked_until <= now):
            row.locked_until = now + LOCKOUT
            row.failures = 0
            locked = True
        row.save()
    LoginThrottle.objects.filter(window_start__lt=now - 4 * WINDOW).filter(
        models.Q(locked_until__isnull=True) | models.Q(locked_until__lt=now)
    ).delete()
    return locked


def throttle_success(keys: list[str]) -> None:
    LoginThrottle.objects.filter(key__in=keys).delete()
