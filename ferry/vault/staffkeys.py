"""A staff member's key pair: created at account creation, wrapped by passphrase and by recovery code."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction

from ferry.vault import crypto
from ferry.vault.errors import DecryptionFailed, WrongSecret
from ferry.vault.models import StaffKey

RECOVERY_GROUPS = 6  # 6 groups of 5 base32 characters: 150 bits


def kdf_profile() -> str:
    return str(getattr(settings, "FERRY_KDF_PROFILE", "moderate"))


def _ctx(staff_id: int, purpose: str) -> crypto.Context:
    return ("staff_key", str(staff_id), purpose)


def recovery_code_new() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(RECOVERY_GROUPS))


def normalise_recovery_code(code: str) -> str:
    letters = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(letters[i : i + 5] for i in range(0, len(letters), 5))


def _wrap(secret: str, private: bytes, staff_id: int, purpose: str) -> tuple[bytes, dict[str, int | str]]:
    params = crypto.kdf_params_new(kdf_profile())
    return crypto.seal(crypto.derive_key(secret, params), private, _ctx(staff_id, purpose)), params.to_dict()


def _unwrap(secret: str, wrapped: bytes, params: dict[str, object], staff_id: int, purpose: str) -> bytes:
    key = crypto.derive_key(secret, crypto.KdfParams.from_dict(params))
    try:
        return crypto.unseal(key, bytes(wrapped), _ctx(staff_id, purpose))
    except DecryptionFailed:
        raise WrongSecret("the passphrase or code does not open this key") from None


def staff_key_create(*, staff_id: int, passphrase: str) -> bytes:
    """Create the key pair, store it wrapped by the passphrase, and return the private key for this request."""
    public, private = crypto.keypair_new()
    wrap, params = _wrap(passphrase, private, staff_id, "passphrase")
    StaffKey.objects.create(
        staff_id=staff_id,
        public_key=public,
        passphrase_wrap=wrap,
        passphrase_kdf=params,
    )
    return private


def staff_key_unlock(*, staff_id: int, passphrase: str) -> bytes:
    """The private key, if the passphrase is right; WrongSecret otherwise."""
    key = StaffKey.objects.get(staff_id=staff_id)
    return _unwrap(passphrase, key.passphrase_wrap, key.passphrase_kdf, staff_id, "passphrase")


def staff_key_set_passphrase(*, staff_id: int, private: bytes, passphrase: str) -> None:
    """Re-wrap under a new passphrase; the key pair stays, so every grant stays valid."""
    wrap, params = _wrap(passphrase, private, staff_id, "passphrase")
    StaffKey.objects.filter(staff_id=staff_id).update(passphrase_wrap=wrap, passphrase_kdf=params)


def staff_key_new_recovery_code(*, staff_id: int, private: bytes) -> str:
    """A fresh recovery code; the previous one stops working."""
    code = recovery_code_new()
    wrap, params = _wrap(code, private, staff_id, "recovery")
    StaffKey.objects.filter(staff_id=staff_id).update(recovery_wrap=wrap, recovery_kdf=params)
    return code


@transaction.atomic
def staff_key_recover(*, staff_id: int, recovery_code: str, new_passphrase: str) -> tuple[bytes, str]:
    """Open the key with the recovery code, wrap it under a new passphrase and a new recovery code."""
    key = StaffKey.objects.select_for_update().get(staff_id=staff_id)
    if key.recovery_wrap is None or key.recovery_kdf is None:
        dummy_recover_work()  # the same work as a wrong code
        raise WrongSecret("no recovery code is set")
    code = normalise_recovery_code(recovery_code)
    private = _unwrap(code, key.recovery_wrap, key.recovery_kdf, staff_id, "recovery")
    staff_key_set_passphrase(staff_id=staff_id, private=private, passphrase=new_passphrase)
    return private, staff_key_new_recovery_code(staff_id=staff_id, private=private)


def staff_key_set_duress(*, staff_id: int, duress_passphrase: str | None) -> None:
    """Store a check value sealed under the duress passphrase (or remove it). It opens nothing."""
    if duress_passphrase is None:
        StaffKey.objects.filter(staff_id=staff_id).update(duress_check=None, duress_kdf=None)
        return
    params = crypto.kdf_params_new(kdf_profile())
    check = crypto.seal(
        crypto.derive_key(duress_passphrase, params),
        b"duress",
        _ctx(staff_id, "duress"),
    )
    StaffKey.objects.filter(staff_id=staff_id).update(duress_check=check, duress_kdf=params.to_dict())


def staff_key_check_login(*, staff_id: int, passphrase: str) -> tuple[bytes | None, bool]:
    """Try the passphrase as the real one and as the duress one, always both, so timing tells nothing.

    Returns (private key or None, is_duress)."""
    key = StaffKey.objects.get(staff_id=staff_id)
    private: bytes | None
    try:
        private = _unwrap(passphrase, key.passphrase_wrap, key.passphrase_kdf, staff_id, "passphrase")
    except WrongSecret:
        private = None
    is_duress = False
    if key.duress_check is not None and key.duress_kdf is not None:
        derived = crypto.derive_key(passphrase, crypto.KdfParams.from_dict(key.duress_kdf))
        try:
            is_duress = crypto.unseal(derived, bytes(key.duress_check), _ctx(staff_id, "duress")) == b"duress"
        except DecryptionFailed:
            is_duress = False
    else:
        # Same work as a duress check, so an account with a duress passphrase is not told apart by timing.
        crypto.derive_key(passphrase, crypto.KdfParams.from_dict(key.passphrase_kdf))
    return (None, True) if is_duress and private is None else (private, False)


def _typical_params(field: str) -> crypto.KdfParams:
    """The cost the accounts' keys were last wrapped at (a fresh salt): what a check on an unknown account
    runs, so it costs what a real one does even when the configured profile changed since (a lighter one)."""
    stored = (
        StaffKey.objects.exclude(**{f"{field}__isnull": True}).order_by("-updated_at").values_list(field, flat=True)
    )
    latest = stored.first()
    if latest is None:
        return crypto.kdf_params_new(kdf_profile())
    params = crypto.KdfParams.from_dict(latest)
    return crypto.KdfParams(
        opslimit=params.opslimit, memlimit=params.memlimit, salt=crypto.random_bytes(len(params.salt))
    )


def dummy_unlock_work() -> None:
    """The cost of a login check for an unknown account, so 'no such account' and 'wrong passphrase' look alike."""
    params = _typical_params("passphrase_kdf")
    crypto.derive_key(secrets.token_hex(8), params)
    crypto.derive_key(secrets.token_hex(8), params)


def dummy_recover_work() -> None:
    """The cost of a recovery-code check for an unknown account: one derivation, as for a wrong code."""
    crypto.derive_key(secrets.token_hex(8), _typical_params("recovery_kdf"))


def throwaway_private_key() -> bytes:
    """A private key that matches no stored public key: what a duress session carries."""
    return crypto.keypair_new()[1]


def fingerprint(*, staff_id: int) -> str:
    """A short fingerprint of the staff member's public key, to read aloud: five groups of four characters."""
    public = StaffKey.objects.filter(staff_id=staff_id).values_list("public_key", flat=True).first()
    if public is None:
        return ""
    digest = crypto.digest(bytes(public), b"ferry.fingerpr", size=10).hex().upper()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def fingerprint_matches(*, staff_id: int, typed: str) -> bool:
    expected = fingerprint(staff_id=staff_id).replace(" ", "")
    given = "".join(ch for ch in typed.upper() if ch.isalnum())
    return bool(expected) and crypto.constant_time_equal(expected.encode(), given.encode())


def staff_key_confirm(*, staff_id: int, when: datetime) -> None:
    """From now on, key sets may be sealed to this staff member (a pause after a duress login ends too)."""
    StaffKey.objects.filter(staff_id=staff_id, confirmed_at__isnull=True).update(confirmed_at=when)
    staff_key_resume(staff_id=staff_id)


def staff_key_confirmed(*, staff_id: int) -> bool:
    return StaffKey.objects.filter(staff_id=staff_id, confirmed_at__isnull=False).exists()


# Filters for staff who may receive a key set: confirmed in person, and not paused by a duress login.
SEALABLE_KEY = {"confirmed_at__isnull": False, "paused_at__isnull": True}
SEALABLE_STAFF = {f"vault_key__{name}": value for name, value in SEALABLE_KEY.items()}


def staff_key_sealable(*, staff_id: int) -> bool:
    """Confirmed, and not paused by a duress login: key sets may be sealed to this staff member."""
    return StaffKey.objects.filter(staff_id=staff_id, confirmed_at__isnull=False, paused_at__isnull=True).exists()


def staff_key_pause(*, staff_id: int, when: datetime) -> None:
    """After a duress login: nothing new is sealed to this key until administrators confirm the person again."""
    StaffKey.objects.filter(staff_id=staff_id).update(paused_at=when)


def staff_key_resume(*, staff_id: int) -> None:
    StaffKey.objects.filter(staff_id=staff_id).update(paused_at=None)
