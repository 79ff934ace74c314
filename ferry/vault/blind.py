"""Blind indexes of contact details, under the organisation's index key held in a granted key set."""

from __future__ import annotations

from ferry.vault import crypto
from ferry.vault.keysets import KeyRing, keyset_create, keyset_grant
from ferry.vault.models import Grant, KeySet


def index_key_set() -> KeySet | None:
    """The oldest live index key set (key set ids are random, so the oldest is found by its time)."""
    live = KeySet.objects.filter(purpose=KeySet.Purpose.BLIND_INDEX, shredded_at__isnull=True)
    return live.order_by("created_at", "pk").first()


def index_key_set_create(*, grant_to: list[int]) -> KeySet:
    key_set, _key = keyset_create(purpose=KeySet.Purpose.BLIND_INDEX, grant_to=grant_to)
    return key_set


def blind_index(*, ring: KeyRing, kind: str, value: str) -> str:
    """Hex of the keyed BLAKE2b of the normalised value; equal for equal contacts, meaningless without the key.

    Raises NoGrant when the ring holds no grant for the index key, ValueError when the value cannot be normalised."""
    key_set = index_key_set()
    if key_set is None:
        raise ValueError("no index key")
    return crypto.blind_index(ring.key_for(key_set), kind, value).hex()


def index_share(*, ring: KeyRing, staff_ids: list[int]) -> list[int]:
    """Grant the index key to the listed staff who lack it, if this ring can open it; returns who got it.

    Nobody but a holder can seal the key to someone else, so holders share it as they pass by."""
    key_set = index_key_set()
    if key_set is None or not staff_ids or not ring.can_open(key_set):
        return []
    holders = set(Grant.objects.filter(key_set=key_set, staff_id__in=staff_ids).values_list("staff_id", flat=True))
    missing = [pk for pk in staff_ids if pk not in holders]
    for staff_id in missing:
        keyset_grant(key_set=key_set, ring=ring, staff_id=staff_id)
    return missing
