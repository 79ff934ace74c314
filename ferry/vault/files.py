"""Encrypted files: each file sealed under its own key (wrapped by the key set's key) before it reaches storage;
the file keys themselves, and removing stored ciphertexts once their keys are gone."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils import timezone

from ferry.vault import crypto
from ferry.vault.errors import StoredNameTaken, VaultError
from ferry.vault.keyring import KeyRing
from ferry.vault.models import FileKey, KeySet

STORAGE_ALIAS = "ferry_files"


def file_key_context(fk: FileKey) -> crypto.Context:
    return ("file_key", str(fk.pk), "key")


def file_key_new(
    *, key_set: KeySet, ring: KeyRing | None = None, set_key: bytes | None = None, when: datetime | None = None
) -> tuple[FileKey, bytes]:
    """A random key for one file, stored wrapped by the key set's key (from the ring, or given)."""
    if set_key is None:
        if ring is None:
            raise VaultError("a key ring or the key set's key is needed")
        set_key = ring.key_for(key_set)
    file_key = crypto.random_key()
    fk = FileKey(key_set=key_set, created_at=when or timezone.now())
    fk.wrapped_key = crypto.seal(set_key, file_key, file_key_context(fk))
    fk.save()
    return fk, file_key


def file_key_open(*, file_key: FileKey, ring: KeyRing | None = None, set_key: bytes | None = None) -> bytes:
    if set_key is None:
        if ring is None:
            raise VaultError("a key ring or the key set's key is needed")
        set_key = ring.key_for(file_key.key_set)
    return crypto.unseal(set_key, bytes(file_key.wrapped_key), file_key_context(file_key))


def file_key_move(*, file_id: uuid.UUID, old_key: bytes, new_key_set: KeySet, new_key: bytes) -> None:
    """Re-wrap one file's key under another key set's key (the file's content is not touched)."""
    fk = FileKey.objects.select_for_update().get(pk=file_id)
    plain = crypto.unseal(old_key, bytes(fk.wrapped_key), file_key_context(fk))
    fk.key_set = new_key_set
    fk.wrapped_key = crypto.seal(new_key, plain, file_key_context(fk))
    fk.save(update_fields=["key_set", "wrapped_key"])


def seal_file(file_key: bytes, file_key_id: str, content: bytes) -> bytes:
    return crypto.seal(file_key, content, ("file", file_key_id, "content"))


def open_file(file_key: bytes, file_key_id: str, blob: bytes) -> bytes:
    return crypto.unseal(file_key, blob, ("file", file_key_id, "content"))


def storage() -> Storage:
    """The storage chosen by settings.STORAGES["ferry_files"] (FERRY_FILE_STORAGE): the data folder or a bucket."""
    return storages[STORAGE_ALIAS]


def _path(file_key_id: str) -> str:
    return f"{file_key_id[:2]}/{file_key_id}.bin"


def file_put(
    *,
    key_set: KeySet,
    content: bytes,
    ring: KeyRing | None = None,
    set_key: bytes | None = None,
    when: datetime | None = None,
) -> uuid.UUID:
    """Seal and store a file; returns its id (the id of its file key). Plaintext never touches storage."""
    fk, key = file_key_new(key_set=key_set, ring=ring, set_key=set_key, when=when)
    store = storage()
    path = _path(str(fk.pk))
    name = store.save(path, ContentFile(seal_file(key, str(fk.pk), content)))
    if name != path:
        # Storage renamed it rather than replace an object: file_get would never find it.
        store.delete(name)
        raise StoredNameTaken("A stored object already has this file's name.")
    if when is not None and isinstance(store, FileSystemStorage):
        # The file's times on disk say no more than its row does. (A bucket sets its own; see docs/operations.md.)
        stamp = when.timestamp()
        os.utime(store.path(name), (stamp, stamp))
    return fk.pk


def file_get(*, file_id: uuid.UUID, ring: KeyRing | None = None, set_key: bytes | None = None) -> bytes:
    fk = FileKey.objects.select_related("key_set").get(pk=file_id)
    key = file_key_open(file_key=fk, ring=ring, set_key=set_key)
    with storage().open(_path(str(fk.pk))) as handle:
        return open_file(key, str(fk.pk), handle.read())


def stored_files_delete(file_ids: list[str]) -> None:
    """Remove stored ciphertexts whose keys are already gone (after a shred)."""
    store = storage()
    for file_id in file_ids:
        store.delete(_path(file_id))


def stored_sha256(file_id: uuid.UUID) -> str | None:
    """The SHA-256 of a file's stored ciphertext, read in chunks and needing no key; None if it is missing."""
    store, path = storage(), _path(str(file_id))
    if not store.exists(path):
        return None
    digest = hashlib.sha256()
    with store.open(path) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
