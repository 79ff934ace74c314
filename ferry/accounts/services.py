"""Staff account actions: first set-up, enrolment, login, a staff member's own security, administration of staff."""

from __future__ import annotations

import hashlib
import secrets
from base64 import b32encode
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ferry.accounts import throttle
from ferry.accounts.alerts import activity_alert
from ferry.accounts.models import Role, SetupToken, Staff, StaffAlert, StaffConfirmation, StaffRole
from ferry.accounts.passphrases import check_passphrase
from ferry.audit.services import audit_record
from ferry.core.errors import FerryError
from ferry.core.permissions import require
from ferry.core.zones import known_zones
from ferry.vault import blind, escrow, keysets, staffkeys
from ferry.vault.errors import WrongSecret


class AccountError(FerryError):
    """A staff account action was refused; the message is safe to show (translated, no personal data)."""


def hash_of(token: str) -> str:
    """What is kept of a one-time link's token (set-up, invitation): its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


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
    SetupToken.objects.create(token_hash=hash_of(token), created_at=timezone.now())
    return token


def setup_token_valid(token: str) -> bool:
    return (
        not administrator_exists()
        and SetupToken.objects.filter(token_hash=hash_of(token), used_at__isnull=True).exists()
    )


def passphrase_problems(*, passphrase: str, confirm: str, email: str, display_name: str) -> list[str]:
    problems = check_passphrase(passphrase, user_inputs=[email, display_name, *email.split("@")])
    if passphrase != confirm:
        problems.append(_("The two passphrases differ."))
    return problems


def staff_new(*, email: str, display_name: str, passphrase: str, roles: list[str]) -> tuple[Staff, bytes]:
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
    used = SetupToken.objects.select_for_update().filter(token_hash=hash_of(token), used_at__isnull=True).first()
    if used is None or administrator_exists():
        raise AccountError(_("This set-up link is no longer valid."))
    used.used_at = timezone.now()
    used.save(update_fields=["used_at"])
    staff, private = staff_new(
        email=email, display_name=display_name, passphrase=passphrase, roles=[Role.ADMINISTRATOR]
    )
    # Whoever holds the set-up link (printed on the server) is the organisation's first administrator.
    staffkeys.staff_key_confirm(staff_id=staff.pk, when=timezone.now())
    escrow.escrow_create(custodian_id=staff.pk)
    blind.index_key_set_create(grant_to=[staff.pk])
    audit_record(action="setup.first_admin", actor_id=staff.pk, object_type="staff", object_id=staff.pk)
    return staff, private


# --- enrolment: recovery code (the authenticator app: totp.py) ------------------------------------------------------


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
    if not staffkeys.staff_key_confirmed(staff_id=staff.pk):
        # The invitation was accepted: administrators must now confirm, in person, that it was this person.
        admins = Staff.objects.filter(is_active=True, roles__role=Role.ADMINISTRATOR).exclude(pk=staff.pk)
        activity_alert(kind=StaffAlert.Kind.STAFF_PENDING, recipient_ids=admins.values_list("pk", flat=True))


# --- a staff member's own security ------------------------------------------------------------------


def _check_current(staff: Staff, current: str, *, duress: bool) -> bytes | None:
    """The private key for the real passphrase. In a duress session the duress passphrase is the one that
    "works" (and opens nothing), so the person watching sees the same answers as in a real session."""
    if duress:
        if staffkeys.staff_key_check_login(staff_id=staff.pk, passphrase=current) != (None, True):
            raise AccountError(_("Your current passphrase is not right."))
        return None
    try:
        return staffkeys.staff_key_unlock(staff_id=staff.pk, passphrase=current)
    except WrongSecret:
        raise AccountError(_("Your current passphrase is not right.")) from None


@transaction.atomic
def passphrase_change(*, staff: Staff, current: str, new: str, duress: bool = False) -> None:
    """Re-wrap the key under a new passphrase; the key pair, and so every grant, stays."""
    private = _check_current(staff, current, duress=duress)
    problems = passphrase_problems(passphrase=new, confirm=new, email=staff.email, display_name=staff.display_name)
    if problems:
        raise AccountError(" ".join(problems))
    if private is None:
        return  # duress session: it looks done, nothing changes
    staffkeys.staff_key_set_passphrase(staff_id=staff.pk, private=private, passphrase=new)
    audit_record(action="staff.passphrase_change", actor_id=staff.pk, object_type="staff", object_id=staff.pk)


@transaction.atomic
def duress_set(*, staff: Staff, current: str, duress: str | None, in_duress_session: bool = False) -> None:
    """Set (or, with None, remove) the duress passphrase. It must differ from the real one."""
    private = _check_current(staff, current, duress=in_duress_session)
    if duress is not None:
        if duress == current:
            raise AccountError(_("The duress passphrase must differ from your real passphrase."))
        problems = check_passphrase(duress, user_inputs=[staff.email, staff.display_name])
        if problems:
            raise AccountError(" ".join(problems))
    if private is None:
        return  # duress session: it looks done, nothing changes
    staffkeys.staff_key_set_duress(staff_id=staff.pk, duress_passphrase=duress)
    action = "staff.duress_set" if duress is not None else "staff.duress_clear"
    audit_record(action=action, actor_id=staff.pk, object_type="staff", object_id=staff.pk)


def recovery_code_renew(*, staff: Staff, current: str, duress: bool = False) -> str:
    private = _check_current(staff, current, duress=duress)
    if private is None:
        return staffkeys.recovery_code_new()  # duress session: a code that opens nothing
    code = staffkeys.staff_key_new_recovery_code(staff_id=staff.pk, private=private)
    audit_record(action="staff.recovery_code_issue", actor_id=staff.pk, object_type="staff", object_id=staff.pk)
    return code


def staff_time_zone_set(*, staff: Staff, time_zone: str) -> None:
    """The staff member's own time zone, for every time shown to them. Saved in a duress session too: it holds
    nothing, and a choice that did not stick would give the session away."""
    if time_zone not in known_zones():
        raise AccountError(_("Choose a time zone from the list."))
    with transaction.atomic():
        Staff.objects.filter(pk=staff.pk).update(time_zone=time_zone)
        audit_record(action="staff.time_zone_set", actor_id=staff.pk, object_type="staff", object_id=staff.pk)
    staff.time_zone = time_zone


@transaction.atomic
def account_recover(*, email: str, recovery_code: str, new_passphrase: str, client: str) -> str:
    """Forgotten passphrase: the recovery code opens the key, which is re-wrapped under a new passphrase and a
    new recovery code (returned, to be shown once). Every session of the account ends."""
    # The new passphrase is checked the same way whatever the address, before it is looked up: an unknown
    # address, a wrong code and a right one must not be told apart by what runs (or how long it takes).
    problems = passphrase_problems(passphrase=new_passphrase, confirm=new_passphrase, email=email, display_name="")
    if problems:
        raise AccountError(" ".join(problems))
    keys = throttle.throttle_keys(email=email, client=client)
    staff = Staff.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if staff is None or throttle.throttle_locked(keys):
        staffkeys.dummy_recover_work()
        throttle.throttle_failure(keys)
        raise AccountError(_("The e-mail address or the recovery code is not right."))
    try:
        _private, code = staffkeys.staff_key_recover(
            staff_id=staff.pk, recovery_code=recovery_code, new_passphrase=new_passphrase
        )
    except WrongSecret:
        throttle.throttle_failure(keys)
        raise AccountError(_("The e-mail address or the recovery code is not right.")) from None
    throttle.throttle_success(keys)
    staff.sessions.all().delete()
    audit_record(action="staff.recover", actor_id=staff.pk, object_type="staff", object_id=staff.pk)
    return code


# --- administration of staff ------------------------------------------------------------------------


def confirmations_needed(staff: Staff) -> int:
    """One administrator confirms a caseworker (or documenter, analyst, auditor); two confirm a coordinator or
    an administrator, who receive every new request or hold the organisation's keys, so that one coerced
    administrator cannot make one alone (one, while the organisation has only ever had one other
    administrator). Administrators deactivated since still count: deactivating the others does not lower it."""
    if not ({Role.COORDINATOR, Role.ADMINISTRATOR} & staff.role_set()):
        return 1
    others = (
        Staff.objects.filter(roles__role=Role.ADMINISTRATOR, vault_key__confirmed_at__isnull=False)
        .exclude(pk=staff.pk)
        .distinct()
        .count()
    )
    return max(1, min(2, others))


def staff_pending(*, by: Staff) -> list[tuple[Staff, int, bool]]:
    """Active accounts whose key is not confirmed yet, or paused after a duress login: (account, confirmations
    still needed, confirmed by `by`)."""
    require(by, Role.ADMINISTRATOR)
    # Never the viewer: nobody confirms themselves (and a duress session must not list its own pause).
    pending = (
        Staff.objects.filter(
            Q(vault_key__confirmed_at__isnull=True) | Q(vault_key__paused_at__isnull=False), is_active=True
        )
        .exclude(pk=by.pk)
        .order_by("email")
    )
    rows = []
    for staff in pending:
        done = set(StaffConfirmation.objects.filter(staff=staff).values_list("by_id", flat=True))
        rows.append((staff, max(0, confirmations_needed(staff) - len(done)), by.pk in done))
    return rows


def staff_confirm(*, by: Staff, staff_id: int, fingerprint: str, ring: keysets.KeyRing | None = None) -> bool:
    """An administrator confirms, in person, that the account's key is the person's: the fingerprint they read
    aloud from their dashboard matches. Returns True once enough administrators have confirmed.

    A coordinator confirmed by an administrator who holds the contact-index key gets it at once (with `ring`),
    so requests they open are matched against earlier ones without anyone passing by the dashboard."""
    require(by, Role.ADMINISTRATOR)
    staff = Staff.objects.filter(pk=staff_id, is_active=True).first()
    if staff is None or staffkeys.staff_key_sealable(staff_id=staff_id):
        raise AccountError(_("There is no account waiting for confirmation with this number."))
    if staff.pk == by.pk:
        raise AccountError(_("Another administrator must confirm you."))
    if not staffkeys.staff_key_sealable(staff_id=by.pk):
        raise AccountError(_("Your own account is not confirmed yet."))
    if not staffkeys.fingerprint_matches(staff_id=staff.pk, typed=fingerprint):
        # Kept (outside any transaction that the refusal rolls back): someone else may hold the invitation.
        audit_record(action="staff.confirm_mismatch", actor_id=by.pk, object_type="staff", object_id=staff.pk)
        raise AccountError(
            _("The fingerprint does not match. Do not confirm: ask the person to read it again from their own screen.")
        )
    with transaction.atomic():
        Staff.objects.select_for_update().filter(pk=staff.pk).first()
        StaffConfirmation.objects.get_or_create(staff=staff, by=by, defaults={"at": timezone.now()})
        audit_record(action="staff.confirm", actor_id=by.pk, object_type="staff", object_id=staff.pk)
        if StaffConfirmation.objects.filter(staff=staff).count() < confirmations_needed(staff):
            return False
        staffkeys.staff_key_confirm(staff_id=staff.pk, when=timezone.now())
        audit_record(action="staff.confirmed", actor_id=by.pk, object_type="staff", object_id=staff.pk)
        if ring is not None and staff.has_role(Role.COORDINATOR):
            for shared in blind.index_share(ring=ring, staff_ids=[staff.pk]):
                audit_record(action="vault.index_grant", actor_id=by.pk, object_type="staff", object_id=shared)
    return True


def staff_directory(*, by: Staff) -> list[Staff]:
    require(by, Role.ADMINISTRATOR)
    return list(Staff.objects.prefetch_related("roles").order_by("email"))


@transaction.atomic
def staff_deactivate(*, by: Staff, staff_id: int) -> None:
    """Someone left (or was taken): sign them out, destroy their grants; their cases are recovered via escrow."""
    require(by, Role.ADMINISTRATOR)
    if staff_id == by.pk:
        raise AccountError(_("You cannot deactivate your own account."))
    staff = Staff.objects.select_for_update().get(pk=staff_id)
    held = escrow.escrow_current()
    if held is not None and held.custody_wrap is not None and held.custodian_id == staff.pk:
        raise AccountError(_("This person holds the escrow key until it is split. Split it first."))
    staff.is_active = False
    staff.deactivated_at = timezone.now()
    staff.save(update_fields=["is_active", "deactivated_at"])
    staff.sessions.all().delete()
    keysets.grants_destroy_for_staff(staff_id=staff.pk)
    audit_record(action="staff.deactivate", actor_id=by.pk, object_type="staff", object_id=staff.pk)


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
    valid_roles = {r.value for r in Role}
    if not roles or not set(roles) <= valid_roles:
        raise AccountError(_("Choose at least one role."))
    problems = passphrase_problems(passphrase=passphrase, confirm=passphrase, email=email, display_name=display_name)
    if problems:
        raise AccountError(" ".join(problems))
    first_admin = Role.ADMINISTRATOR in roles and not administrator_exists()
    staff, private = staff_new(email=email, display_name=display_name, passphrase=passphrase, roles=roles)
    # An operator at the server's shell made this account: that is as "in person" as it gets.
    staffkeys.staff_key_confirm(staff_id=staff.pk, when=timezone.now())
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
