"""Blind indexes of contact details, under the organisation's index key held in a granted key set."""

from __future__ import annotations

from ferry.vault import crypto
from ferry.vault.keysets import KeyRing, keyset_create
from ferry.vault.models import KeySet


def index_key_set() -> KeySet | None:
    return KeySet.objects.filter(purpose=KeySet.Purpose.BLIND_INDEX, shredded_at__isnull=True).order_by("pk").first()


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
