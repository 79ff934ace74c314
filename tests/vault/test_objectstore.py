"""Sealed files in an S3-compatible bucket (FERRY_FILE_STORAGE=s3), against moto's server on 127.0.0.1: sent
through the public intake, read by staff, shredded; the bucket holds ciphertext under random names only.

Given/When/Then; the bucket is read directly with boto3, as whoever holds it would."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ferry.intake.models import Attachment, Request
from ferry.vault import files, keysets
from ferry.vault.errors import StoredNameTaken
from ferry.vault.keyring import KeyRing
from ferry.vault.models import KeySet
from ferry.vault.objectstore import NoAddress
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE
from tests.intake.helpers import submit

pytestmark = pytest.mark.django_db

TEXT = "Still at my aunt's, the phone is off. Жёлтый попугай {}."


@pytest.fixture
def hotline(make_staff: Any) -> dict[str, Any]:
    """An administrator (escrow and contact index, so the intake accepts requests) and a coordinator."""
    return {"admin": make_staff("administrator"), "coordinator": make_staff("coordinator")}


@pytest.fixture
def case_keys(hotline: dict[str, Any]) -> tuple[Any, KeyRing]:
    """A case key set granted to the coordinator, and the coordinator's key ring."""
    holder = hotline["coordinator"]
    key_set, _key = keysets.keyset_create(purpose="case", grant_to=[holder.staff.pk])
    return key_set, KeyRing(staff_id=holder.staff.pk, private_key=holder.private_key)


def _send(person: Client, text: str, name: str) -> Request:
    """A request with one text file, through the public form; returns the new request."""
    before = set(Request.objects.values_list("pk", flat=True))
    upload = SimpleUploadedFile(f"{name}.txt", text.encode(), content_type="text/plain")
    response, code, _duress = submit(person, files=[upload])
    assert response.status_code == 200, response.content.decode()[:3000]
    assert code
    return Request.objects.exclude(pk__in=before).get()


def _key(file_id: Any) -> str:
    return f"{str(file_id)[:2]}/{file_id}.bin"


def _days_batch() -> None:
    """The first run of the vault's job after today ends: persons' files of the day go to storage."""
    files.stored_files_flush(now=timezone.now() + timedelta(days=1))


def _local_files() -> set[Path]:
    return set((Path(settings.DATA_DIR) / "files").rglob("*.bin"))


def test_a_file_sent_through_the_intake_is_sealed_in_the_bucket_and_staff_read_it(
    s3_files: Any, hotline: dict[str, Any]
) -> None:
    # Given Ferry stores files in a bucket,
    local_before = _local_files()
    text = TEXT.format(os.getpid())

    # When a person sends a request with a file through the public form,
    request = _send(Client(), text, name=f"passport-scan-{os.getpid()}")

    # Then the bucket holds nothing yet (an upload's time would tell when the person wrote),
    attachment = Attachment.objects.get(request=request)
    assert s3_files.object_keys() == []

    # and after the day's batch it holds one object, named by its file key's random id,
    _days_batch()
    assert s3_files.object_keys() == [_key(attachment.file_id)]
    # holding ciphertext only, with no name, type or other detail of the file beside it,
    stored = s3_files.read(_key(attachment.file_id))
    assert text.encode() not in stored
    assert b"passport-scan" not in stored
    head = s3_files.head(_key(attachment.file_id))
    assert head["ContentType"] == "application/octet-stream"
    assert head.get("Metadata", {}) == {}
    assert "ContentDisposition" not in head
    assert "ContentEncoding" not in head
    # and nothing was written to the data folder's files/.
    assert _local_files() == local_before

    # When a coordinator opens the file on the request's page,
    coordinator = hotline["coordinator"]
    staff = login(Client(), coordinator.staff.email, TEST_PASSPHRASE, coordinator.totp_secret)
    page = staff.get(f"/staff/intake/{request.reference}/files/{attachment.pk}/")

    # Then they get it back as it was sent, decrypted by Ferry itself.
    assert page.status_code == 200
    assert page.content == text.encode()


def test_a_shred_deletes_the_key_sets_objects_from_the_bucket_a_margin_after_it_committed(
    s3_files: Any, hotline: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # Given two requests with a file each, in the bucket,
    shredded = _send(Client(), TEXT.format("one"), name="one")
    kept = _send(Client(), TEXT.format("two"), name="two")
    _days_batch()
    shredded_key = _key(Attachment.objects.get(request=shredded).file_id)
    kept_key = _key(Attachment.objects.get(request=kept).file_id)
    assert s3_files.object_keys() == sorted([shredded_key, kept_key])

    # When a shred of the first one's key set dies at its last step, before it commits,
    with (
        django_capture_on_commit_callbacks(execute=True),
        mock.patch.object(KeySet, "save", side_effect=RuntimeError("power cut")),
        pytest.raises(RuntimeError),
    ):
        keysets.keyset_shred(key_set=shredded.key_set)

    # Then both objects are still there,
    assert s3_files.object_keys() == sorted([shredded_key, kept_key])

    # and when the shred commits, its key is gone; its object stays a margin (a backup may be copying it),
    with django_capture_on_commit_callbacks(execute=True):
        keysets.keyset_shred(key_set=shredded.key_set)
    assert files.stored_files_sweep().removed == 0
    assert s3_files.object_keys() == sorted([shredded_key, kept_key])
    # then the sweep removes only the shredded key set's object from the bucket.
    files.stored_files_sweep(now=timezone.now() + files.SWEEP_MARGIN + timedelta(minutes=1))
    assert s3_files.object_keys() == [kept_key]


def test_stored_files_have_no_address(s3_files: Any, case_keys: tuple[Any, KeyRing]) -> None:
    # Given a file in the bucket,
    key_set, ring = case_keys
    file_id = files.file_put(key_set=key_set, ring=ring, content=b"evidence")

    # When anything asks the storage for a link to it, Then there is none: Ferry serves files itself.
    with pytest.raises(NoAddress):
        files.storage().url(_key(file_id))
    assert files.file_get(file_id=file_id, ring=ring) == b"evidence"


def test_a_name_already_taken_is_refused_and_the_object_there_kept(
    s3_files: Any, case_keys: tuple[Any, KeyRing], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an object already stored under the name the next file would get,
    key_set, ring = case_keys
    s3_files.client.put_object(Bucket=s3_files.name, Key="zz/taken.bin", Body=b"an earlier ciphertext")
    monkeypatch.setattr(files, "stored_name", lambda _file_id: "zz/taken.bin")

    # When a file is stored,
    with pytest.raises(StoredNameTaken):
        files.file_put(key_set=key_set, ring=ring, content=b"a later file")

    # Then the earlier object is untouched and no renamed copy is left behind.
    assert s3_files.object_keys() == ["zz/taken.bin"]
    assert s3_files.read("zz/taken.bin") == b"an earlier ciphertext"
