"""Tests for ferry.vault.shamir."""

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferry.vault import shamir
from ferry.vault.errors import BadShare, NotEnoughShares
from ferry.vault.shamir import gf_div, gf_mul

# Share 3 of a split 32-byte secret (an escrow key); fixed so typo tests are stable.
FIXED_SHARE = bytes([3]) + bytes(range(100, 132))


# --- field arithmetic ----------------------------------------------------------------


def test_gf_mul_matches_fips_197() -> None:
    """Given the worked examples of FIPS-197 section 4.2, then gf_mul agrees."""
    assert gf_mul(0x57, 0x83) == 0xC1
    assert gf_mul(0x57, 0x13) == 0xFE


def test_gf_div_inverts_gf_mul() -> None:
    """Given every pair of field elements, then dividing a product gives the factor."""
    for a in range(256):
        for b in range(1, 256):
            assert gf_div(gf_mul(a, b), b) == a


def test_gf_div_by_zero() -> None:
    """Given a zero divisor, then division refuses."""
    with pytest.raises(ZeroDivisionError):
        gf_div(1, 0)


# --- split and combine ---------------------------------------------------------------


def test_split_matches_hand_computation() -> None:
    """Given f(x) = 0x42 + 0x07x + 0x01x^2 and g(x) = 0x10 + 0x80x, then shares match.

    By hand, with 0x07*2 = 0x0E, 0x07*3 = 0x09, 2*2 = 0x04, 3*3 = 0x05,
    0x80*2 = 0x100 ^ 0x11B = 0x1B and 0x80*3 = 0x9B:
      f(1) = 0x42^0x07^0x01 = 0x44   g(1) = 0x10^0x80 = 0x90
      f(2) = 0x42^0x0E^0x04 = 0x48   g(2) = 0x10^0x1B = 0x0B
      f(3) = 0x42^0x09^0x05 = 0x4E   g(3) = 0x10^0x9B = 0x8B
    """
    requested: list[int] = []

    def fixed_rng(count: int) -> bytes:
        requested.append(count)
        return bytes([0x07, 0x01, 0x80, 0x00])

    shares = shamir.split(b"\x42\x10", shares=3, threshold=3, rng=fixed_rng)
    assert requested == [4]
    assert shares == [b"\x01\x44\x90", b"\x02\x48\x0b", b"\x03\x4e\x8b"]
    assert shamir.combine(shares) == b"\x42\x10"


@given(
    secret=st.binary(min_size=1, max_size=64),
    sizes=st.integers(min_value=2, max_value=10).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(min_value=2, max_value=n))
    ),
    data=st.data(),
)
def test_any_threshold_subset_recovers(secret: bytes, sizes: tuple[int, int], data: st.DataObject) -> None:
    """Given a k-of-n split, when any k shares are combined, the secret comes back."""
    n, k = sizes
    shares = shamir.split(secret, shares=n, threshold=k)
    assert len(shares) == n
    assert all(len(share) == len(secret) + 1 for share in shares)
    chosen = data.draw(st.permutations(shares))[:k]
    assert shamir.combine(chosen) == secret


@given(
    secret=st.binary(min_size=16, max_size=64),
    sizes=st.integers(min_value=3, max_value=10).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(min_value=3, max_value=n))
    ),
    data=st.data(),
)
def test_fewer_than_threshold_gives_wrong_secret(secret: bytes, sizes: tuple[int, int], data: st.DataObject) -> None:
    """Given a k-of-n split, when only k-1 shares are combined, the result is wrong.

    At least 16 secret bytes make an accidental match a 2^-128 event, not a flake.
    """
    n, k = sizes
    shares = shamir.split(secret, shares=n, threshold=k)
    chosen = data.draw(st.permutations(shares))[: k - 1]
    assert shamir.combine(chosen) != secret


@settings(max_examples=10, deadline=None)
@given(
    xs=st.lists(st.integers(min_value=1, max_value=255), min_size=2, max_size=2, unique=True),
    ys=st.tuples(st.integers(0, 255), st.integers(0, 255)),
)
def test_two_of_three_shares_leave_every_secret_equally_likely(xs: list[int], ys: tuple[int, int]) -> None:
    """Given two points of a degree-2 polynomial, every secret byte fits exactly one.

    For each candidate secret s and every a2, the first point fixes a1; counting the a2
    for which the second point also fits shows each s has exactly one polynomial, so the
    two shares say nothing about s.
    """
    (x1, x2), (y1, y2) = xs, ys
    for s in range(256):
        consistent = 0
        for a2 in range(256):
            a1 = gf_div(y1 ^ s ^ gf_mul(a2, gf_mul(x1, x1)), x1)
            if s ^ gf_mul(a1, x2) ^ gf_mul(a2, gf_mul(x2, x2)) == y2:
                consistent += 1
        assert consistent == 1


def test_combine_refuses_duplicate_x() -> None:
    """Given the same share twice, then combine says BadShare rather than guessing."""
    shares = shamir.split(b"secret", shares=3, threshold=2)
    with pytest.raises(BadShare):
        shamir.combine([shares[0], shares[0]])


@pytest.mark.parametrize(
    "shares",
    [
        [b"\x01ab", b"\x02abc"],
        [b"\x00ab", b"\x02ab"],
        [b"\x01", b"\x02"],
        [b"", b""],
    ],
)
def test_combine_refuses_malformed_shares(shares: list[bytes]) -> None:
    """Given mismatched lengths, x = 0 or empty shares, then combine says BadShare."""
    with pytest.raises(BadShare):
        shamir.combine(shares)


@pytest.mark.parametrize("count", [0, 1])
def test_combine_needs_two_shares(count: int) -> None:
    """Given fewer than two shares, then combine says NotEnoughShares."""
    shares = shamir.split(b"secret", shares=3, threshold=2)
    with pytest.raises(NotEnoughShares):
        shamir.combine(shares[:count])


@pytest.mark.parametrize(
    ("secret", "shares", "threshold"),
    [(b"", 3, 2), (b"s", 3, 1), (b"s", 2, 3), (b"s", 256, 2)],
)
def test_split_refuses_bad_arguments(secret: bytes, shares: int, threshold: int) -> None:
    """Given an empty secret or an impossible k-of-n, then split refuses."""
    with pytest.raises(ValueError, match=r"secret|threshold"):
        shamir.split(secret, shares=shares, threshold=threshold)


# --- typed encoding ------------------------------------------------------------------


@given(secret=st.binary(min_size=1, max_size=64))
def test_encoding_round_trip(secret: bytes) -> None:
    """Given a share, when encoded and decoded, it comes back; sloppy typing too."""
    for share in shamir.split(secret, shares=2, threshold=2):
        text = shamir.encode_share(share)
        assert text.startswith("S1-")
        assert all(len(group) <= 5 for group in text.split("-"))
        assert shamir.decode_share(text) == share
        assert shamir.decode_share(" " + text.lower().replace("-", " ") + "\n") == share
        assert shamir.decode_share(text.replace("-", "")) == share


def test_lookalike_digits_are_read_as_letters() -> None:
    """Given a share typed with 0 for O, 1 for I and 8 for B, then it still decodes."""
    text = shamir.encode_share(FIXED_SHARE)
    assert {"O", "I", "B"} <= set(text)
    typed = "S1" + text[2:].replace("O", "0").replace("I", "1").replace("B", "8")
    assert shamir.decode_share(typed) == FIXED_SHARE


def test_a_typo_is_detected() -> None:
    """Given an encoded share with one character changed, then decode says BadShare."""
    text = shamir.encode_share(FIXED_SHARE)
    position = text.index("-") + 3
    typo = text[:position] + ("A" if text[position] != "A" else "B") + text[position + 1 :]
    with pytest.raises(BadShare):
        shamir.decode_share(typo)


def test_swapped_groups_are_detected() -> None:
    """Given two groups typed in the wrong order, then decode says BadShare."""
    groups = shamir.encode_share(FIXED_SHARE).split("-")
    groups[1], groups[2] = groups[2], groups[1]
    with pytest.raises(BadShare):
        shamir.decode_share("-".join(groups))


def test_nearly_all_single_substitutions_are_detected() -> None:
    """Given every one-character substitution of a share, then at least 99% are refused.

    The checksum is 10 bits, so about one substitution in 1024 slips through; combine's
    callers check the recovered key against its public key, which catches the rest.
    """
    text = shamir.encode_share(FIXED_SHARE)
    alphabet = string.ascii_uppercase + "234567"
    typos = [
        text[:i] + letter + text[i + 1 :]
        for i, char in enumerate(text)
        if i > 2 and char != "-"
        for letter in alphabet
        if letter != char
    ]
    detected = 0
    for typo in typos:
        try:
            assert shamir.decode_share(typo) != FIXED_SHARE
        except BadShare:
            detected += 1
    assert detected / len(typos) >= 0.99


@pytest.mark.parametrize("text", ["", "S1", "X1-AAAAA-AA", "S1-AAAAA-A!-AA", "S1-A-AA"])
def test_malformed_text_is_bad_share(text: str) -> None:
    """Given text that is not a share at all, then decode says BadShare."""
    with pytest.raises(BadShare):
        shamir.decode_share(text)
