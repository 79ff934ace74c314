"""Encrypted files: each file sealed under its own key (wrapped by the key set's key) before it reaches storage;
the file keys themselves, writing a file whole before its row commits, and collecting stored files no row names.

Two ways in. A file put without a day (staff's evidence) is written whole to storage (a temporary name, fsync,
then moved into place) before the caller's transaction commits its key: a crash before the commit leaves an
orphan, never a row without its file, and the sweep removes orphans a margin later. A file a person sent
(`when` = the day) waits sealed in the database, committed with its row, and goes to storage in the first batch
after its day ends, in random order: its times on disk, and its folder's, say no more than the row's day.

A large file made on the fly (an export of a million rows) goes in and out as a stream (`file_put_stream`,
`file_get_stream`): sealed message by message with libsodium's secretstream, never whole in memory. Its stored
form starts with a version byte of its own, so `file_get` opens both forms, and old files stay as they are."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import transaction
from django.utils import timezone

from ferry.vault import crypto, streams
from ferry.vault.errors import StoredNameTaken, VaultError
from ferry.vault.keyring import KeyRing
from ferry.vault.models import FileKey, KeySet, PendingFile, ShreddedFile

STORAGE_ALIAS = "ferry_files"
# How long a stored file with no row is kept before the sweep removes it: far longer than any transaction that
# writes a file before committing its row, and than a backup takes to copy the files its database names.
SWEEP_MARGIN = timedelta(hours=24)
_NAME = re.compile(r"^[0-9a-f]{2}/(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.bin$")
_PARTIAL = re.compile(r"^[0-9a-f]{2}/\.[0-9a-f-]{36}\.bin\.[A-Za-z0-9_]+$")


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
    # Padded to a size bucket: a stored file's size must not point to the file on a seized phone.
    return crypto.seal_padded(file_key, content, ("file", file_key_id, "content"))


def open_file(file_key: bytes, file_key_id: str, blob: bytes) -> bytes:
    if streams.is_stream(blob):
        return b"".join(streams.open_stream(file_key, io.BytesIO(blob).read, ("file", file_key_id, "content")))
    return crypto.unseal(file_key, blob, ("file", file_key_id, "content"))


def sealed_shape_ok(blob: bytes) -> bool:
    """A stored ciphertext looks whole (what can be checked without its key; see core/backup.py): a sealed
    blob, or a sealed stream."""
    return crypto.sealed_shape_ok(blob) or streams.stream_shape_ok(blob)


def storage() -> Storage:
    """The storage chosen by settings.STORAGES["ferry_files"] (FERRY_FILE_STORAGE): the data folder or a bucket."""
    return storages[STORAGE_ALIAS]


def stored_name(file_key_id: str) -> str:
    """Where a file's ciphertext is stored (in the data folder's files/, or the bucket)."""
    return f"{file_key_id[:2]}/{file_key_id}.bin"


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _saved_as_named(store: Storage, name: str, content: File) -> None:
    # An object store's upload is whole or absent by itself.
    saved = store.save(name, content)
    if saved != name:
        # Storage renamed it rather than replace an object: file_get would never find it.
        store.delete(saved)
        raise StoredNameTaken("A stored object already has this file's name.")


def stored_write(
    store: Storage,
    name: str,
    blob: bytes | Iterable[bytes],
    *,
    stamp: datetime | None = None,
    durable: bool = True,
) -> None:
    """Store a ciphertext whole under its name, never replacing another object; durable before this returns.
    `blob` is the ciphertext, or its pieces as they are made (a stream: never whole in memory).

    On disk: a temporary file in the same folder, flushed to the disk, then linked to its name (which fails
    rather than replace) and the folder flushed, so a crash leaves the whole file or none under the name.
    `durable=False` skips the flushes, for a throwaway copy (a backup's check) that no crash needs to survive.
    Pieces that fail part-way (what makes them raised) leave nothing under the name."""
    pieces: Iterable[bytes] = [blob] if isinstance(blob, bytes) else blob
    if not isinstance(store, FileSystemStorage):
        if isinstance(blob, bytes):
            _saved_as_named(store, name, ContentFile(blob))
            return
        with tempfile.TemporaryFile() as spool:
            for piece in pieces:
                spool.write(piece)
            spool.seek(0)
            _saved_as_named(store, name, File(spool, name=name))
        return
    final = Path(store.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(partial, 0o600)
        if stamp is not None:
            # The file's times on disk say no more than its row does. (A bucket sets its own; see docs.)
            os.utime(partial, (stamp.timestamp(), stamp.timestamp()))
        try:
            os.link(partial, final)
        except FileExistsError:
            raise StoredNameTaken("A stored object already has this file's name.") from None
    finally:
        os.unlink(partial)
    if durable:
        _fsync_folder(final.parent)


def file_put(
    *,
    key_set: KeySet,
    content: bytes,
    ring: KeyRing | None = None,
    set_key: bytes | None = None,
    when: datetime | None = None,
) -> uuid.UUID:
    """Seal and store a file; returns its id (the id of its file key). Plaintext never touches storage.

    With `when` (a person's file, dated by its day) the ciphertext waits in the database with its row until
    the day's batch (stored_files_flush); without, it is stored whole now, before the caller commits."""
    fk, key = file_key_new(key_set=key_set, ring=ring, set_key=set_key, when=when)
    blob = seal_file(key, str(fk.pk), content)
    if when is not None:
        PendingFile.objects.create(file_key=fk, blob=blob)
    else:
        stored_write(storage(), stored_name(str(fk.pk)), blob)
    return fk.pk


def file_get(*, file_id: uuid.UUID, ring: KeyRing | None = None, set_key: bytes | None = None) -> bytes:
    fk = FileKey.objects.select_related("key_set").get(pk=file_id)
    key = file_key_open(file_key=fk, ring=ring, set_key=set_key)
    pending = PendingFile.objects.filter(file_key=fk).values_list("blob", flat=True).first()
    if pending is not None:
        return open_file(key, str(fk.pk), bytes(pending))
    with storage().open(stored_name(str(fk.pk))) as handle:
        return open_file(key, str(fk.pk), handle.read())


def file_put_stream(
    *, key_set: KeySet, chunks: Iterable[bytes], ring: KeyRing | None = None, set_key: bytes | None = None
) -> tuple[uuid.UUID, str, int]:
    """Seal and store a file made on the fly, chunk by chunk, never whole in memory; returns its id, the
    SHA-256 of its plaintext and its size. Stored whole before the caller commits, as `file_put` without a day.
    If the chunks raise, nothing is stored under the file's name (the caller's rollback takes its key)."""
    fk, key = file_key_new(key_set=key_set, ring=ring, set_key=set_key)
    digest = hashlib.sha256()
    size = 0

    def counted() -> Iterator[bytes]:
        nonlocal size
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            yield chunk

    sealed = streams.seal_stream(key, counted(), ("file", str(fk.pk), "content"))
    stored_write(storage(), stored_name(str(fk.pk)), sealed)
    return fk.pk, digest.hexdigest(), size


def file_get_stream(
    *, file_id: uuid.UUID, ring: KeyRing | None = None, set_key: bytes | None = None
) -> Iterator[bytes]:
    """A file's plaintext in pieces: a stream message by message, an older (whole) file in one piece.
    The key is opened now (a wrong key raises here); reading raises DecryptionFailed or BadFormat where the
    stored stream was altered or cut short, possibly after earlier pieces came out."""
    fk = FileKey.objects.select_related("key_set").get(pk=file_id)
    key = file_key_open(file_key=fk, ring=ring, set_key=set_key)
    pending = PendingFile.objects.filter(file_key=fk).values_list("blob", flat=True).first()
    if pending is not None:
        return iter([open_file(key, str(fk.pk), bytes(pending))])
    return _stored_pieces(key, str(fk.pk))


def _stored_pieces(key: bytes, file_key_id: str) -> Iterator[bytes]:
    with storage().open(stored_name(file_key_id)) as handle:
        head = handle.read(1)
        if not streams.is_stream(head):
            yield open_file(key, file_key_id, head + handle.read())
            return
        handle.seek(0)
        yield from streams.open_stream(key, handle.read, ("file", file_key_id, "content"))


def stored_files_forget(file_ids: list[str], *, now: datetime | None = None) -> None:
    """Inside a shred's transaction: these files' keys are gone, so the sweep may remove their ciphertexts
    once SWEEP_MARGIN has passed (not at once: a backup copying its database's files still finds them)."""
    now = now or timezone.now()
    ShreddedFile.objects.bulk_create(
        [ShreddedFile(file_id=uuid.UUID(file_id), shredded_at=now) for file_id in file_ids], ignore_conflicts=True
    )


def _day_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def stored_files_flush(*, now: datetime | None = None) -> int:
    """Write every person's file whose day has ended from the database to storage; returns how many.

    Each is written whole and durable before its waiting copy is deleted, so a crash between the two only
    means writing it again (an identical ciphertext under the same name). Random order (file ids are random)."""
    now = now or timezone.now()
    store = storage()
    waiting = list(
        PendingFile.objects.filter(file_key__created_at__lt=_day_start(now))
        .order_by("file_key_id")
        .values_list("file_key_id", flat=True)
    )
    done = 0
    for file_id in waiting:
        pending = PendingFile.objects.select_related("file_key").filter(pk=file_id).first()
        if pending is None:
            continue  # shredded meanwhile
        with contextlib.suppress(StoredNameTaken):
            # Taken: written by an earlier flush that stopped before deleting its copy (the same ciphertext).
            stored_write(store, stored_name(str(file_id)), bytes(pending.blob), stamp=pending.file_key.created_at)
        with transaction.atomic():
            gone = PendingFile.objects.filter(pk=file_id).delete()[0] == 0
            if gone and not FileKey.objects.filter(pk=file_id).exists():
                # Shredded while it was being written: it goes the way of the shred's other files.
                stored_files_forget([str(file_id)], now=now)
        done += 1
    return done


@dataclass(frozen=True)
class Swept:
    removed: int
    kept_young: int


def _stored_names(store: Storage) -> Iterator[str]:
    try:
        folders, _files = store.listdir("")
    except FileNotFoundError:  # nothing stored yet: the folder is made with the first file
        return
    for folder in folders:
        _sub, names = store.listdir(folder)
        for name in names:
            yield f"{folder}/{name}"


def _written_at(store: Storage, name: str) -> datetime:
    """When a stored object was last written: on disk the inode's change time (its modification time is set
    back to the day), in a bucket the upload time."""
    if isinstance(store, FileSystemStorage):
        return datetime.fromtimestamp(os.stat(store.path(name)).st_ctime, tz=UTC)
    return store.get_modified_time(name)


def _named(ids: list[str]) -> set[str]:
    """Which of these file ids a key (or a pending shred) still names, asked a thousand at a time."""
    found: set[str] = set()
    for first in range(0, len(ids), 1000):
        chunk = ids[first : first + 1000]
        found |= {str(pk) for pk in FileKey.objects.filter(pk__in=chunk).values_list("pk", flat=True)}
        found |= {str(pk) for pk in ShreddedFile.objects.filter(pk__in=chunk).values_list("pk", flat=True)}
    return found


def stored_files_sweep(*, now: datetime | None = None, margin: timedelta = SWEEP_MARGIN) -> Swept:
    """Remove stored ciphertexts no key names any more: shredded ones a margin after the shred, and leftovers
    (a crash between writing a file and committing its row, a partial write) a margin after they were written.
    A file whose key exists is never removed."""
    now = now or timezone.now()
    store = storage()
    removed = young = 0
    for shredded in ShreddedFile.objects.filter(shredded_at__lt=now - margin).order_by("pk"):
        shredded_id = str(shredded.file_id)
        if not FileKey.objects.filter(pk=shredded_id).exists():
            store.delete(stored_name(shredded_id))
            removed += 1
        shredded.delete()
    candidates: list[tuple[str, str | None]] = []
    for name in _stored_names(store):
        match = _NAME.match(name)
        if match is not None:
            candidates.append((name, match["id"]))
        elif _PARTIAL.match(name) is not None:
            candidates.append((name, None))
        # Anything else is not a name Ferry writes: left to the operator.
    named = _named([file_id for _name, file_id in candidates if file_id is not None])
    for name, file_id in candidates:
        if file_id in named:
            continue
        with contextlib.suppress(FileNotFoundError):
            if _written_at(store, name) > now - margin:
                young += 1
                continue
            # Checked again just before: a row committed meanwhile keeps its file.
            if file_id is not None and FileKey.objects.filter(pk=file_id).exists():
                continue
            store.delete(name)
            removed += 1
    return Swept(removed=removed, kept_young=young)


def stored_files_discard(file_ids: list[str]) -> None:
    """Remove ciphertexts whose rows never committed (what stored them failed and rolled back): no key, and
    no copy of the database, names them. (The sweep would collect them a margin later; this is at once.)"""
    store = storage()
    for file_id in file_ids:
        with contextlib.suppress(FileNotFoundError):
            store.delete(stored_name(file_id))


def files_delete(file_ids: list[str]) -> None:
    """Destroy files: their keys (and any waiting copy) now, in the caller's transaction; their stored
    ciphertexts, which nothing can open any more, go with the sweep a margin later (as a shred's do)."""
    FileKey.objects.filter(pk__in=file_ids).delete()
    stored_files_forget(file_ids)


def stored_sha256(file_id: uuid.UUID) -> str | None:
    """The SHA-256 of a file's stored ciphertext, read in chunks and needing no key; None if it is missing."""
    store, path = storage(), stored_name(str(file_id))
    if not store.exists(path):
        return None
    digest = hashlib.sha256()
    with store.open(path) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
