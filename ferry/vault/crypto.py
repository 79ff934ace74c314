"""Ferry's crypto primitives: sealing, key pairs, key derivation and blind indexes."""

import hmac
import os
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeAlias

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public
import nacl.secret
import nacl.utils
from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt as _aead_decrypt
from nacl.bindings import sodium_pad, sodium_unpad
from nacl.pwhash import argon2id

from ferry.vault.errors import BadFormat, Busy, DecryptionFailed, VaultError
from ferry.vault.normalise import normalise

KEY_BYTES = 32

Context: TypeAlias = tuple[str, str, str]
"""(record_type, record_id, field), bound as associated data so blobs cannot move."""

_VERSION_AEAD = 0x01  # XChaCha20-Poly1305-IETF, random 24-byte nonce
_VERSION_AEAD_PADDED = 0x02  # the same over the plaintext padded to its size bucket (padded_length)
_PADDED_AD = b"padded"  # bound into a padded envelope's associated data: its version byte cannot be swapped
# 0x03: a sealed stream (vault/streams.py)
PAD_FLOOR = 256
_VERSION_SEALED_BOX = 0x01  # X25519 sealed box
_NONCE_BYTES = nacl.secret.Aead.NONCE_SIZE
_MAC_BYTES = nacl.secret.Aead.MACBYTES
_SEALED_BOX_OVERHEAD = nacl.public.PublicKey.SIZE + _MAC_BYTES
_AD_LABEL = b"ferry.v1"
_BLIND_INDEX_PERSON = b"ferry.blind.v1"


def _frame(*parts: bytes) -> bytes:
    """Length-prefix each part, so no two different part lists encode the same bytes."""
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def _check_key(key: bytes, what: str = "key") -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise VaultError(f"{what} must be {KEY_BYTES} bytes")


_AD_PREFIX = _frame(_AD_LABEL)


def _associated_data(context: Context) -> bytes:
    """_frame(_AD_LABEL, *context), written out: a list page builds one per sealed field it opens."""
    if len(context) != 3 or not all(isinstance(part, str) for part in context):
        raise VaultError("context must be (record_type, record_id, field) strings")
    kind, record, name = (part.encode() for part in context)
    return b"".join(
        (
            _AD_PREFIX,
            len(kind).to_bytes(4, "big"),
            kind,
            len(record).to_bytes(4, "big"),
            record,
            len(name).to_bytes(4, "big"),
            name,
        )
    )


def random_key() -> bytes:
    """A fresh random 32-byte symmetric key."""
    return nacl.utils.random(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, context: Context) -> bytes:
    """Encrypt ``plaintext`` bound to ``context``: version + nonce + ciphertext."""
    _check_key(key)
    nonce = nacl.utils.random(_NONCE_BYTES)
    box = nacl.secret.Aead(key)
    encrypted = box.encrypt(plaintext, _associated_data(context), nonce)
    return bytes([_VERSION_AEAD]) + encrypted.nonce + encrypted.ciphertext


def padded_length(length: int, floor: int = PAD_FLOOR) -> int:
    """The size bucket of a length: at least `floor`, above it the length rounded up to two significant bits
    (4, 5, 6 or 7 times a power of two): four sizes per doubling, at most 25% more. Coarser than Padmé
    (Nikitin et al., PETS 2019, at most 12% and ever finer with size), because one file in a bucket of a few
    hundred is found again: from 1 MB to 25 MB there are 20 sizes."""
    if length <= floor:
        return floor
    step = 1 << max(length.bit_length() - 3, 0)
    return (length + step - 1) // step * step


def seal_padded(key: bytes, plaintext: bytes, context: Context) -> bytes:
    """:func:`seal` over the plaintext padded (ISO/IEC 7816-4, libsodium's sodium_pad) to its size bucket, so
    a stored file or field says little of its length. :func:`unseal` opens both kinds."""
    _check_key(key)
    padded = sodium_pad(plaintext, padded_length(len(plaintext) + 1))
    nonce = nacl.utils.random(_NONCE_BYTES)
    encrypted = nacl.secret.Aead(key).encrypt(padded, _associated_data(context) + _PADDED_AD, nonce)
    return bytes([_VERSION_AEAD_PADDED]) + encrypted.nonce + encrypted.ciphertext


def unseal(key: bytes, blob: bytes, context: Context) -> bytes:
    """Decrypt a blob from :func:`seal` or :func:`seal_padded`; raise BadFormat or DecryptionFailed."""
    _check_key(key)
    if len(blob) < 1 + _NONCE_BYTES + _MAC_BYTES:
        raise BadFormat("sealed blob is truncated")
    if blob[0] not in (_VERSION_AEAD, _VERSION_AEAD_PADDED):
        raise BadFormat("unknown sealed blob version")
    padded = blob[0] == _VERSION_AEAD_PADDED
    nonce, ciphertext = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    associated = _associated_data(context) + (_PADDED_AD if padded else b"")
    try:
        # The binding itself, as Aead.decrypt would call it, without building a box per field.
        plaintext = _aead_decrypt(ciphertext, associated, nonce, key)
    except nacl.exceptions.CryptoError:
        # from None: the library's exception must not ride along into logs.
        raise DecryptionFailed("decryption failed") from None
    if not padded:
        return plaintext
    try:
        return sodium_unpad(plaintext, len(plaintext))
    except (nacl.exceptions.CryptoError, ValueError):
        raise BadFormat("sealed blob's padding is malformed") from None


def sealed_shape_ok(blob: bytes) -> bool:
    """Whether a blob has the shape :func:`seal` gives (version byte, nonce, room for the tag): a check that
    needs no key, for what a backup or a sweep can say about a ciphertext it cannot open."""
    return len(blob) >= 1 + _NONCE_BYTES + _MAC_BYTES and blob[0] in (_VERSION_AEAD, _VERSION_AEAD_PADDED)


def seal_str(key: bytes, text: str, context: Context) -> bytes:
    """:func:`seal_padded` for text, stored as UTF-8 (a sealed field: its length is only its bucket)."""
    return seal_padded(key, text.encode(), context)


def unseal_str(key: bytes, blob: bytes, context: Context) -> str:
    """:func:`unseal` for text sealed with :func:`seal_str`."""
    plaintext = unseal(key, blob, context)
    try:
        return plaintext.decode()
    except UnicodeDecodeError:
        raise BadFormat("sealed text is not UTF-8") from None


def keypair_new() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair as (public, private) raw bytes."""
    private = nacl.public.PrivateKey.generate()
    return bytes(private.public_key), bytes(private)


def public_from_private(private: bytes) -> bytes:
    """The X25519 public key belonging to ``private``."""
    _check_key(private, "private key")
    return bytes(nacl.public.PrivateKey(private).public_key)


def seal_to(public_key: bytes, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` so that only the matching private key can read it."""
    _check_key(public_key, "public key")
    box = nacl.public.SealedBox(nacl.public.PublicKey(public_key))
    return bytes([_VERSION_SEALED_BOX]) + box.encrypt(plaintext)


def unseal_from(private_key: bytes, blob: bytes) -> bytes:
    """Decrypt a blob from :func:`seal_to`; raise BadFormat or DecryptionFailed."""
    _check_key(private_key, "private key")
    if len(blob) < 1 + _SEALED_BOX_OVERHEAD:
        raise BadFormat("sealed box is truncated")
    if blob[0] != _VERSION_SEALED_BOX:
        raise BadFormat("unknown sealed box version")
    box = nacl.public.SealedBox(nacl.public.PrivateKey(private_key))
    try:
        return box.decrypt(blob[1:])
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed("decryption failed") from None


_KDF_ALG = "argon2id13"

KDF_PROFILES: dict[str, tuple[int, int]] = {
    "interactive": (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE),
    "moderate": (argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
    "sensitive": (argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE),
    # Receipt codes: their 18 random digits, not this cost, carry the strength (docs/threat-model.md);
    # the cost stays low (about 9 ms on one core) so that a flood of junk requests or guessed codes, each
    # paying one derivation, cannot take the cores real requests and look-ups need (issue 14).
    "requester": (2, 16 * 1024 * 1024),
    # Exists only for tests: trivially brute-forced, never use it for stored secrets.
    "insecure-fast-test": (argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN),
}


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost and salt, stored beside whatever the derived key wraps."""

    opslimit: int
    memlimit: int
    salt: bytes
    alg: str = _KDF_ALG

    def to_dict(self) -> dict[str, int | str]:
        """A JSON-ready form; the salt is hex."""
        return {
            "alg": self.alg,
            "opslimit": self.opslimit,
            "memlimit": self.memlimit,
            "salt": self.salt.hex(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> "KdfParams":
        """Parse :meth:`to_dict` output; raise BadFormat if anything is off."""
        alg, opslimit = data.get("alg"), data.get("opslimit")
        memlimit, salt = data.get("memlimit"), data.get("salt")
        if not isinstance(alg, str) or alg != _KDF_ALG:
            raise BadFormat("unknown key derivation algorithm")
        if type(opslimit) is not int or type(memlimit) is not int:
            raise BadFormat("key derivation limits must be integers")
        if not isinstance(salt, str):
            raise BadFormat("key derivation salt must be hex")
        try:
            salt_bytes = bytes.fromhex(salt)
        except ValueError:
            raise BadFormat("key derivation salt must be hex") from None
        return cls(opslimit=opslimit, memlimit=memlimit, salt=salt_bytes, alg=alg)


def kdf_params_new(profile: str = "moderate") -> KdfParams:
    """Parameters for a new derivation: the named cost profile and a random salt."""
    opslimit, memlimit = KDF_PROFILES[profile]
    return KdfParams(opslimit=opslimit, memlimit=memlimit, salt=nacl.utils.random(argon2id.SALTBYTES))


class _MemoryBudget:
    """Admits Argon2 derivations while the sum of their memlimits fits the budget.

    Several small derivations run at once; one larger than the whole budget waits
    until nothing else runs, then runs alone, so it cannot deadlock.
    """

    def __init__(self, budget: int) -> None:
        self._condition = threading.Condition()
        self._budget = budget
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        with self._condition:
            return self._in_flight

    def set_budget(self, budget: int) -> None:
        with self._condition:
            self._budget = budget
            self._condition.notify_all()

    @contextmanager
    def reserve(self, amount: int, timeout: float | None = None) -> Iterator[None]:
        """Wait for room; with a timeout, raise Busy when none came in time."""
        with self._condition:
            admitted = self._condition.wait_for(
                lambda: self._in_flight == 0 or self._in_flight + amount <= self._budget, timeout
            )
            if not admitted:
                raise Busy("key derivation lane is full")
            self._in_flight += amount
        try:
            yield
        finally:
            with self._condition:
                self._in_flight -= amount
                self._condition.notify_all()


def _budget_from_env() -> int:
    raw = os.environ.get("FERRY_KDF_MEMORY_BUDGET_MB")
    if raw is None:
        return 1024 * 1024 * 1024
    if not raw.isdigit() or int(raw) == 0:
        raise VaultError("FERRY_KDF_MEMORY_BUDGET_MB must be a positive integer")
    return int(raw) * 1024 * 1024


_kdf_budget = _MemoryBudget(_budget_from_env())
# Receipt-code look-ups have their own small lane: a flood of guesses waits or is turned away there,
# and never holds memory or cores that new requests for help and staff logins need.
_LOOKUP_LANE_BYTES = 32 * 1024 * 1024
_lookup_budget = _MemoryBudget(_LOOKUP_LANE_BYTES)


def set_kdf_memory_budget(budget: int) -> None:
    """Set how many bytes of Argon2 memory this process may use at once."""
    if budget <= 0:
        raise VaultError("memory budget must be positive")
    _kdf_budget.set_budget(budget)


def kdf_in_flight() -> int:
    """Bytes of Argon2 memory reserved by derivations running now."""
    return _kdf_budget.in_flight


def _argon2id(secret: bytes, params: KdfParams) -> bytes:
    return argon2id.kdf(
        KEY_BYTES,
        secret,
        params.salt,
        opslimit=params.opslimit,
        memlimit=params.memlimit,
    )


def derive_key(secret: str | bytes, params: KdfParams, *, lane: str = "default", timeout: float | None = None) -> bytes:
    """Derive a 32-byte key from a passphrase or code with Argon2id.

    Text is NFC-normalised first, so the same passphrase typed on another keyboard or
    OS derives the same key. The "lookup" lane admits one derivation per process at a time;
    with a timeout, Busy is raised when the lane stays full.
    """
    if params.alg != _KDF_ALG:
        raise BadFormat("unknown key derivation algorithm")
    if len(params.salt) != argon2id.SALTBYTES:
        raise BadFormat(f"key derivation salt must be {argon2id.SALTBYTES} bytes")
    # Checked before reserving memory, so corrupt limits fail fast instead of queueing.
    if not (
        argon2id.OPSLIMIT_MIN <= params.opslimit <= argon2id.OPSLIMIT_MAX
        and argon2id.MEMLIMIT_MIN <= params.memlimit <= argon2id.MEMLIMIT_MAX
    ):
        raise BadFormat("key derivation limits out of range")
    if isinstance(secret, str):
        secret = unicodedata.normalize("NFC", secret).encode()
    budget = _lookup_budget if lane == "lookup" else _kdf_budget
    with budget.reserve(params.memlimit, timeout):
        return _argon2id(secret, params)


def keypair_from_seed(seed: bytes) -> tuple[bytes, bytes]:
    """The X25519 key pair (public, private) deterministically derived from a 32-byte seed."""
    _check_key(seed, "seed")
    private = nacl.public.PrivateKey.from_seed(seed)
    return bytes(private.public_key), bytes(private)


def tag(key: bytes, person: bytes, message: bytes = b"") -> bytes:
    """A keyed 32-byte BLAKE2b of the message under a 32-byte key, personalised for one use."""
    _check_key(key)
    return nacl.hash.blake2b(message, digest_size=32, key=key, person=person, encoder=nacl.encoding.RawEncoder)


def digest(data: bytes, person: bytes, size: int = 32) -> bytes:
    """An unkeyed BLAKE2b of data, personalised for one use (fingerprints of public keys)."""
    return nacl.hash.blake2b(data, digest_size=size, person=person, encoder=nacl.encoding.RawEncoder)


def random_bytes(size: int) -> bytes:
    return nacl.utils.random(size)


def blind_index(index_key: bytes, kind: str, value: str) -> bytes:
    """A keyed 32-byte BLAKE2b of the normalised identifier, for duplicate detection.

    The kind is framed into the hashed message, so a phone and a handle with the same
    text never share an index. Raises ValueError if the value does not normalise.
    """
    _check_key(index_key, "index key")
    message = _frame(kind.encode(), normalise(kind, value).encode())
    return nacl.hash.blake2b(
        message,
        digest_size=32,
        key=index_key,
        person=_BLIND_INDEX_PERSON,
        encoder=nacl.encoding.RawEncoder,
    )


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare two byte strings in time independent of where they differ."""
    return hmac.compare_digest(a, b)
