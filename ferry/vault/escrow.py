"""The organisation's escrow key: created at set-up, split k-of-n at a ceremony, recombined to recover a key set."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from ferry.vault import crypto, shamir
from ferry.vault.errors import BadShare, DecryptionFailed, NotEnoughShares, VaultError
from ferry.vault.keyring import KeyRing, NoGrant
from ferry.vault.keysets import keyset_grant_with_key
from ferry.vault.models import EscrowKey, Grant, KeySet, StaffKey

MIN_THRESHOLD = 2


class EscrowError(VaultError):
    """The escrow key is not in the state this operation needs."""


def escrow_create(*, custodian_id: int) -> EscrowKey:
    """Generate the escrow key pair; until the split, its private key is sealed to the custodian."""
    if EscrowKey.objects.exists():
        raise EscrowError("an escrow key already exists")
    public, private = crypto.keypair_new()
    custodian_public = StaffKey.objects.values_list("public_key", flat=True).get(staff_id=custodian_id)
    return EscrowKey.objects.create(
        public_key=public,
        created_at=timezone.now(),
        custodian_id=custodian_id,
        custody_wrap=crypto.seal_to(bytes(custodian_public), private),
    )


def escrow_current() -> EscrowKey | None:
    return EscrowKey.objects.order_by("-created_at").first()


@transaction.atomic
def escrow_split(*, ring: KeyRing, threshold: int, shares: int) -> list[str]:
    """Split the escrow private key into printable shares, shown once; the server keeps none of it afterwards."""
    escrow = EscrowKey.objects.select_for_update().order_by("-created_at").first()
    if escrow is None or escrow.custody_wrap is None:
        raise EscrowError("the escrow key is not in custody (already split, or missing)")
    if escrow.custodian_id != ring.staff_id:
        raise EscrowError("only the custodian can split the escrow key")
    if not MIN_THRESHOLD <= threshold <= shares <= 255:
        raise EscrowError("need 2 <= threshold <= shares <= 255")
    try:
        private = crypto.unseal_from(ring.private_key, bytes(escrow.custody_wrap))
    except DecryptionFailed:
        raise EscrowError("custody key does not open") from None
    parts = shamir.split(private, shares=shares, threshold=threshold)
    escrow.custody_wrap = None
    escrow.split_at = timezone.now()
    escrow.threshold = threshold
    escrow.share_count = shares
    escrow.save(update_fields=["custody_wrap", "split_at", "threshold", "share_count"])
    return [shamir.encode_share(p) for p in parts]


def escrow_private_key(*, ring: KeyRing | None = None, share_codes: Sequence[str] = ()) -> bytes:
    """The escrow private key, from the custodian's ring (before the split) or from k shares (after)."""
    escrow = escrow_current()
    if escrow is None:
        raise EscrowError("no escrow key")
    if escrow.custody_wrap is not None:
        if ring is None or escrow.custodian_id != ring.staff_id:
            raise EscrowError("the escrow key is in the custodian's hands")
        return crypto.unseal_from(ring.private_key, bytes(escrow.custody_wrap))
    threshold = escrow.threshold or MIN_THRESHOLD
    decoded = [shamir.decode_share(code) for code in share_codes if code.strip()]
    if len(decoded) < threshold:
        raise NotEnoughShares(f"{threshold} shares are needed")
    private = shamir.combine(decoded)
    # Too few or wrong shares interpolate to some other value: the public key tells.
    if len(private) != crypto.KEY_BYTES or not crypto.constant_time_equal(
        crypto.public_from_private(private), bytes(escrow.public_key)
    ):
        raise BadShare("the shares do not recover the escrow key")
    return private


@transaction.atomic
def escrow_recover_keyset(*, key_set: KeySet, escrow_private: bytes, to_staff_id: int) -> None:
    """Grant a key set to a staff member using the escrow grant (case handover after a loss)."""
    sealed = (
        Grant.objects.filter(key_set=key_set, escrow__isnull=False, generation=key_set.generation)
        .values_list("sealed_key", flat=True)
        .first()
    )
    if sealed is None or key_set.shredded_at is not None:
        raise NoGrant("no escrow grant")
    key = crypto.unseal_from(escrow_private, bytes(sealed))
    keyset_grant_with_key(key_set=key_set, key=key, staff_id=to_staff_id)
