"""A signed-in staff member's key ring: opens key-set keys from grants, in bulk, with a per-session cache."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from ferry.vault import crypto
from ferry.vault.errors import BadFormat, DecryptionFailed, VaultError
from ferry.vault.models import Grant, KeySet, SessionKeyBundle

# One bundle entry: key set id (8 bytes), generation (4 bytes), key (32 bytes).
_ENTRY = struct.Struct(">QI32s")

KeySetRef = tuple[int, int]
"""(key set id, generation): what a cached key is bound to."""


class NoGrant(VaultError):
    """The staff member holds no grant for this key set (or it was revoked or shredded)."""


def bundle_pack(keys: dict[KeySetRef, bytes]) -> bytes:
    return b"".join(_ENTRY.pack(pk, generation, key) for (pk, generation), key in sorted(keys.items()))


def bundle_unpack(data: bytes) -> dict[KeySetRef, bytes]:
    if len(data) % _ENTRY.size:
        raise BadFormat("session key bundle is malformed")
    return {(pk, generation): key for pk, generation, key in _ENTRY.iter_unpack(data)}


@dataclass
class KeyRing:
    """The unlocked private key for one request, and the key-set keys opened with it.

    With a session (session_id and the client-held session_key), the keys opened so far are kept sealed
    together under the session key: a later page opens all of them with one symmetric operation, and
    opens a grant (X25519) only for a key set it has not met before."""

    staff_id: int
    private_key: bytes
    session_id: str | None = None
    session_key: bytes | None = field(default=None, repr=False)
    _opened: dict[KeySetRef, bytes] = field(default_factory=dict, repr=False)
    _bundle_loaded: bool = field(default=False, repr=False)

    def key_for(self, key_set: KeySet) -> bytes:
        key = self.keys_for([key_set]).get(key_set.pk)
        if key is None:
            raise NoGrant("no grant")
        return key

    def can_open(self, key_set: KeySet) -> bool:
        return key_set.pk in self.keys_for([key_set])

    def keys_for(self, key_sets: Iterable[KeySet]) -> dict[int, bytes]:
        """The keys this ring can open among the given key sets, by key set id; two queries at most."""
        return self.keys_for_refs((ks.pk, ks.generation) for ks in key_sets if ks.shredded_at is None)

    def keys_for_refs(self, refs: Iterable[KeySetRef]) -> dict[int, bytes]:
        """keys_for, from (id, generation) pairs a list page read with its rows (no KeySet objects needed).

        The caller passes only key sets that are not shredded."""
        wanted = set(refs)
        missing = wanted - self._opened.keys()
        if missing and self._has_session():
            self._load_bundle()
            missing -= self._opened.keys()
        if missing and self._open_grants(missing) and self._has_session():
            self._save_bundle()
        return {pk: self._opened[(pk, gen)] for pk, gen in wanted if (pk, gen) in self._opened}

    def _has_session(self) -> bool:
        return bool(self.session_id and self.session_key)

    def _bundle_context(self) -> crypto.Context:
        return ("session_keys", str(self.session_id), "bundle")

    def _load_bundle(self) -> None:
        if self._bundle_loaded:
            return
        self._bundle_loaded = True
        assert self.session_key is not None  # noqa: S101 - checked by _has_session
        wrapped = SessionKeyBundle.objects.filter(session_id=self.session_id).values_list("wrapped", flat=True).first()
        if wrapped is None:
            return
        try:
            cached = bundle_unpack(crypto.unseal(self.session_key, bytes(wrapped), self._bundle_context()))
        except (DecryptionFailed, BadFormat):
            return
        for ref, key in cached.items():
            self._opened.setdefault(ref, key)

    def _save_bundle(self, now: datetime | None = None) -> None:
        assert self.session_key is not None  # noqa: S101 - checked by _has_session
        wrapped = crypto.seal(self.session_key, bundle_pack(self._opened), self._bundle_context())
        # Two pages of one session saving at once: the later wins, and the other's new keys are simply
        # opened from their grants again next time.
        SessionKeyBundle.objects.update_or_create(
            session_id=self.session_id, defaults={"wrapped": wrapped, "updated_at": now or timezone.now()}
        )

    def _open_grants(self, refs: set[KeySetRef]) -> bool:
        """Open what the staff member's grants give among refs; True if anything new was opened."""
        grants = Grant.objects.filter(staff_id=self.staff_id, key_set_id__in={pk for pk, _gen in refs}).values_list(
            "key_set_id", "generation", "sealed_key"
        )
        opened = False
        for key_set_id, generation, sealed in grants:
            if (key_set_id, generation) not in refs:
                continue
            try:
                key = crypto.unseal_from(self.private_key, bytes(sealed))
            except DecryptionFailed:
                continue
            self._opened[(key_set_id, generation)] = key
            opened = True
        return opened

    def forget(self) -> None:
        self._opened.clear()
        self._bundle_loaded = False


def session_caches_drop(*, staff_ids: Iterable[int]) -> None:
    """Delete the key caches of every session of these staff members (after a revoke, a shred, a duress)."""
    SessionKeyBundle.objects.filter(session__staff_id__in=list(staff_ids)).delete()
