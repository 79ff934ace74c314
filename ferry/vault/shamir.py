"""Shamir secret sharing over GF(256), used to split the organisation's escrow key.

Each share is one x-coordinate byte (1..255) followed by one y byte per secret byte.
The field is GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11B).

Combining fewer shares than the threshold does not fail: it silently yields a wrong
value, because the shares do not record the threshold. Callers must verify what they
recover (for the escrow key: derive its public key and compare with the stored one).
"""

import base64
import binascii
import hashlib
import secrets
from collections.abc import Callable, Sequence

from ferry.vault.errors import BadShare, NotEnoughShares

_POLY = 0x11B
_GENERATOR = 0x03


def _build_tables() -> tuple[list[int], list[int]]:
    """Exp table (doubled so log sums need no modulo) and log table for generator 3."""
    exp = [0] * 510
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        # Multiply by 3 = multiply by x, then add the original value.
        doubled = value << 1
        if doubled & 0x100:
            doubled ^= _POLY
        value = doubled ^ value
    for power in range(255, 510):
        exp[power] = exp[power - 255]
    return exp, log


_EXP, _LOG = _build_tables()


def gf_mul(a: int, b: int) -> int:
    """Multiply two field elements."""
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def gf_div(a: int, b: int) -> int:
    """Divide ``a`` by the non-zero field element ``b``."""
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(256)")
    if a == 0:
        return 0
    return _EXP[_LOG[a] + 255 - _LOG[b]]


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    """Evaluate the polynomial (constant term first) at ``x`` by Horner's rule."""
    result = 0
    for coefficient in reversed(coefficients):
        result = gf_mul(result, x) ^ coefficient
    return result


def split(
    secret: bytes,
    *,
    shares: int,
    threshold: int,
    rng: Callable[[int], bytes] | None = None,
) -> list[bytes]:
    """Split ``secret`` into ``shares`` shares, any ``threshold`` of which recover it.

    ``rng`` supplies the random coefficients (``threshold - 1`` per secret byte, in
    order a1, a2, ...); it defaults to ``secrets.token_bytes`` and exists for tests.
    Coefficients are uniform, including zero leading ones: forcing them non-zero
    would leak a little about the secret.
    """
    if not secret:
        raise ValueError("secret must not be empty")
    # Threshold 1 would put the secret itself in every share.
    if not 2 <= threshold <= shares <= 255:
        raise ValueError("need 2 <= threshold <= shares <= 255")
    degree = threshold - 1
    needed = degree * len(secret)
    randomness = (rng or secrets.token_bytes)(needed)
    if len(randomness) != needed:
        raise ValueError("rng returned the wrong number of bytes")
    result = [bytearray([x]) for x in range(1, shares + 1)]
    for index, secret_byte in enumerate(secret):
        coefficients = [secret_byte, *randomness[index * degree : (index + 1) * degree]]
        for share in result:
            share.append(_evaluate(coefficients, share[0]))
    return [bytes(share) for share in result]


def combine(shares: Sequence[bytes]) -> bytes:
    """Recover the secret by Lagrange interpolation at x = 0.

    Fewer shares than the threshold give a wrong value, not an error (see module doc).
    """
    if len(shares) < 2:
        raise NotEnoughShares("at least two shares are needed")
    length = len(shares[0])
    if length < 2:
        raise BadShare("share is empty")
    xs = [share[0] for share in shares]
    if any(len(share) != length for share in shares):
        raise BadShare("shares have different lengths")
    if 0 in xs:
        raise BadShare("share has x-coordinate 0")
    if len(set(xs)) != len(xs):
        raise BadShare("duplicate share")
    # Lagrange basis at 0: l_j = prod(m != j) x_m / (x_m - x_j); minus is XOR here.
    basis = []
    for j, x_j in enumerate(xs):
        weight = 1
        for m, x_m in enumerate(xs):
            if m != j:
                weight = gf_mul(weight, gf_div(x_m, x_m ^ x_j))
        basis.append(weight)
    secret = bytearray()
    for position in range(1, length):
        value = 0
        for weight, share in zip(basis, shares, strict=True):
            value ^= gf_mul(weight, share[position])
        secret.append(value)
    return bytes(secret)


_SHARE_PREFIX = "S1"
_GROUP = 5
_CHECKSUM_CHARS = 2
# Digits people type for look-alike letters; RFC 4648 base32 has no 0, 1 or 8.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def _checksum(share: bytes) -> str:
    """Two base32 characters (10 bits) of a BLAKE2b digest of the share."""
    digest = hashlib.blake2b(_SHARE_PREFIX.encode() + share, digest_size=8, person=b"ferry.share").digest()
    return base64.b32encode(digest).decode()[:_CHECKSUM_CHARS]


def _base32(share: bytes) -> str:
    return base64.b32encode(share).decode().rstrip("=")


def encode_share(share: bytes) -> str:
    """A share as upper-case base32 in dash-separated groups, plus a checksum group."""
    if len(share) < 2 or share[0] == 0:
        raise BadShare("not a share")
    body = _base32(share)
    groups = [body[i : i + _GROUP] for i in range(0, len(body), _GROUP)]
    return "-".join([_SHARE_PREFIX, *groups, _checksum(share)])


def decode_share(text: str) -> bytes:
    """Parse a typed share; tolerant of spaces, case and missing dashes.

    Raises BadShare on a malformed share or a checksum mismatch. The 10-bit checksum
    misses about one typo in a thousand; ``combine`` callers verify the result anyway.
    """
    compact = "".join(text.split()).replace("-", "").upper()
    if not compact.startswith(_SHARE_PREFIX):
        raise BadShare("not a share")
    compact = compact.removeprefix(_SHARE_PREFIX).translate(_LOOKALIKES)
    body, checksum = compact[:-_CHECKSUM_CHARS], compact[-_CHECKSUM_CHARS:]
    padding = "=" * (-len(body) % 8)
    try:
        share = base64.b32decode(body + padding)
    except (binascii.Error, ValueError):
        raise BadShare("share is not valid base32") from None
    # Re-encoding rejects texts whose unused trailing bits are not the canonical ones.
    if len(share) < 2 or share[0] == 0 or _base32(share) != body:
        raise BadShare("not a share")
    if not secrets.compare_digest(checksum, _checksum(share)):
        raise BadShare("share checksum does not match")
    return share
