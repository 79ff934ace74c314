"""Stored files: written whole before their row commits, a person's files batched after their day, and the
sweep that removes what no key names (shredded files a margin after the shred, crash leftovers)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from ferry.vault import files, keysets
from ferry.vault.keyring import KeyRing
from ferry.vault.models import FileKey, KeySet, PendingFile, ShreddedFile

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def folder(settings: Any, tmp_path: Path) -> Path:
    """A files folder of this test's own (the data folder outlives each test's database)."""
    root = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "ferry_files": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture
def holder(make_staff: Any) -> tuple[KeySet, bytes, KeyRing]:
    make_staff("administrator")  # the first administrator makes the escrow key
    staff = make_staff("caseworker")
    key_set, key = keysets.keyset_create(purpose="case", grant_to=[staff.staff.pk])
    return key_set, key, KeyRing(staff_id=staff.staff.pk, private_key=staff.private_key)


def _on_disk(folder: Path) -> set[str]:
    return {f"{p.parent.name}/{p.name}" for p in folder.rglob("*") if p.is_file()}


def test_a_file_is_whole_under_its_name_before_its_row_commits(folder: Path, holder: Any) -> None:
    key_set, key, ring = holder
    with transaction.atomic():
        file_id = files.file_put(key_set=key_set, set_key=key, content=b"scan" * 1000)
        # Before the commit: the whole ciphertext is in place, and nothing half-written lies beside it.
        assert _on_disk(folder) == {files.stored_name(str(file_id))}
        blob = (folder / files.stored_name(str(file_id))).read_bytes()
        assert files.sealed_shape_ok(blob)
        assert len(blob) > 4000
    assert files.file_get(file_id=file_id, ring=ring) == b"scan" * 1000


def test_a_failure_after_the_write_leaves_no_row_without_its_file_and_the_sweep_collects_the_orphan(
    folder: Path, holder: Any
) -> None:
    key_set, key, _ring = holder
    # Given a failure after the file was written and before the transaction committed...
    written: list[uuid.UUID] = []

    def put_then_fail() -> None:
        with transaction.atomic():
            written.append(files.file_put(key_set=key_set, set_key=key, content=b"never committed"))
            raise RuntimeError("the disk filled up while saving the row")

    with pytest.raises(RuntimeError):
        put_then_fail()
    orphan = written[0]
    # ...no row names a file (so none names a missing one), and the file is an orphan on disk.
    assert not FileKey.objects.exists()
    assert _on_disk(folder) == {files.stored_name(str(orphan))}
    # A fresh orphan is kept (it could belong to a transaction still running)...
    assert files.stored_files_sweep() == files.Swept(removed=0, kept_young=1)
    assert _on_disk(folder) == {files.stored_name(str(orphan))}
    # ...and removed once it is older than the margin.
    later = timezone.now() + files.SWEEP_MARGIN + timedelta(minutes=1)
    assert files.stored_files_sweep(now=later) == files.Swept(removed=1, kept_young=0)
    assert _on_disk(folder) == set()


def test_the_sweep_never_removes_a_file_whose_row_exists(folder: Path, holder: Any) -> None:
    key_set, key, ring = holder
    file_id = files.file_put(key_set=key_set, set_key=key, content=b"evidence")
    far_later = timezone.now() + 100 * files.SWEEP_MARGIN
    assert files.stored_files_sweep(now=far_later).removed == 0
    assert files.file_get(file_id=file_id, ring=ring) == b"evidence"


def test_a_partial_write_left_by_a_crash_is_collected_after_the_margin(folder: Path) -> None:
    # What a crash mid-write leaves: a temporary name beside where the file would go, never the name itself.
    file_id = uuid.uuid4()
    partial = folder / files.stored_name(str(file_id))
    partial = partial.parent / f".{partial.name}.k2j4h7_q"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\x01trunc")
    unrelated = folder / "README"
    unrelated.write_text("an operator's note")
    assert files.stored_files_sweep().removed == 0
    later = timezone.now() + files.SWEEP_MARGIN + timedelta(minutes=1)
    assert files.stored_files_sweep(now=later).removed == 1
    assert not partial.exists()
    assert unrelated.exists(), "a name Ferry never writes is left alone"


def test_a_shredded_files_ciphertext_goes_a_margin_after_the_shred(folder: Path, holder: Any) -> None:
    key_set, key, _ring = holder
    file_id = files.file_put(key_set=key_set, set_key=key, content=b"evidence")
    name = folder / files.stored_name(str(file_id))
    keysets.keyset_shred(key_set=key_set)
    # The key is gone at once; the ciphertext stays a margin, for a backup already copying files.
    assert not FileKey.objects.filter(pk=file_id).exists()
    assert name.exists()
    assert files.stored_files_sweep().removed == 0
    later = timezone.now() + files.SWEEP_MARGIN + timedelta(minutes=1)
    assert files.stored_files_sweep(now=later).removed == 1
    assert not name.exists()
    assert not ShreddedFile.objects.exists()


def test_a_persons_file_waits_in_the_database_until_its_day_has_ended(folder: Path, holder: Any) -> None:
    key_set, key, ring = holder
    day = datetime.combine(timezone.now().astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    ids = [files.file_put(key_set=key_set, set_key=key, content=f"photo {n}".encode(), when=day) for n in range(3)]
    # Sent today: nothing on disk yet (no file time, no folder time says when), and it reads from the database.
    assert _on_disk(folder) == set()
    assert PendingFile.objects.count() == 3
    assert files.file_get(file_id=ids[0], ring=ring) == b"photo 0"
    assert files.stored_files_flush() == 0
    # The first batch after the day: all of them at once, dated midnight on disk, and gone from the database.
    assert files.stored_files_flush(now=day + timedelta(days=1, minutes=5)) == 3
    assert _on_disk(folder) == {files.stored_name(str(i)) for i in ids}
    assert not PendingFile.objects.exists()
    for file_id in ids:
        assert os.stat(folder / files.stored_name(str(file_id))).st_mtime == day.timestamp()
    assert [files.file_get(file_id=i, ring=ring) for i in ids] == [b"photo 0", b"photo 1", b"photo 2"]


def test_a_flush_stopped_before_deleting_its_copy_writes_again_harmlessly(
    folder: Path, holder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_set, key, ring = holder
    day = datetime.combine(timezone.now().astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    file_id = files.file_put(key_set=key_set, set_key=key, content=b"photo", when=day)
    tomorrow = day + timedelta(days=1, minutes=5)

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(files.transaction, "atomic", crash)
        with pytest.raises(RuntimeError):
            files.stored_files_flush(now=tomorrow)
    assert PendingFile.objects.filter(pk=file_id).exists()
    assert files.stored_files_flush(now=tomorrow) == 1
    assert not PendingFile.objects.exists()
    assert files.file_get(file_id=file_id, ring=ring) == b"photo"


def test_a_file_shredded_while_waiting_never_reaches_storage(folder: Path, holder: Any) -> None:
    key_set, key, _ring = holder
    day = datetime.combine(timezone.now().astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    files.file_put(key_set=key_set, set_key=key, content=b"photo", when=day)
    keysets.keyset_shred(key_set=key_set)
    assert not PendingFile.objects.exists()
    assert files.stored_files_flush(now=day + timedelta(days=1, minutes=5)) == 0
    assert _on_disk(folder) == set()


def test_the_sweep_has_nothing_to_do_before_the_first_file(folder: Path) -> None:
    assert not folder.exists()
    assert files.stored_files_sweep() == files.Swept(removed=0, kept_young=0)
