"""A signed-in staff member's key ring: opens key-set keys from grants, in bulk, with a per-session cache."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ferry.vault import crypto
from ferry.vault.errors import DecryptionFailed, VaultError
from ferry.vault.models import Grant, KeySet, SessionKey


class NoGrant(VaultError):
    """The staff member holds no grant for this key set (or it was revoked or shredded)."""


@dataclass
class KeyRing:
    """The unlocked private key for one request, and the key-set keys opened with it.

    With a session (session_id and the client-held session_key), keys opened once are kept re-sealed under
    the session key, so later pages open them with one symmetric operation instead of an X25519 one."""

    staff_id: int
    private_key: bytes
    session_id: str | None = None
    session_key: bytes | None = field(default=None, repr=False)
    _opened: dict[tuple[int, int], bytes] = field(default_factory=dict, repr=False)

    def key_for(self, key_set: KeySet) -> bytes:
        key = self.keys_for([key_set]).get(key_set.pk)
        if key is None:
            raise NoGrant("no grant")
        return key

    def can_open(self, key_set: KeySet) -> bool:
        return key_set.pk in self.keys_for([key_set])

    def keys_for(self, key_sets: Iterable[KeySet]) -> dict[int, bytes]:
        """The keys this ring can open among the given key sets, by key set id; two queries at most."""
        wanted = {(ks.pk, ks.generation) for ks in key_sets if ks.shredded_at is None}
        missing = {ref for ref in wanted if ref not in self._opened}
        if missing and self.session_id and self.session_key:
            self._open_cached(missing)
            missing -= self._opened.keys()
        if missing:
            self._open_grants(missing)
        return {pk: self._opened[(pk, gen)] for pk, gen in wanted if (pk, gen) in self._opened}

    def _cache_context(self, key_set_id: int, generation: int) -> crypto.Context:
        return ("session_key", str(self.session_id), f"{key_set_id}:{generation}")

    def _open_cached(self, refs: set[tuple[int, int]]) -> None:
        assert self.session_key is not None  # noqa: S101 - checked by the caller
        rows = SessionKey.objects.filter(
            session_id=self.session_id, key_set_id__in={pk for pk, _gen in refs}
        ).values_list("key_set_id", "generation", "wrapped_key")
        for key_set_id, generation, wrapped in rows:
            if (key_set_id, generation) in refs:
                try:
                    key = crypto.unseal(self.session_key, bytes(wrapped), self._cache_context(key_set_id, generation))
                except DecryptionFailed:
                    continue
                self._opened[(key_set_id, generation)] = key

    def _open_grants(self, refs: set[tuple[int, int]]) -> None:
        grants = Grant.objects.filter(staff_id=self.staff_id, key_set_id__in={pk for pk, _gen in refs}).values_list(
            "key_set_id", "generation", "sealed_key"
        )
        fresh = []
        for key_set_id, generation, sealed in grants:
            if (key_set_id, generation) not in refs:
                continue
            try:
                key = crypto.unseal_from(self.private_key, bytes(sealed))
            except DecryptionFailed:
                continue
            self._opened[(key_set_id, generation)] = key
            if self.session_id and self.session_key:
                wrapped = crypto.seal(self.session_key, key, self._cache_context(key_set_id, generation))
                fresh.append(
                    SessionKey(
                        session_id=self.session_id, key_set_id=key_set_id, generation=generation, wrapped_key=wrapped
                    )
                )
        if fresh:
            SessionKey.objects.bulk_create(fresh, ignore_conflicts=True)

    def forget(self) -> None:
        self._opened.clear()
