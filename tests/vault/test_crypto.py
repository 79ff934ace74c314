"""Tests for ferry.vault.crypto."""

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferry.vault import crypto
from ferry.vault.crypto import Context, KdfParams
from ferry.vault.errors import BadFormat, DecryptionFailed, VaultError

contexts = st.tuples(st.text(), st.text(), st.text())
CONTEXT: Context = ("case", "42", "notes")


@pytest.fixture
def insecure_fast_kdf_params() -> KdfParams:
    """Argon2id parameters at the library minimum: fast, and trivially brute-forced."""
    return crypto.kdf_params_new("insecure-fast-test")


@pytest.fixture
def fresh_kdf_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give the test its own limiter so budget changes cannot leak into other tests."""
    monkeypatch.setattr(crypto, "_kdf_budget", crypto._MemoryBudget(1024**3))


# --- symmetric sealing ---------------------------------------------------------------


@given(plaintext=st.binary(), context=contexts)
def test_seal_unseal_round_trip(plaintext: bytes, context: Context) -> None:
    """Given a key, when sealed and unsealed in one context, plaintext comes back."""
    key = crypto.random_key()
    assert crypto.unseal(key, crypto.seal(key, plaintext, context), context) == plaintext


def test_seal_is_randomised() -> None:
    """Given one plaintext sealed twice, then the blobs differ (a fresh nonce each)."""
    key = crypto.random_key()
    assert crypto.seal(key, b"same", CONTEXT) != crypto.seal(key, b"same", CONTEXT)


@given(plaintext=st.binary(max_size=64), data=st.data())
def test_any_bit_flip_is_rejected(plaintext: bytes, data: st.DataObject) -> None:
    """Given a sealed blob, when any single bit is flipped, then unsealing fails."""
    key = crypto.random_key()
    blob = bytearray(crypto.seal(key, plaintext, CONTEXT))
    bit = data.draw(st.integers(min_value=0, max_value=len(blob) * 8 - 1))
    blob[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises((DecryptionFailed, BadFormat)):
        crypto.unseal(key, bytes(blob), CONTEXT)


@given(context=contexts, part=st.integers(min_value=0, max_value=2), other=st.text())
def test_other_context_is_rejected(context: Context, part: int, other: str) -> None:
    """Given a blob sealed for one field, when opened for another, then it fails."""
    if context[part] == other:
        other += "x"
    moved = list(context)
    moved[part] = other
    key = crypto.random_key()
    blob = crypto.seal(key, b"secret", context)
    with pytest.raises(DecryptionFailed):
        crypto.unseal(key, blob, (moved[0], moved[1], moved[2]))


@pytest.mark.parametrize(
    ("sealed_for", "opened_for"),
    [
        (("a", "bc", "d"), ("ab", "c", "d")),
        (("a", "b", "cd"), ("a", "bc", "d")),
        (("case", "1", "2"), ("case1", "", "2")),
    ],
)
def test_context_boundaries_cannot_shift(sealed_for: Context, opened_for: Context) -> None:
    """Given contexts whose concatenations are equal, then they still do not match."""
    key = crypto.random_key()
    with pytest.raises(DecryptionFailed):
        crypto.unseal(key, crypto.seal(key, b"x", sealed_for), opened_for)


def test_wrong_key_is_rejected_without_leaking_the_library_error() -> None:
    """Given a blob, when opened with another key, then DecryptionFailed hides why."""
    blob = crypto.seal(crypto.random_key(), b"secret", CONTEXT)
    with pytest.raises(DecryptionFailed) as caught:
        crypto.unseal(crypto.random_key(), blob, CONTEXT)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("version", [0x00, 0x03, 0xFF])
def test_unknown_version_is_bad_format(version: int) -> None:
    """Given an unknown version byte, then it is BadFormat, not a crypto failure."""
    key = crypto.random_key()
    blob = crypto.seal(key, b"secret", CONTEXT)
    with pytest.raises(BadFormat):
        crypto.unseal(key, bytes([version]) + blob[1:], CONTEXT)


@pytest.mark.parametrize("length", [0, 1, 25, 40])
def test_truncated_blob_is_bad_format(length: int) -> None:
    """Given a blob cut shorter than version + nonce + tag, then it is BadFormat."""
    key = crypto.random_key()
    blob = crypto.seal(key, b"", CONTEXT)
    with pytest.raises(BadFormat):
        crypto.unseal(key, blob[:length], CONTEXT)


@pytest.mark.parametrize("key", [b"", b"k" * 31, b"k" * 33])
def test_wrong_key_length_is_refused(key: bytes) -> None:
    """Given a key that is not 32 bytes, then sealing refuses it."""
    with pytest.raises(VaultError):
        crypto.seal(key, b"x", CONTEXT)


@given(text=st.text())
def test_text_round_trip(text: str) -> None:
    """Given any text, when sealed and unsealed as text, it comes back unchanged."""
    key = crypto.random_key()
    assert crypto.unseal_str(key, crypto.seal_str(key, text, CONTEXT), CONTEXT) == text


def test_unseal_str_refuses_non_utf8() -> None:
    """Given bytes that are not UTF-8, when unsealed as text, then it is BadFormat."""
    key = crypto.random_key()
    with pytest.raises(BadFormat):
        crypto.unseal_str(key, crypto.seal(key, b"\xff\xfe", CONTEXT), CONTEXT)


# --- sealed boxes ------------------------------------------------------------------


@given(plaintext=st.binary())
def test_seal_to_round_trip(plaintext: bytes) -> None:
    """Given a key pair, when sealed to the public key, the private key opens it."""
    public, private = crypto.keypair_new()
    assert crypto.public_from_private(private) == public
    assert crypto.unseal_from(private, crypto.seal_to(public, plaintext)) == plaintext


def test_seal_to_other_private_key_fails() -> None:
    """Given a blob sealed to one person, then another private key cannot open it."""
    public, _ = crypto.keypair_new()
    _, other_private = crypto.keypair_new()
    with pytest.raises(DecryptionFailed):
        crypto.unseal_from(other_private, crypto.seal_to(public, b"case key"))


def test_sealed_box_format_errors() -> None:
    """Given a wrong version byte or a truncated box, then it is BadFormat."""
    public, private = crypto.keypair_new()
    blob = crypto.seal_to(public, b"case key")
    with pytest.raises(BadFormat):
        crypto.unseal_from(private, b"\x02" + blob[1:])
    with pytest.raises(BadFormat):
        crypto.unseal_from(private, blob[:48])


# --- key derivation ------------------------------------------------------------------


def test_derive_key_is_deterministic(insecure_fast_kdf_params: KdfParams) -> None:
    """Given the same secret and parameters, then the same 32-byte key is derived."""
    first = crypto.derive_key("correct horse", insecure_fast_kdf_params)
    assert len(first) == crypto.KEY_BYTES
    assert crypto.derive_key(b"correct horse", insecure_fast_kdf_params) == first


def test_derive_key_depends_on_salt_and_secret(insecure_fast_kdf_params: KdfParams) -> None:
    """Given a different salt or secret, then a different key is derived."""
    other_salt = dataclasses.replace(insecure_fast_kdf_params, salt=bytes(16))
    key = crypto.derive_key("correct horse", insecure_fast_kdf_params)
    assert crypto.derive_key("correct horse", other_salt) != key
    assert crypto.derive_key("correct horsf", insecure_fast_kdf_params) != key


def test_derive_key_normalises_text(insecure_fast_kdf_params: KdfParams) -> None:
    """Given one passphrase in composed and decomposed Unicode, then the keys match."""
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert crypto.derive_key(composed, insecure_fast_kdf_params) == crypto.derive_key(
        decomposed, insecure_fast_kdf_params
    )


def test_kdf_params_survive_json(insecure_fast_kdf_params: KdfParams) -> None:
    """Given parameters, when stored as a dict and read back, then they are equal."""
    assert KdfParams.from_dict(insecure_fast_kdf_params.to_dict()) == insecure_fast_kdf_params


@pytest.mark.parametrize(
    "change",
    [{"alg": "scrypt"}, {"salt": "zz"}, {"opslimit": "2"}, {"memlimit": None}],
)
def test_kdf_params_refuse_bad_dicts(insecure_fast_kdf_params: KdfParams, change: dict[str, object]) -> None:
    """Given a stored parameter dict with a bad field, then it is BadFormat."""
    with pytest.raises(BadFormat):
        KdfParams.from_dict({**insecure_fast_kdf_params.to_dict(), **change})


@pytest.mark.parametrize(
    "change",
    [{"salt": b"short"}, {"alg": "scrypt"}, {"opslimit": 0}, {"memlimit": 1024}],
)
def test_derive_key_refuses_bad_params(insecure_fast_kdf_params: KdfParams, change: dict[str, Any]) -> None:
    """Given a bad salt, algorithm or limit, then derivation refuses before running."""
    with pytest.raises(BadFormat):
        crypto.derive_key("pw", dataclasses.replace(insecure_fast_kdf_params, **change))


def _run_in_threads(count: int, target: Callable[[], None]) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)


@pytest.mark.usefixtures("fresh_kdf_budget")
def test_kdf_budget_bounds_memory_yet_runs_concurrently(
    monkeypatch: pytest.MonkeyPatch, insecure_fast_kdf_params: KdfParams
) -> None:
    """Given a budget of two derivations, when six run, then two and no more overlap.

    The derivation is replaced by one that waits at a two-party barrier, so the test
    proves overlap deterministically: with a single global lock the barrier would break.
    """
    memlimit = 64 * 1024 * 1024
    params = dataclasses.replace(insecure_fast_kdf_params, memlimit=memlimit)
    crypto.set_kdf_memory_budget(2 * memlimit)
    barrier = threading.Barrier(2, timeout=30)
    observed: list[int] = []
    errors: list[Exception] = []

    def pair_up(secret: bytes, params: KdfParams) -> bytes:
        observed.append(crypto.kdf_in_flight())
        barrier.wait()
        observed.append(crypto.kdf_in_flight())
        return bytes(crypto.KEY_BYTES)

    def derive() -> None:
        try:
            crypto.derive_key("pw", params)
        except Exception as error:  # threads swallow errors; asserted below
            errors.append(error)

    monkeypatch.setattr(crypto, "_argon2id", pair_up)
    _run_in_threads(6, derive)
    assert errors == []
    assert max(observed) == 2 * memlimit
    assert crypto.kdf_in_flight() == 0


@pytest.mark.usefixtures("fresh_kdf_budget")
def test_kdf_budget_with_real_argon2(insecure_fast_kdf_params: KdfParams) -> None:
    """Given real Argon2id at 64 MiB and a 128 MiB budget, when six threads derive,
    then reserved memory never exceeds the budget and every key is correct.
    """
    memlimit = 64 * 1024 * 1024
    params = dataclasses.replace(insecure_fast_kdf_params, memlimit=memlimit)
    crypto.set_kdf_memory_budget(2 * memlimit)
    expected = crypto.derive_key("pw", params)
    observed: list[int] = []
    keys: list[bytes] = []
    real = crypto._argon2id

    def recording(secret: bytes, params: KdfParams) -> bytes:
        observed.append(crypto.kdf_in_flight())
        return real(secret, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(crypto, "_argon2id", recording)
        _run_in_threads(6, lambda: keys.append(crypto.derive_key("pw", params)))
    assert keys == [expected] * 6
    assert len(observed) == 6
    assert max(observed) <= 2 * memlimit
    assert crypto.kdf_in_flight() == 0


@pytest.mark.usefixtures("fresh_kdf_budget")
def test_kdf_larger_than_budget_runs_alone(
    monkeypatch: pytest.MonkeyPatch, insecure_fast_kdf_params: KdfParams
) -> None:
    """Given derivations each over the whole budget, then they run, one at a time."""
    memlimit = 64 * 1024 * 1024
    params = dataclasses.replace(insecure_fast_kdf_params, memlimit=memlimit)
    crypto.set_kdf_memory_budget(memlimit // 2)
    observed: list[int] = []

    def record(secret: bytes, params: KdfParams) -> bytes:
        observed.append(crypto.kdf_in_flight())
        # Linger, so that a second derivation wrongly admitted would be seen.
        threading.Event().wait(0.02)
        return bytes(crypto.KEY_BYTES)

    def derive() -> None:
        crypto.derive_key("pw", params)

    monkeypatch.setattr(crypto, "_argon2id", record)
    _run_in_threads(3, derive)
    assert observed == [memlimit] * 3


def test_kdf_budget_must_be_positive() -> None:
    """Given a zero budget, then it is refused."""
    with pytest.raises(VaultError):
        crypto.set_kdf_memory_budget(0)


# --- blind indexes and comparison ----------------------------------------------------


def test_blind_index_matches_phone_forms() -> None:
    """Given one phone number typed three ways, then the blind index is the same."""
    key = crypto.random_key()
    indexes = {crypto.blind_index(key, "phone", form) for form in ("+7 912 345-67-89", "89123456789", "+79123456789")}
    assert len(indexes) == 1
    assert len(indexes.pop()) == 32


def test_blind_index_differs_by_kind_and_key() -> None:
    """Given one value under two kinds, or under two keys, then the indexes differ."""
    key = crypto.random_key()
    index = crypto.blind_index(key, "handle", "alice")
    assert crypto.blind_index(key, "telegram", "alice") != index
    assert crypto.blind_index(key, "signal", "alice") != index
    assert crypto.blind_index(crypto.random_key(), "handle", "alice") != index
    assert crypto.blind_index(key, "handle", "@Alice ") == index


def test_constant_time_equal() -> None:
    """Given equal and unequal byte strings, then the comparison says so."""
    assert crypto.constant_time_equal(b"abc", b"abc")
    assert not crypto.constant_time_equal(b"abc", b"abd")
