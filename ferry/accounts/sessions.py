"""Signed-in sessions, the two login steps, throttling, and what a duress login sets off."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts import throttle
from ferry.accounts.models import Role, Staff, StaffAlert, StaffConfirmation, StaffSession
from ferry.accounts.services import AccountError
from ferry.accounts.totp import CodeAnswer, CodeCheck, totp_check
from ferry.audit.services import audit_record
from ferry.vault import keysets, session, staffkeys

# --- sessions ---------------------------------------------------------------------------------------


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
    private, session_key = session.session_unwrap(client_key=client_key, wrapped=row.wrapped_key, session_id=row.pk)
    if row.last_seen_at < now - timedelta(seconds=30):
        StaffSession.objects.filter(pk=row.pk).update(last_seen_at=now)
    return row, keysets.KeyRing(staff_id=row.staff_id, private_key=private, session_id=row.pk, session_key=session_key)


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
            lockout_alert(staff)
        raise LoginFailed(_("Wrong e-mail address or passphrase, or too many attempts. Try again later."))
    private, is_duress = staffkeys.staff_key_check_login(staff_id=staff.pk, passphrase=passphrase)
    if is_duress:
        return PassphraseOk(staff=staff, unlocked=_duress_triggered(staff))
    if private is None:
        if throttle.throttle_failure(keys):
            lockout_alert(staff)
        raise LoginFailed(_("Wrong e-mail address or passphrase, or too many attempts. Try again later."))
    return PassphraseOk(staff=staff, unlocked=staff_session_start(staff=staff, private_key=private))


def login_second_factor(*, session_id: str, code: str, client: str) -> StaffSession:
    row = StaffSession.objects.select_related("staff").get(pk=session_id)
    del client  # the second factor is throttled per account (accounts.throttle), not per address
    keys = throttle.factor_keys(staff_id=row.staff_id)
    answer = CodeAnswer(CodeCheck.WRONG) if throttle.throttle_locked(keys) else totp_check(staff=row.staff, code=code)
    if not answer.ok:
        # A code not checked (too soon after a wrong one) is no guess: only checked codes count.
        if answer.check != CodeCheck.TOO_SOON and throttle.throttle_failure(keys):
            lockout_alert(row.staff)
        raise LoginFailed(answer.refusal())
    throttle.throttle_success(keys + throttle.throttle_keys(email=row.staff.email))
    row.second_factor_done = True
    row.save(update_fields=["second_factor_done"])
    # A duress session is audited as an ordinary login; the duress itself was audited at the first step.
    audit_record(action="staff.login", actor_id=row.staff_id, object_type="staff", object_id=row.staff_id)
    return row


def _staff_with_role(role: str) -> list[Staff]:
    return list(Staff.objects.filter(is_active=True, roles__role=role).distinct())


def _alert(kind: str, about: Staff) -> None:
    """In-app alerts to administrators and coordinators; the worker e-mails them (accounts.tasks.alerts_email).

    Nothing is sent from the request: a duress or lockout login takes the time of any other login, however
    slow the mail server is."""
    now = timezone.now()
    recipients = {s.pk for s in _staff_with_role(Role.ADMINISTRATOR) + _staff_with_role(Role.COORDINATOR)}
    recipients.discard(about.pk)
    StaffAlert.objects.bulk_create(
        [
            StaffAlert(kind=kind, about_staff=about, recipient_id=pk, created_at=now, emailed=False)
            for pk in sorted(recipients)
        ]
    )


def lockout_alert(staff: Staff) -> None:
    audit_record(action="staff.lockout", object_type="staff", object_id=staff.pk)
    _alert(StaffAlert.Kind.LOCKOUT, staff)


@transaction.atomic
def _duress_triggered(staff: Staff) -> Unlocked:
    """Destroy the account's own grants, end its other sessions, alert coordinators and administrators."""
    keysets.grants_destroy_for_staff(staff_id=staff.pk)
    # Nothing new is sealed to the coerced person's real key either (a coordinator would receive every new
    # request): administrators confirm them again, in person, once they are safe.
    staffkeys.staff_key_pause(staff_id=staff.pk, when=timezone.now())
    StaffConfirmation.objects.filter(staff=staff).delete()
    StaffSession.objects.filter(staff=staff).delete()
    audit_record(action="staff.duress", object_type="staff", object_id=staff.pk)
    _alert(StaffAlert.Kind.DURESS, staff)
    # The session holds a throwaway key: it opens nothing, and looks like any other session.
    return staff_session_start(staff=staff, private_key=staffkeys.throwaway_private_key(), duress=True)
