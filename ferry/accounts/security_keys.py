"""Security keys (WebAuthn) as an optional second factor: register, list, remove, and sign in with one."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts import throttle
from ferry.accounts.models import SecurityKey, Staff, StaffSession
from ferry.accounts.services import AccountError
from ferry.accounts.sessions import LoginFailed, lockout_alert
from ferry.audit.services import audit_record
from ferry.vault import security_keys as webauthn
from ferry.vault.security_keys import Challenge, SecurityKeyRejected


def _user_handle(staff: Staff) -> bytes:
    # An opaque handle, not the e-mail address: the authenticator stores it.
    return f"ferry-staff-{staff.pk}".encode()


def security_keys_of(staff: Staff) -> list[SecurityKey]:
    return list(SecurityKey.objects.filter(staff=staff).order_by("created_at"))


def registration_begin(*, staff: Staff, rp_id: str) -> Challenge:
    existing = [bytes(k.credential_id) for k in security_keys_of(staff)]
    return webauthn.registration_challenge(
        rp_id=rp_id,
        rp_name=settings.FERRY_ORG_NAME,
        user_id=_user_handle(staff),
        user_name=staff.display_name or f"staff-{staff.pk}",
        existing=existing,
    )


@transaction.atomic
def registration_finish(
    *, staff: Staff, answer: str, challenge: bytes, rp_id: str, origin: str, name: str
) -> SecurityKey:
    try:
        new = webauthn.registration_check(answer=answer, challenge=challenge, rp_id=rp_id, origin=origin)
    except SecurityKeyRejected:
        raise AccountError(_("The security key could not be registered. Try again.")) from None
    if SecurityKey.objects.filter(credential_id=new.credential_id).exists():
        raise AccountError(_("This security key is already registered."))
    key = SecurityKey.objects.create(
        staff=staff,
        name=(name.strip() or _("Security key"))[:60],
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        created_at=timezone.now(),
    )
    audit_record(action="staff.security_key_add", actor_id=staff.pk, object_type="security_key", object_id=key.pk)
    return key


def security_key_remove(*, staff: Staff, key_id: int) -> None:
    deleted, _detail = SecurityKey.objects.filter(staff=staff, pk=key_id).delete()
    if deleted:
        audit_record(
            action="staff.security_key_remove", actor_id=staff.pk, object_type="security_key", object_id=key_id
        )


def login_begin(*, session_id: str, rp_id: str) -> Challenge | None:
    """Challenge for the second login step, or None when the account has no security key."""
    row = StaffSession.objects.select_related("staff").get(pk=session_id)
    ids = [bytes(k.credential_id) for k in security_keys_of(row.staff)]
    return webauthn.assertion_challenge(rp_id=rp_id, credential_ids=ids) if ids else None


def login_finish(
    *, session_id: str, answer: str, challenge: bytes, rp_id: str, origin: str, client: str
) -> StaffSession:
    """Second login step with a security key; counts failures like a wrong one-time code."""
    row = StaffSession.objects.select_related("staff").get(pk=session_id)
    del client  # the second factor is throttled per account (accounts.throttle), not per address
    keys = throttle.factor_keys(staff_id=row.staff_id)
    failed = LoginFailed(_("The security key was not accepted. Try again or use your authenticator app."))
    if throttle.throttle_locked(keys):
        raise failed
    try:
        with transaction.atomic():
            credential_id = webauthn.answer_credential_id(answer)
            key = SecurityKey.objects.select_for_update().get(staff=row.staff, credential_id=credential_id)
            key.sign_count = webauthn.assertion_check(
                answer=answer,
                challenge=challenge,
                rp_id=rp_id,
                origin=origin,
                public_key=bytes(key.public_key),
                sign_count=key.sign_count,
            )
            key.last_used_at = timezone.now()
            key.save(update_fields=["sign_count", "last_used_at"])
    except (SecurityKeyRejected, SecurityKey.DoesNotExist):
        # Counted outside the failed transaction, so the failure is not rolled back with it.
        if throttle.throttle_failure(keys):
            lockout_alert(row.staff)
        raise failed from None
    throttle.throttle_success(keys + throttle.throttle_keys(email=row.staff.email))
    row.second_factor_done = True
    row.save(update_fields=["second_factor_done"])
    audit_record(action="staff.login", actor_id=row.staff_id, object_type="staff", object_id=row.staff_id)
    return row
