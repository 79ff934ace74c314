"""Canonical forms of contact identifiers, so equal contacts get equal blind indexes."""

import re
import unicodedata

import phonenumbers

KINDS = frozenset({"phone", "telegram", "signal", "email", "handle"})

# Separators people type inside phone numbers; anything else non-digit is rejected
# (phonenumbers would otherwise accept letters and extensions, which would give one
# person several indexes).
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_TELEGRAM_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/")


def normalise(kind: str, value: str) -> str:
    """The canonical form of ``value`` for ``kind``; ValueError if it has none.

    Error messages never echo the value: it is personal data.
    """
    if kind == "phone":
        return _phone(value)
    if kind not in KINDS:
        raise ValueError("unknown identifier kind")
    text = unicodedata.normalize("NFC", value).strip().lower()
    if kind == "telegram":
        text = _TELEGRAM_URL.sub("", text).rstrip("/")
    if kind != "email":
        text = text.removeprefix("@")
    if not text:
        # An empty identifier would make every blank contact look like a duplicate.
        raise ValueError(f"empty {kind} identifier")
    return text


def _phone(value: str) -> str:
    """Return the E.164 form of a phone number typed with or without a leading +."""
    cleaned = _PHONE_SEPARATORS.sub("", value)
    digits = cleaned.removeprefix("+")
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("not a recognisable phone number")
    if not cleaned.startswith("+"):
        if len(digits) == 11 and digits.startswith("8"):
            # Russian trunk prefix: 8 912 ... is dialled for +7 912 ...
            digits = "7" + digits[1:]
        elif digits.startswith("00"):
            # International call prefix used across Europe and Central Asia.
            digits = digits[2:]
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        raise ValueError("not a recognisable phone number") from None
    # "Possible" (plausible length for the country) rather than "valid": validity
    # depends on number-range metadata that lags behind real allocations.
    if not phonenumbers.is_possible_number(number):
        raise ValueError("not a recognisable phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
