"""Personal API tokens: made on the Security page after the passphrase is typed again, each carrying its own
wrapped copy of the owner's private key (as a browser session does), so the database alone opens nothing.

A token is `fy1_<id>.<secret>`. The server keeps the SHA-256 of the whole token (to find its row) and the
private key sealed under the secret (`vault.session.session_wrap`, kind "api_token"); the secret exists only in
the token. A token is refused (one answer for all) when it is unknown, revoked, expired, was made in a duress
session, its owner is inactive or their key is paused or unconfirmed, or its owner signed in under duress since
it was made: a coerced person's tokens die with their sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.models import Staff
from ferry.accounts.services import AccountError
from ferry.api.models import ApiToken
from ferry.audit.models import AuditEntry
from ferry.audit.services import audit_record
from ferry.core.errors import NotFound
from ferry.vault import session, staffkeys
from ferry.vault.errors import WrongSecret
from ferry.vault.keyring import KeyRing

TOKEN_KIND = "api_token"  # noqa: S105 - the wrap's label (associated data), not a secret
PREFIX = "fy1_"
MAX_DAYS = 90
MAX_LIVE_TOKENS = 10
TOKEN_RE = re.compile(r"fy1_[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{43}")


class TokenRefused(Exception):
    """The token does not open anything; the reason is never told to the caller."""


@dataclass(frozen=True)
class Created:
    token: ApiToken
    secret: str  # the whole token, shown once


@dataclass(frozen=True)
class Principal:
    """Who an API request acts as: the token, its owner, and the owner's key ring for this request."""

    token: ApiToken
    staff: Staff
    ring: KeyRing


def token_lookup(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _passphrase_check(staff: Staff, passphrase: str, *, duress: bool) -> bytes:
    """The private key to wrap. In a duress session the duress passphrase is the one that "works" (as on the
    rest of the Security page, accounts.services._check_current), and what is wrapped is a throwaway key."""
    refused = AccountError(_("Your current passphrase is not right."))
    if duress:
        if staffkeys.staff_key_check_login(staff_id=staff.pk, passphrase=passphrase) != (None, True):
            raise refused
        return staffkeys.throwaway_private_key()
    try:
        return staffkeys.staff_key_unlock(staff_id=staff.pk, passphrase=passphrase)
    except WrongSecret:
        raise refused from None


def token_create(
    *, staff: Staff, passphrase: str, label: str, scope: str, days: int, in_duress_session: bool = False
) -> Created:
    """A new token for the staff member. In a duress session it appears to be made like any other, and is never
    accepted: the person watching sees what they would see in a real session."""
    label = label.strip()
    if not label or len(label) > 60:
        raise AccountError(_("Give the token a short name (up to 60 characters) that says what uses it."))
    if scope not in ApiToken.Scope.values:
        raise AccountError(_("Choose what the token may do."))
    if not 1 <= days <= MAX_DAYS:
        raise AccountError(_("A token lasts from 1 to 90 days."))
    private = _passphrase_check(staff, passphrase, duress=in_duress_session)
    now = timezone.now()
    live = ApiToken.objects.filter(staff=staff, revoked_at__isnull=True, expires_at__gt=now).count()
    if live >= MAX_LIVE_TOKENS:
        raise AccountError(_("You have 10 tokens already. Revoke one you no longer use first."))
    raw = f"{PREFIX}{secrets.token_urlsafe(18)}."
    wrap_id = secrets.token_hex(32)  # bound into the wrap's associated data: a wrap moved to another row fails
    client_key, wrapped = session.session_wrap(private_key=private, session_id=wrap_id, kind=TOKEN_KIND)
    raw += client_key
    with transaction.atomic():
        token = ApiToken.objects.create(
            staff=staff,
            lookup=token_lookup(raw),
            label=label,
            scope=scope,
            wrap_id=wrap_id,
            wrapped_key=wrapped,
            duress=in_duress_session,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        # A duress session's token is audited as an ordinary one: the duress itself was audited at sign-in.
        audit_record(action="api.token.create", actor_id=staff.pk, object_type="api_token", object_id=token.pk)
    return Created(token=token, secret=raw)


def tokens_of(staff: Staff) -> list[ApiToken]:
    return list(ApiToken.objects.filter(staff=staff).order_by("-created_at"))


def token_revoke(*, staff: Staff, token_id: int) -> None:
    """Revoke one of one's own tokens; anyone else's, or one that does not exist, is the same NotFound."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token_id, staff=staff, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not changed:
            raise NotFound(_("No such token."))
        audit_record(action="api.token.revoke", actor_id=staff.pk, object_type="api_token", object_id=token_id)


def _duress_since(staff_id: int, since: object) -> bool:
    # The audit log is the one record of a duress login that outlives its sessions and the key's pause.
    return AuditEntry.objects.filter(
        object_type="staff", object_id=str(staff_id), action="staff.duress", at__gte=since
    ).exists()


def token_authenticate(raw: str) -> Principal:
    """The principal a token acts as, or TokenRefused (one answer whatever the reason)."""
    if not TOKEN_RE.fullmatch(raw):
        raise TokenRefused
    row = ApiToken.objects.select_related("staff").filter(lookup=token_lookup(raw)).first()
    now = timezone.now()
    if row is None:
        raise TokenRefused
    if row.revoked_at is not None:
        raise TokenRefused
    if row.expires_at <= now:
        raise TokenRefused
    if row.duress:
        raise TokenRefused
    if not row.staff.is_active:
        raise TokenRefused
    if not staffkeys.staff_key_sealable(staff_id=row.staff_id):
        raise TokenRefused
    if _duress_since(row.staff_id, row.created_at):
        raise TokenRefused
    try:
        private, _key = session.session_unwrap(
            client_key=raw.rsplit(".", 1)[1], wrapped=bytes(row.wrapped_key), session_id=row.wrap_id, kind=TOKEN_KIND
        )
    except session.VaultLocked:
        raise TokenRefused from None
    if row.last_used_on != now.date():
        ApiToken.objects.filter(pk=row.pk).update(last_used_on=now.date())
    return Principal(token=row, staff=row.staff, ring=KeyRing(staff_id=row.staff_id, private_key=private))


def token_exposed(raw: str) -> None:
    """A token seen in a URL may already sit in a proxy's log or a browser's history: it is revoked."""
    if not TOKEN_RE.fullmatch(raw):
        return
    with transaction.atomic():
        row = ApiToken.objects.filter(lookup=token_lookup(raw), revoked_at__isnull=True).first()
        if row is None:
            return
        ApiToken.objects.filter(pk=row.pk).update(revoked_at=timezone.now())
        audit_record(action="api.token.exposed", actor_id=row.staff_id, object_type="api_token", object_id=row.pk)
