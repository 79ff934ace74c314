"""Staff account actions: first set-up, invitations, enrolment, login, sessions, duress. Views stay thin."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ferry.accounts import throttle
from ferry.accounts.models import Invitation, Role, SetupToken, Staff, StaffAlert, StaffRole, StaffSession
from ferry.accounts.passphrases import check_passphrase
from ferry.audit.services import audit_record
from ferry.vault import blind, escrow, keysets, session, staffkeys
from ferry.vault.errors import VaultError

INVITATION_LIFETIME = timedelta(hours=72)


class AccountError(Exception):
    """A staff account action was refused; the message is safe to show (translated, no personal data)."""


class PermissionDenied(AccountError):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_role(staff: Staff, role: str) -> None:
    if not staff.has_role(role):
        raise PermissionDenied(_("You do not have the role needed for this."))


# --- first administrator -------------------------------------------------------------------------


def administrator_exists() -> bool:
    return StaffRole.objects.filter(role=Role.ADMINISTRATOR, staff__is_active=True).exists()


@transaction.atomic
def setup_token_issue() -> str | None:
    """A fresh one-time set-up token (older unused ones stop working), or None once an administrator exists."""
    if administrator_exists():
        return None
    SetupToken.objects.filter(used_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    SetupToken.objects.create(token_hash=_hash(token), created_at=timezone.now())
    return token


def setup_token_valid(token: str) -> bool:
    return (
        not administrator_exists() and SetupToken.objects.filter(token_hash=_hash(token), used_at__isnull=True).exists()
    )


def passphrase_problems(*, passphrase: str, confirm: str, email: str, display_name: str) -> list[str]:
    problems = check_passphrase(passphrase, user_inputs=[email, display_name, *email.split("@")])
    if passphrase != confirm:
        problems.append(_("The two passphrases differ."))
    return problems


def _staff_create(*, email: str, display_name: str, passphrase: str, roles: list[str]) -> tuple[Staff, bytes]:
    if Staff.objects.filter(email__iexact=email).exists():
        raise AccountError(_("An account with this e-mail address already exists."))
    staff = Staff(email=email.strip().lower(), display_name=display_name.strip(), is_active=False)
    staff.set_unusable_password()
    staff.save()
    StaffRole.objects.bulk_create([StaffRole(staff=staff, role=r) for r in sorted(set(roles))])
    private = staffkeys.staff_key_create(staff_id=staff.pk, passphrase=passphrase)
    return staff, private


@transaction.atomic
def first_admin_create(*, token: str, email: str, display_name: str, passphrase: str) -> tuple[Staff, bytes]:
    """Create the first administrator, the escrow key (in their custody) and the contact-index key set."""
    used = SetupToken.objects.select_for_update().filter(token_hash=_hash(token), used_at__isnull=True).first()
    if used is None or administrator_exists():
        raise AccountError(_("This set-up link is no longer valid."))
    used.used_at = timezone.now()
    used.save(update_fields=["used_at"])
    staff, private = _staff_create(
        email=email, display_name=display_name, passphrase=passphrase, roles=[Role.ADMINISTRATOR]
    )
    escrow.escrow_create(custodian_id=staff.pk)
    blind.index_key_set_create(grant_to=[staff.pk])
    audit_record(action="setup.first_admin", actor_id=staff.pk, object_type="staff", object_id=staff.pk)
    return staff, private


# --- invitations -----------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(*, by: Staff, email: str, roles: list[str], accept_url_for: object) -> str:
    """Invite someone by e-mail; the message names no purpose. Returns the raw token (for the e-mail only)."""
    require_role(by, Role.ADMINISTRATOR)
    valid_roles = {r.value for r in Role}
    if not roles or not set(roles) <= valid_roles:
        raise AccountError(_("Choose at least one role."))
    if Staff.objects.filter(email__iexact=email, is_active=True).exists():
        raise AccountError(_("An account with this e-mail address already exists."))
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        token_hash=_hash(token),
        email=email.strip().lower(),
        roles=sorted(set(roles)),
        invited_by=by,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    url = accept_url_for(token)  # type: ignore[operator]
    audit_record(action="staff.invite", actor_id=by.pk, object_type="invitation", object_id=invitation.pk)
    transaction.on_commit(
        lambda: send_mail(
            subject=_("Your account at %(org)s") % {"org": settings.FERRY_ORG_NAME},
            message=_("You have been given an account. Open this link within 72 hours to set it up:\n\n%(url)s\n")
            % {"url": url},
            from_email=None,
            recipient_list=[invitation.email],
        )
    )
    return token


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.filter(
        token_hash=_hash(token), accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


@transaction.atomic
def invitation_accept(*, token: str, display_name: str, passphrase: str) -> tuple[Staff, bytes]:
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=_hash(token), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        raise AccountError(_("This invitation has expired or was already used."))
    Staff.objects.filter(email__iexact=invitation.email, is_active=False).delete()
    staff, private = _staff_create(
        email=invitation.email, display_name=display_name, passphrase=passphrase, roles=invitation.roles
    )
    invitation.accepted_at = timezone.now()
    invitation.staff = staff
    invitation.save(update_fields=["accepted_at", "staff"])
    audit_record(action="staff.invite_accept", actor_id=staff.pk, object_type="invitation", object_id=invitation.pk)
    return staff, private


# --- enrolment: second factor and recovery code ------------------------------------------------------


def totp_device_for_enrolment(staff: Staff) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (created on first call)."""
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=staff, name="totp", confirmed=False)
    return device


def totp_confirm(*, staff: Staff, code: str) -> bool:
    device = totp_device_for_enrolment(staff)
    if not device.verify_token(code.strip().replace(" ", "")):
        return False
    TOTPDevice.objects.filter(user=staff, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(action="staff.totp_enrol", actor_id=staff.pk, object_type="staff", object_id=staff.pk)
    return True


def totp_verify(*, staff: Staff, code: str) -> bool:
    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first()
    return device is not None and bool(device.verify_token(code.strip().replace(" ", "")))


def recovery_code_issue(*, staff: Staff, ring: keysets.KeyRing) -> str:
    code = staffkeys.staff_key_new_recovery_code(staff_id=staff.pk, private=ring.private_key)
    audit_record(action="staff.recovery_code_issue", actor_id=staff.pk, object_type="staff", object_id=staff.pk)
    return code


@transaction.atomic
def staff_activate(*, staff: Staff) -> None:
    if not TOTPDevice.objects.filter(user=staff, confirmed=True).exists():
        raise AccountError(_("Set up the authenticator app first."))
    if staff.vault_key.recovery_wrap is None:
        raise AccountError(_("Save your recovery code first."))
    staff.is_active = True
    staff.save(update_fields=["is_active"])
    audit_record(action="staff.activate", actor_id=staff.pk, object_type="staff", object_id=staff.pk)


# --- sessions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unlocked:
    session: StaffSession
    client_key: str


def staff_session_start(*, staff: Staff, private_key: bytes, duress: bool = False) -> Unlocked:
    session_id = secrets.token_urlsafe(32)
    client_key, wrapped = session.session_wrap(private_key=private_key, session_id=session_id)
    now = timezone.now()
    row = StaffSession.objects.create(
        id=session_id, staff=staff, wrapped_key=wrapped, duress=duress, created_at=now, last_seen_at=now
    )
    return Unlocked(session=row, client_key=client_key)


def staff_session_ring(*, session_id: str, client_key: str) -> tuple[StaffSession, keysets.KeyRing]:
    """The live session and its key ring; VaultLocked if the session ended, timed out or the key is wrong."""
    row = StaffSession.objects.select_related("staff").filter(pk=session_id).first()
    if row is None:
        raise session.VaultLocked("no session")
    now = timezone.now()
    idle = timedelta(minutes=settings.FERRY_SESSION_IDLE_MINUTES)
    if row.last_seen_at < now - idle or row.created_at < now - timedelta(hours=settings.FERRY_SESSION_MAX_HOURS):
        row.delete()
        raise session.VaultLocked("session expired")
    private = session.session_unwrap(client_key=client_key, wrapped=row.wrapped_key, session_id=row.pk)
    if row.last_seen_at < now - timedelta(seconds=30):
        StaffSession.objects.filter(pk=row.pk).update(last_seen_at=now)
    return row, keysets.KeyRing(staff_id=row.staff_id, private_key=private)


def staff_session_end(*, session_id: str) -> None:
    StaffSession.objects.filter(pk=session_id).delete()


def staff_sessions_end_all(*, staff: Staff, except_id: str | None = None) -> int:
    count, _detail = StaffSession.objects.filter(staff=staff).exclude(pk=except_id or "").delete()
    audit_record(action="staff.sign_out_everywhere", actor_id=staff.pk, object_type="staff", object_id=staff.pk)
    return count


# --- login -----------------------------------------------------------------------------------------


class LoginFailed(AccountError):
    """Wrong e-mail or passphrase, or locked: one message for all, so nothing is learnt from it."""


@dataclass(frozen=True)
class PassphraseOk:
    staff: Staff
    unlocked: Unlocked


def login_passphrase(*, email: str, passphrase: str, client: str) -> PassphraseOk:
    """First login step. Same work and same answer for unknown accounts, wrong passphrases and lockouts.

    A duress passphrase succeeds like the real one, but the session it opens holds no key and the account's
    grants are destroyed before this returns."""
    keys = throttle.throttle_keys(email=email, client=client)
    staff = Staff.objects.filter(email__iexact=email.strip(), is_active=True).first()
    locked = throttle.throttle_locked(keys)
    if staff is None or locked:
        staffkeys.dummy_unlock_work()
        if not locked and throttle.throttle_failure(keys) and staff is not None:
            _lockout_alert(staff)
        raise LoginFailed(_("Wrong e-mail address or passphrase, or too many attempts. Try again later."))
    private, is_duress = staffkeys.staff_key_check_login(staff_id=staff.pk, passphrase=passphrase)
    if is_duress:
        return PassphraseOk(staff=staff, unlocked=_duress_triggered(staff))
    if private is None:
        if throttle.throttle_failure(keys):
            _lockout_alert(staff)
        raise LoginFailed(_("Wrong e-mail address or passphrase, or too many attempts. Try again later."))
    return PassphraseOk(staff=staff, unlocked=staff_session_start(staff=staff, private_key=private))


def login_second_factor(*, session_id: str, code: str, client: str) -> StaffSession:
    row = StaffSession.objects.select_related("staff").get(pk=session_id)
    keys = throttle.throttle_keys(email=row.staff.email, client=client)
    if throttle.throttle_locked(keys) or not totp_verify(staff=row.staff, code=code):
        if throttle.throttle_failure(keys):
            _lockout_alert(row.staff)
        raise LoginFailed(_("That code did not work. Check your authenticator app and try again."))
    throttle.throttle_success(keys)
    row.second_factor_done = True
    row.save(update_fields=["second_factor_done"])
    # A duress session is audited as an ordinary login; the duress itself was audited at the first step.
    audit_record(action="staff.login", actor_id=row.staff_id, object_type="staff", object_id=row.staff_id)
    return row


def _staff_with_role(role: str) -> list[Staff]:
    return list(Staff.objects.filter(is_active=True, roles__role=role).distinct())


def _alert(kind: str, about: Staff) -> None:
    now = timezone.now()
    recipients = {s.pk: s for s in _staff_with_role(Role.ADMINISTRATOR) + _staff_with_role(Role.COORDINATOR)}
    recipients.pop(about.pk, None)
    StaffAlert.objects.bulk_create(
        [StaffAlert(kind=kind, about_staff=about, recipient=r, created_at=now) for r in recipients.values()]
    )
    emails = [r.email for r in recipients.values()]
    if emails:
        transaction.on_commit(
            lambda: send_mail(
                subject=_("New activity"),
                message=_("There is new activity that needs your attention. Sign in to see it."),
                from_email=None,
                recipient_list=emails,
                fail_silently=True,
            )
        )


def _lockout_alert(staff: Staff) -> None:
    audit_record(action="staff.lockout", object_type="staff", object_id=staff.pk)
    _alert(StaffAlert.Kind.LOCKOUT, staff)


@transaction.atomic
def _duress_triggered(staff: Staff) -> Unlocked:
    """Destroy the account's own grants, end its other sessions, alert coordinators and administrators."""
    keysets.grants_destroy_for_staff(staff_id=staff.pk)
    StaffSession.objects.filter(staff=staff).delete()
    audit_record(action="staff.duress", object_type="staff", object_id=staff.pk)
    _alert(StaffAlert.Kind.DURESS, staff)
    # The session holds a throwaway key: it opens nothing, and looks like any other session.
    return staff_session_start(staff=staff, private_key=staffkeys.throwaway_private_key(), duress=True)


def vault_error_message(_exc: VaultError) -> str:
    return _("This could not be opened with your keys.")


# --- operators' command line -------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedStaff:
    staff: Staff
    private_key: bytes
    totp_secret: str
    recovery_code: str


@transaction.atomic
def staff_create_active(*, email: str, roles: list[str], passphrase: str, display_name: str = "") -> CreatedStaff:
    """Create a fully enrolled staff member without the browser steps (createstaff command, tests).

    The first administrator made this way also gets the escrow key and the contact-index key set."""
    from base64 import b32encode

    valid_roles = {r.value for r in Role}
    if not roles or not set(roles) <= valid_roles:
        raise AccountError(_("Choose at least one role."))
    problems = passphrase_problems(passphrase=passphrase, confirm=passphrase, email=email, display_name=display_name)
    if problems:
        raise AccountError(" ".join(problems))
    first_admin = Role.ADMINISTRATOR in roles and not administrator_exists()
    staff, private = _staff_create(email=email, display_name=display_name, passphrase=passphrase, roles=roles)
    if first_admin:
        escrow.escrow_create(custodian_id=staff.pk)
        blind.index_key_set_create(grant_to=[staff.pk])
    device = TOTPDevice.objects.create(user=staff, name="totp", confirmed=True)
    code = staffkeys.staff_key_new_recovery_code(staff_id=staff.pk, private=private)
    staff.is_active = True
    staff.save(update_fields=["is_active"])
    audit_record(action="staff.create", object_type="staff", object_id=staff.pk)
    return CreatedStaff(
        staff=staff, private_key=private, totp_secret=b32encode(device.bin_key).decode("ascii"), recovery_code=code
    )
