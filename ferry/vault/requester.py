"""Requester keys: receipt codes, the key pair derived from them, and the duress code beside them.

A receipt code is 24 digits: a 6-digit locator that finds the mailbox by index, then 18 secret digits.
Only an Argon2id derivation of the secret digits, under the mailbox's own salt, opens anything: its
seed gives an X25519 key pair whose public half is stored (and the case key is sealed to it). The
duress code has a locator of its own (the intake finds the same mailbox by either); its own secret digits,
derived under the same salt, must match a keyed tag of the seed. One derivation tells the three answers
apart (real, duress, wrong) in constant time.
Another keyed tag of the duress code's seed is the key of its decoy mailbox.
Nothing here stores a code, and a copy of the database needs 10^18 derivations per mailbox to find one.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field

from ferry.vault import codewords, crypto

LOCATOR_DIGITS = 6
SECRET_DIGITS = 18
CODE_DIGITS = LOCATOR_DIGITS + SECRET_DIGITS
_DURESS_PERSON = b"ferry.duress.v1"
_DECOY_PERSON = b"ferry.decoy.v1"


@dataclass(frozen=True)
class ReceiptCode:
    locator: str
    secret: str = field(repr=False)

    @property
    def digits(self) -> str:
        return self.locator + self.secret

    def grouped(self) -> str:
        """Groups of four digits, as shown to the person and as they may type it back."""
        return " ".join(self.digits[i : i + 4] for i in range(0, CODE_DIGITS, 4))

    def words(self, language: str) -> str:
        """The same code as seven words of the language (vault.codewords): either form opens the mailbox."""
        return codewords.to_words(self.digits, language)


def _digits(count: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(count))


def code_new(locator: str | None = None) -> ReceiptCode:
    """A fresh random code (with a locator of its own unless one is given)."""
    return ReceiptCode(locator=locator or _digits(LOCATOR_DIGITS), secret=_digits(SECRET_DIGITS))


def code_parse(text: str) -> ReceiptCode | None:
    """The code typed back, with spaces, dashes and any script's digits allowed, or as its seven words
    (vault.codewords) in any case and spacing; None if it cannot be one."""
    if any(ch.isalpha() for ch in text or ""):
        digits = codewords.from_words(text)
        return None if digits is None else ReceiptCode(locator=digits[:LOCATOR_DIGITS], secret=digits[LOCATOR_DIGITS:])
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if ch not in " -\u00a0\t\r\n.")
    if len(cleaned) != CODE_DIGITS or not all(ch.isdigit() for ch in cleaned):
        return None
    try:
        ascii_digits = "".join(str(unicodedata.digit(ch)) for ch in cleaned)
    except ValueError:
        return None
    return ReceiptCode(locator=ascii_digits[:LOCATOR_DIGITS], secret=ascii_digits[LOCATOR_DIGITS:])


@dataclass(frozen=True)
class Enrolment:
    """What the server keeps for one mailbox: cost and salt, the public key, the duress tag."""

    kdf: dict[str, int | str]
    public_key: bytes
    duress_check: bytes


def enrol(*, code: ReceiptCode, duress: ReceiptCode | None, profile: str) -> tuple[Enrolment, bytes]:
    """Derive the requester key pair from a new code; returns the enrolment and the private key."""
    params = crypto.kdf_params_new(profile)
    public, private = crypto.keypair_from_seed(crypto.derive_key(code.secret, params))
    if duress is not None:
        duress_check = crypto.tag(crypto.derive_key(duress.secret, params), _DURESS_PERSON)
    else:
        # Without a duress code the tag is random, so the row looks the same and no code matches it.
        duress_check = crypto.random_bytes(32)
    return Enrolment(kdf=params.to_dict(), public_key=public, duress_check=duress_check), private


@dataclass(frozen=True)
class Opened:
    private_key: bytes | None = field(repr=False)
    duress: bool
    # Under the duress code: the key of the decoy mailbox (what is typed under it is shown back, so the
    # mailbox behaves as under the real code). Derived from the duress code alone: staff never hold it.
    decoy_key: bytes | None = field(default=None, repr=False)


def open_mailbox(
    *, code: ReceiptCode, kdf: dict[str, object], public_key: bytes, duress_check: bytes, timeout: float
) -> Opened | None:
    """Real code: the private key. Duress code: Opened(None, duress=True). Wrong: None. Same work for all.

    Runs on the look-up lane: raises Busy when the lane stays full for `timeout` seconds."""
    params = crypto.KdfParams.from_dict(kdf)
    seed = crypto.derive_key(code.secret, params, lane="lookup", timeout=timeout)
    public, private = crypto.keypair_from_seed(seed)
    is_real = crypto.constant_time_equal(public, bytes(public_key))
    is_duress = crypto.constant_time_equal(crypto.tag(seed, _DURESS_PERSON), bytes(duress_check))
    decoy_key = crypto.tag(seed, _DECOY_PERSON)  # every branch, so each does the same work
    if is_real:
        return Opened(private_key=private, duress=False)
    if is_duress:
        return Opened(private_key=None, duress=True, decoy_key=decoy_key)
    return None


def dummy_open(*, profile: str, timeout: float) -> None:
    """The same derivation for a locator that finds no mailbox, so the answer takes the same time."""
    params = crypto.kdf_params_new(profile)
    seed = crypto.derive_key(_digits(SECRET_DIGITS), params, lane="lookup", timeout=timeout)
    crypto.keypair_from_seed(seed)
    crypto.tag(seed, _DURESS_PERSON)
    crypto.tag(seed, _DECOY_PERSON)


def _decoy_context(mailbox_id: int) -> crypto.Context:
    return ("intake.mailbox", str(mailbox_id), "decoy")


def decoy_seal(*, decoy_key: bytes, mailbox_id: int, content: bytes) -> bytes:
    """Seal the decoy mailbox's content under the key only the duress code derives."""
    return crypto.seal_padded(decoy_key, content, _decoy_context(mailbox_id))


def decoy_open(*, decoy_key: bytes, mailbox_id: int, sealed: bytes) -> bytes:
    return crypto.unseal(decoy_key, sealed, _decoy_context(mailbox_id))
