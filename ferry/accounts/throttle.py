"""Throttling of failed logins per account and per account's second factor, with temporary lockout.

Not per client address: behind a reverse proxy or an onion service every person arrives from the same one, so
twenty bad logins with random e-mails would lock out everyone (issue 14). Guessing is slowed where it aims: a
passphrase at its account (and its Argon2id cost), a one-time code or security key at its account's second
factor."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from ferry.accounts.models import LoginThrottle

ACCOUNT_LIMIT = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


# The hashes' key: random, in the data folder (never in a backup, which holds only the database and the stored
# files), replaced every UTC day. A key that outlived its rows, or sat beside them in a backup, would let
# whoever holds both try every address (the whole IPv4 range takes a few core-hours) and match them.
KEY_FILE = "throttle_key"


def _day_key(now: datetime) -> bytes:
    path = Path(settings.DATA_DIR) / KEY_FILE
    day = now.astimezone(UTC).date().isoformat()
    with contextlib.suppress(FileNotFoundError, ValueError):
        kept_day, _, hex_key = path.read_text().strip().partition(":")
        if kept_day == day and len(hex_key) == 64:
            return bytes.fromhex(hex_key)
    # Another process may replace it at the same moment: the last one wins, and a few failures counted under
    # the other key are lost (at most once a day).
    fd, partial = tempfile.mkstemp(prefix=f".{KEY_FILE}.", dir=path.parent)
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{day}:{key.hex()}")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return key


def _key(kind: str, value: str) -> str:
    # Keyed hash: the table never holds an address or an e-mail in a form that can be read back.
    digest = hmac.new(_day_key(timezone.now()), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
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
