"""Encrypted files: each file sealed under its own key (wrapped by the key set's key) before it reaches storage."""

from __future__ import annotations

import os
import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

from ferry.vault.errors import StoredNameTaken
from ferry.vault.keysets import KeyRing, file_key_new, file_key_open, open_file, seal_file
from ferry.vault.models import FileKey, KeySet

STORAGE_ALIAS = "ferry_files"


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
