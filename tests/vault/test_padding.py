"""Sizes say little: sealed fields and stored files are padded to size buckets before they are sealed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferry.vault import crypto, files
from ferry.vault.errors import DecryptionFailed

CONTEXT: crypto.Context = ("request", "7f", "details")


def test_short_fields_all_seal_to_one_size() -> None:
    # Given a name, a one-line message and an empty note
    key = crypto.random_key()
    sizes = {len(crypto.seal_str(key, text, CONTEXT)) for text in ("", "Artur", "I am hiding at my aunt's." * 4)}
    # Then their sealed forms cannot be told apart by length
    assert len(sizes) == 1


def test_longer_texts_share_a_bucket_and_cost_at_most_a_quarter_more() -> None:
    key = crypto.random_key()
    sealed = {n: len(crypto.seal_str(key, "x" * n, CONTEXT)) for n in range(3000, 3120)}
    # Many lengths give one size, and no size is far from the text's
    assert len(set(sealed.values())) <= 2
    assert all(size <= n * 1.25 + 64 for n, size in sealed.items())


def test_a_file_is_not_its_size_plus_a_constant() -> None:
    # Given two cleaned files a few bytes apart (issue 14: each stored file was its size plus 41 bytes)
    key = crypto.random_key()
    stored = [len(files.seal_file(key, "f1", b"\xff" * n)) for n in (250_001, 250_013, 251_000)]
    # Then they are stored at one size, which is not the file's size plus the envelope
    assert len(set(stored)) == 1
    assert stored[0] != 250_001 + 41


@given(plaintext=st.binary(max_size=5000))
def test_padded_round_trip(plaintext: bytes) -> None:
    key = crypto.random_key()
    assert files.open_file(key, "f1", files.seal_file(key, "f1", plaintext)) == plaintext
    text = plaintext.decode("utf-8", "replace")
    assert crypto.unseal_str(key, crypto.seal_str(key, text, CONTEXT), CONTEXT) == text


def test_a_padded_envelope_cannot_pass_for_an_unpadded_one_and_old_envelopes_still_open() -> None:
    key = crypto.random_key()
    padded = crypto.seal_str(key, "hello", CONTEXT)
    flipped = bytes([0x01]) + padded[1:]
    with pytest.raises(DecryptionFailed):
        crypto.unseal(key, flipped, CONTEXT)
    # Envelopes sealed before padding existed open as before
    old = crypto.seal(key, b"hello", CONTEXT)
    assert crypto.unseal_str(key, old, CONTEXT) == "hello"
    downgraded = bytes([0x02]) + old[1:]
    with pytest.raises(DecryptionFailed):
        crypto.unseal(key, downgraded, CONTEXT)


@pytest.mark.parametrize(
    ("length", "bucket"), [(0, 256), (255, 256), (256, 256), (257, 320), (1000, 1024), (100_000, 114_688)]
)
def test_buckets_have_two_significant_bits_above_a_floor(length: int, bucket: int) -> None:
    assert crypto.padded_length(length) == bucket


def test_a_few_sizes_between_one_and_twenty_five_megabytes() -> None:
    sizes = {crypto.padded_length(n) for n in range(1 << 20, 25 << 20, 4096)}
    assert len(sizes) <= 20
