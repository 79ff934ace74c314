"""Escrow ceremonies run by administrators: split the escrow key k-of-n, and recover key sets with k shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.audit.services import audit_record
from ferry.core.errors import FerryError
from ferry.core.hooks import Hook
from ferry.core.permissions import require
from ferry.vault import escrow, staffkeys
from ferry.vault.errors import VaultError
from ferry.vault.keyring import KeyRing
from ferry.vault.models import Grant, KeySet

# A key set was granted to someone through the escrow: the app that owns the record carries on (cases
# assigns the recipient to the case); registered in cases.apps, since accounts never imports cases.
KEY_SET_RECOVERED = Hook("key_set_recovered")
# The key sets that belong together with some others (a request's own and its conversation): recovered
# together, so a new caseworker gets the whole case. Intake answers (intake.apps): key set ids -> siblings.
KEY_SET_SIBLINGS = Hook("key_set_siblings")


class CeremonyError(FerryError):
    """The ceremony could not go ahead; the message is translated and safe to show."""


@dataclass(frozen=True)
class EscrowStatus:
    exists: bool
    split: bool
    custodian_id: int | None
    threshold: int | None
    share_count: int | None
    split_at: datetime | None


def escrow_status() -> EscrowStatus:
    key = escrow.escrow_current()
    if key is None:
        return EscrowStatus(False, False, None, None, None, None)
    return EscrowStatus(True, key.custody_wrap is None, key.custodian_id, key.threshold, key.share_count, key.split_at)


def escrow_split(*, by: Staff, ring: KeyRing, threshold: int, shares: int) -> list[str]:
    require(by, Role.ADMINISTRATOR)
    try:
        with transaction.atomic():
            codes = escrow.escrow_split(ring=ring, threshold=threshold, shares=shares)
            audit_record(
                action="escrow.split", actor_id=by.pk, object_type="escrow", object_id=f"{threshold}-of-{shares}"
            )
    except escrow.EscrowError:
        raise CeremonyError(_("Only the custodian can split the escrow key, and only once.")) from None
    return codes


def orphaned_key_sets() -> list[KeySet]:
    """Key sets that no active staff member can open any more (someone left, was deactivated or under duress)."""
    held = Grant.objects.filter(key_set=OuterRef("pk"), staff__is_active=True)
    return list(KeySet.objects.filter(shredded_at__isnull=True).exclude(Exists(held)).order_by("pk"))


def escrow_recover(
    *, by: Staff, ring: KeyRing, key_set_ids: Sequence[int], to_staff_id: int, share_codes: Sequence[str]
) -> int:
    """Grant the given key sets to a staff member through the escrow key; needs k shares once the key is split."""
    require(by, Role.ADMINISTRATOR)
    if not Staff.objects.filter(pk=to_staff_id, is_active=True, **staffkeys.SEALABLE_STAFF).exists():
        raise CeremonyError(_("Choose an active staff member to receive the keys."))
    try:
        private = escrow.escrow_private_key(ring=ring, share_codes=share_codes)
    except escrow.EscrowError:
        raise CeremonyError(_("Until the escrow key is split, only its custodian can recover key sets.")) from None
    except VaultError:
        raise CeremonyError(_("These shares do not recover the escrow key. Check each one and try again.")) from None
    orphaned = {ks.pk for ks in orphaned_key_sets()}
    if not set(key_set_ids) <= orphaned:
        raise CeremonyError(_("Only key sets that no active staff member can open are recovered this way."))
    wanted = set(key_set_ids)
    for siblings in KEY_SET_SIBLINGS.send(key_set_ids=wanted):
        wanted |= set(siblings) & orphaned
    key_sets = list(KeySet.objects.filter(pk__in=wanted, shredded_at__isnull=True).order_by("pk"))
    if not key_sets:
        raise CeremonyError(_("Choose at least one key set to recover."))
    with transaction.atomic():
        for key_set in key_sets:
            try:
                escrow.escrow_recover_keyset(key_set=key_set, escrow_private=private, to_staff_id=to_staff_id)
            except VaultError:
                raise CeremonyError(_("A key set could not be recovered; nothing was changed.")) from None
            audit_record(action="escrow.recover", actor_id=by.pk, object_type="key_set", object_id=key_set.pk)
            KEY_SET_RECOVERED.send(key_set_id=key_set.pk, staff_id=to_staff_id, by=by)
    return len(key_sets)
