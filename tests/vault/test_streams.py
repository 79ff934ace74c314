"""Streamed files: sealed chunk by chunk with libsodium's secretstream, opened piece by piece; a stream altered,
moved, or cut short at any point fails to open, and files stored whole before streams existed still open."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ferry.vault import crypto, files, keysets, streams
from ferry.vault.errors import BadFormat, DecryptionFailed, VaultError
from ferry.vault.keyring import KeyRing
from ferry.vault.models import KeySet

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(settings: Any, tmp_path: Path) -> Path:
    """A files folder of this test's own."""
    root = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "ferry_files": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture
def holder(make_staff: Any) -> tuple[KeySet, bytes, KeyRing]:
    make_staff("administrator")  # the first administrator makes the escrow key
    staff = make_staff("analyst")
    key_set, key = keysets.keyset_create(purpose="advocacy", grant_to=[staff.staff.pk])
    return key_set, key, KeyRing(staff_id=staff.staff.pk, private_key=staff.private_key)


def _rows(count: int) -> Iterator[bytes]:
    # Uneven chunks that straddle the stream's messages.
    for n in range(count):
        yield f"{n},2017-03-01,RU-CE,Attack\n".encode() * (1 + n % 7)


def _stored(folder: Path, file_id: Any) -> Path:
    return folder / files.stored_name(str(file_id))


def test_a_stream_round_trips_with_its_hash_and_size(folder: Path, holder: Any) -> None:
    key_set, key, ring = holder
    # Given a file of several messages put as a stream
    expected = b"".join(_rows(20_000))
    assert len(expected) > 4 * streams.STREAM_BLOCK
    file_id, sha256, size = files.file_put_stream(key_set=key_set, chunks=_rows(20_000), set_key=key)
    # Then its hash and size are the plaintext's, and it opens whole, and piece by piece, with the ring
    assert (sha256, size) == (hashlib.sha256(expected).hexdigest(), len(expected))
    pieces = list(files.file_get_stream(file_id=file_id, ring=ring))
    assert len(pieces) > 1
    assert b"".join(pieces) == expected
    assert files.file_get(file_id=file_id, ring=ring) == expected
    # and what is stored is a sealed stream, with nothing of the plaintext in it
    blob = _stored(folder, file_id).read_bytes()
    assert streams.is_stream(blob)
    assert files.sealed_shape_ok(blob)
    assert b"RU-CE" not in blob


def test_an_empty_stream_and_a_tiny_one_round_trip(folder: Path, holder: Any) -> None:
    key_set, key, ring = holder
    for chunks in ([], [b""], [b"a"]):
        file_id, _sha, size = files.file_put_stream(key_set=key_set, chunks=chunks, set_key=key)
        assert size == len(b"".join(chunks))
        assert b"".join(files.file_get_stream(file_id=file_id, ring=ring)) == b"".join(chunks)


def test_a_streams_stored_size_says_only_its_size_bucket(folder: Path, holder: Any) -> None:
    key_set, key, _ring = holder
    # Given two streams whose lengths differ but fall in the same size bucket
    one = 600_000
    two = one + 20_000
    assert crypto.padded_length(one) == crypto.padded_length(two)
    a, _, _ = files.file_put_stream(key_set=key_set, chunks=[b"x" * one], set_key=key)
    b, _, _ = files.file_put_stream(key_set=key_set, chunks=[b"x" * two], set_key=key)
    # Then their stored sizes are the same
    assert _stored(folder, a).stat().st_size == _stored(folder, b).stat().st_size


@pytest.mark.parametrize(
    ("alter", "error"),
    [
        ("flip a byte in the middle", DecryptionFailed),
        ("drop the final message", BadFormat),
        ("cut inside a message", BadFormat),
        ("append a copy of a message", BadFormat),
        ("swap two messages", DecryptionFailed),
    ],
)
def test_an_altered_or_truncated_stream_fails_to_open(
    folder: Path, holder: Any, alter: str, error: type[VaultError]
) -> None:
    key_set, key, ring = holder
    # Given a stored stream of several messages
    file_id, _sha, _size = files.file_put_stream(key_set=key_set, chunks=_rows(20_000), set_key=key)
    path = _stored(folder, file_id)
    blob = bytearray(path.read_bytes())
    head, message = 25, streams.STREAM_BLOCK + 17
    assert (len(blob) - head) % message == 0
    assert (len(blob) - head) // message >= 4
    # When it is altered in storage
    if alter == "flip a byte in the middle":
        blob[len(blob) // 2] ^= 0x01
    elif alter == "drop the final message":
        del blob[-message:]
    elif alter == "cut inside a message":
        del blob[-100:]
    elif alter == "append a copy of a message":
        blob += blob[head : head + message]
    else:
        first, second = blob[head : head + message], blob[head + message : head + 2 * message]
        blob[head : head + 2 * message] = second + first
    path.chmod(0o600)
    path.write_bytes(bytes(blob))
    # Then reading it through fails, whole or in pieces: a partial file is never taken for the whole
    with pytest.raises(error):
        b"".join(files.file_get_stream(file_id=file_id, ring=ring))
    with pytest.raises(error):
        files.file_get(file_id=file_id, ring=ring)


def test_a_stream_moved_under_another_files_name_does_not_open(folder: Path, holder: Any) -> None:
    key_set, key, ring = holder
    # Given two streams under the same key set
    one, _, _ = files.file_put_stream(key_set=key_set, chunks=[b"the real export"], set_key=key)
    two, _, _ = files.file_put_stream(key_set=key_set, chunks=[b"another export"], set_key=key)
    # When the first's ciphertext is copied over the second's
    _stored(folder, two).chmod(0o600)
    _stored(folder, two).write_bytes(_stored(folder, one).read_bytes())
    # Then it does not open as the second (its messages are bound to their file)
    with pytest.raises(DecryptionFailed):
        b"".join(files.file_get_stream(file_id=two, ring=ring))


def test_chunks_that_fail_part_way_leave_nothing_stored(folder: Path, holder: Any) -> None:
    key_set, key, _ring = holder

    def failing() -> Iterator[bytes]:
        yield b"x" * 200_000
        raise RuntimeError("the data changed")

    # When the chunks raise after several messages were sealed
    with pytest.raises(RuntimeError):
        files.file_put_stream(key_set=key_set, chunks=failing(), set_key=key)
    # Then no stored file and no partial file is left in the folder
    assert not [p for p in folder.rglob("*") if p.is_file()]


def test_a_file_stored_whole_still_opens_in_both_ways(folder: Path, holder: Any) -> None:
    key_set, key, ring = holder
    # Given a file stored whole, in the older form
    file_id = files.file_put(key_set=key_set, content=b"a scan of the detention order", set_key=key)
    assert not streams.is_stream(_stored(folder, file_id).read_bytes())
    # Then it opens whole and as a stream of one piece
    assert files.file_get(file_id=file_id, ring=ring) == b"a scan of the detention order"
    assert list(files.file_get_stream(file_id=file_id, ring=ring)) == [b"a scan of the detention order"]


def test_a_wrong_key_is_refused_before_any_piece(folder: Path, holder: Any) -> None:
    key_set, key, _ring = holder
    file_id, _, _ = files.file_put_stream(key_set=key_set, chunks=[b"export"], set_key=key)
    with pytest.raises(DecryptionFailed):
        files.file_get_stream(file_id=file_id, set_key=crypto.random_key())


def test_a_spool_gives_back_what_it_consumed_and_fails_with_its_chunks() -> None:
    # Given chunks spooled (consumed now, sealed into a temporary file)
    consumed = []

    def made() -> Iterator[bytes]:
        for n in range(3_000):
            consumed.append(n)
            yield f"{n},row\n".encode() * 10
        # (all of them consumed before the read-back starts)

    back = streams.spool(made())
    assert len(consumed) == 3_000
    # Then reading back gives the same bytes, in more than one piece
    pieces = list(back)
    assert len(pieces) > 1
    assert b"".join(pieces) == b"".join(f"{n},row\n".encode() * 10 for n in range(3_000))

    def failing() -> Iterator[bytes]:
        yield b"x" * 100_000
        raise RuntimeError("the data changed")

    # and chunks that raise make the spool raise at once
    with pytest.raises(RuntimeError):
        streams.spool(failing())
