"""Tests for ferry.vault.normalise."""

import pytest

from ferry.vault.normalise import normalise


@pytest.mark.parametrize(
    "typed",
    [
        "+79123456789",
        "+7 912 345-67-89",
        "+7 (912) 345-67-89",
        "89123456789",
        "8 (912) 345 67 89",
        "79123456789",
        "0079123456789",
        " +7.912.345.67.89 ",
    ],
)
def test_phone_forms_share_one_e164(typed: str) -> None:
    """Given one Russian mobile number typed in common ways, then all give one E.164."""
    assert normalise("phone", typed) == "+79123456789"


def test_phone_other_country() -> None:
    """Given a non-Russian number without a plus, then its own country code is kept."""
    assert normalise("phone", "44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    "typed",
    [
        "12345",
        "+7 912 ABC-67-89",
        "call 89123456789",
        "+0 000 000 0000",
        "8912345678#9",
        "+",
    ],
)
def test_bad_phone_is_refused_without_echo(typed: str) -> None:
    """Given something not a phone number, then ValueError does not repeat it."""
    with pytest.raises(ValueError, match="phone") as caught:
        normalise("phone", typed)
    assert typed not in str(caught.value)


@pytest.mark.parametrize(
    "typed",
    [
        "some_name",
        "@Some_Name",
        " @some_name ",
        "t.me/some_name",
        "https://t.me/Some_Name",
        "http://t.me/some_name/",
        "https://telegram.me/some_name",
    ],
)
def test_telegram_forms(typed: str) -> None:
    """Given a Telegram name as a handle or t.me link, then the bare name is kept."""
    assert normalise("telegram", typed) == "some_name"


@pytest.mark.parametrize("kind", ["signal", "handle"])
def test_handles_drop_at_and_case(kind: str) -> None:
    """Given a handle with @, spaces and capitals, then the lower-case name is kept."""
    assert normalise(kind, "  @Alice.01 ") == "alice.01"


def test_email_is_trimmed_and_lower_cased() -> None:
    """Given an email with spaces and capitals, then it is trimmed and lower-cased."""
    assert normalise("email", " Alice@Example.ORG ") == "alice@example.org"


@pytest.mark.parametrize(("kind", "typed"), [("handle", " @ "), ("email", "  "), ("telegram", "t.me/")])
def test_empty_identifier_is_refused(kind: str, typed: str) -> None:
    """Given an identifier that is empty once normalised, then ValueError."""
    with pytest.raises(ValueError, match="empty"):
        normalise(kind, typed)


def test_unknown_kind_is_refused() -> None:
    """Given an unknown kind, then ValueError."""
    with pytest.raises(ValueError, match="kind"):
        normalise("fax", "123")
