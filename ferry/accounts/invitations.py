"""Invitations of new staff: a one-time link, e-mailed when the server can send mail, otherwise shown once to
the administrator; resent (a new link) or revoked while open. Only the link's hash is kept."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.models import Invitation, Role, Staff
from ferry.accounts.services import AccountError, hash_of, staff_new
from ferry.audit.services import audit_record
from ferry.core.permissions import require

INVITATION_LIFETIME = timedelta(hours=72)
# Backends that deliver nothing: the console one prints the message (the link!) into the server's journal.
UNDELIVERED_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


class Delivery(StrEnum):
    EMAILED = "emailed"
    NO_MAIL = "no_mail"  # the server has no mail set up: nothing was sent
    MAIL_FAILED = "mail_failed"  # the mail server refused or could not be reached


@dataclass(frozen=True)
class Issued:
    """A link just made. `url` is shown to the administrator only when it was not e-mailed, and never stored."""

    invitation: Invitation
    token: str
    url: str
    delivery: Delivery


def mail_configured() -> bool:
    return settings.EMAIL_BACKEND not in UNDELIVERED_BACKENDS


def _check_roles(roles: list[str]) -> None:
    if not roles or not set(roles) <= {r.value for r in Role}:
        raise AccountError(_("Choose at least one role."))


def _check_no_account(email: str) -> None:
    if Staff.objects.filter(email__iexact=email).exclude(is_active=False, deactivated_at__isnull=True).exists():
        raise AccountError(_("An account with this e-mail address already exists."))


def _deliver(invitation: Invitation, token: str, accept_url_for: Callable[[str], str]) -> Issued:
    """E-mail the link when mail is set up (the message names no purpose); otherwise, or if sending fails, the
    administrator is shown it once. Called after the commit, so a slow mail server holds no lock."""
    url = accept_url_for(token)
    if not mail_configured():
        return Issued(invitation=invitation, token=token, url=url, delivery=Delivery.NO_MAIL)
    try:
        send_mail(
            subject=_("Your account at %(org)s") % {"org": settings.FERRY_ORG_NAME},
            message=_("You have been given an account. Open this link within 72 hours to set it up:\n\n%(url)s\n")
            % {"url": url},
            from_email=None,
            recipient_list=[invitation.email],
        )
    except OSError:  # smtplib's errors are OSErrors, as are refused and timed-out connections
        return Issued(invitation=invitation, token=token, url=url, delivery=Delivery.MAIL_FAILED)
    return Issued(invitation=invitation, token=token, url=url, delivery=Delivery.EMAILED)


def invitation_create(*, by: Staff, email: str, roles: list[str], accept_url_for: Callable[[str], str]) -> Issued:
    """Invite someone: a link valid for 72 hours, e-mailed or shown once (see `_deliver`)."""
    require(by, Role.ADMINISTRATOR)
    _check_roles(roles)
    _check_no_account(email)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            token_hash=hash_of(token),
            email=email.strip().lower(),
            roles=sorted(set(roles)),
            invited_by=by,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        audit_record(action="staff.invite", actor_id=by.pk, object_type="invitation", object_id=invitation.pk)
    return _deliver(invitation, token, accept_url_for)


def _open(invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update()
        .filter(pk=invitation_id, accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        raise AccountError(_("This invitation is no longer open: it was used, revoked or has expired."))
    return invitation


def invitation_resend(*, by: Staff, invitation_id: int, accept_url_for: Callable[[str], str]) -> Issued:
    """A new link for an open invitation, valid 72 hours from now; the old link stops working."""
    require(by, Role.ADMINISTRATOR)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = _open(invitation_id)
        _check_no_account(invitation.email)
        invitation.token_hash = hash_of(token)
        invitation.expires_at = timezone.now() + INVITATION_LIFETIME
        invitation.save(update_fields=["token_hash", "expires_at"])
        audit_record(action="staff.invite_resend", actor_id=by.pk, object_type="invitation", object_id=invitation.pk)
    return _deliver(invitation, token, accept_url_for)


@transaction.atomic
def invitation_revoke(*, by: Staff, invitation_id: int) -> None:
    """Cancel an open invitation. The row goes (nothing is kept of someone who never joined); the audit entry
    stays."""
    require(by, Role.ADMINISTRATOR)
    invitation = _open(invitation_id)
    audit_record(action="staff.invite_revoke", actor_id=by.pk, object_type="invitation", object_id=invitation.pk)
    invitation.delete()


def invitations_open(*, by: Staff) -> list[Invitation]:
    require(by, Role.ADMINISTRATOR)
    pending = Invitation.objects.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
    return list(pending.order_by("-created_at"))


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.filter(
        token_hash=hash_of(token), accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


@transaction.atomic
def invitation_accept(*, token: str, display_name: str, passphrase: str) -> tuple[Staff, bytes]:
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=hash_of(token), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        raise AccountError(_("This invitation has expired or was already used."))
    # An earlier, unfinished enrolment with this address is replaced; a deactivated account never is.
    Staff.objects.filter(email__iexact=invitation.email, is_active=False, deactivated_at__isnull=True).delete()
    staff, private = staff_new(
        email=invitation.email, display_name=display_name, passphrase=passphrase, roles=invitation.roles
    )
    invitation.accepted_at = timezone.now()
    invitation.staff = staff
    invitation.save(update_fields=["accepted_at", "staff"])
    audit_record(action="staff.invite_accept", actor_id=staff.pk, object_type="invitation", object_id=invitation.pk)
    return staff, private
