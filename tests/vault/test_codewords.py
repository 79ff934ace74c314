# ruff: noqa: RUF001
"""A receipt code as words in the person's language: the same 24-digit code, written another way."""

from __future__ import annotations

import hashlib
import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferry.vault import codewords, requester

CODES = st.text(alphabet="0123456789", min_size=24, max_size=24)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_each_list_is_a_few_thousand_distinct_words_none_a_prefix_of_another(language: str) -> None:
    words = codewords.wordlist(language)
    assert len(words) >= 2_683  # seven words then hold every 24-digit code: 2683^7 > 10^24
    assert len(set(words)) == len(words)
    ordered = sorted(words)
    assert not any(b.startswith(a) for a, b in itertools.pairwise(ordered))
    assert all(word.isalpha() and word == word.casefold() and 3 <= len(word) <= 10 for word in words)


def test_the_other_language_shares_no_word() -> None:
    assert not set(codewords.wordlist("en")) & set(codewords.wordlist("ru"))


def test_words_carry_no_less_than_the_digits() -> None:
    # Today's code: 24 digits, about 80 bits. In words: seven, from lists big enough to hold every one of them.
    for language in ("en", "ru"):
        bits = codewords.WORDS * math.log2(len(codewords.wordlist(language)))
        assert bits >= 24 * math.log2(10)


@given(digits=CODES)
def test_every_code_goes_to_words_and_back(digits: str) -> None:
    for language in ("en", "ru"):
        words = codewords.to_words(digits, language)
        assert len(words.split()) == codewords.WORDS
        assert codewords.from_words(words) == digits


def test_words_are_read_in_any_case_and_spacing() -> None:
    digits = "123456789012345678901234"
    for language in ("en", "ru"):
        words = codewords.to_words(digits, language)
        for typed in (
            words.upper(),
            "  " + "   ".join(words.split()) + " ",
            "-".join(words.split()),
            words.replace(" ", ""),
        ):
            assert codewords.from_words(typed) == digits, typed
    russian = codewords.to_words(digits, "ru")
    assert codewords.from_words(russian.replace("е", "ё")) == digits


def test_what_is_not_seven_known_words_is_not_a_code() -> None:
    words = codewords.to_words("000000000000000000000001", "en").split()
    assert codewords.from_words(" ".join(words[:6])) is None
    assert codewords.from_words(" ".join([*words, words[0]])) is None
    assert codewords.from_words(" ".join([*words[:6], "notaword"])) is None
    # Mixed languages are refused; so is a sequence beyond the largest 24-digit code
    ru = codewords.to_words("000000000000000000000001", "ru").split()
    assert codewords.from_words(" ".join([*words[:6], ru[6]])) is None
    last = codewords.wordlist("en")[-1]
    assert codewords.from_words(" ".join([last] * 7)) is None


def test_the_receipt_code_parses_words_and_digits_alike() -> None:
    code = requester.code_new()
    for typed in (code.grouped(), codewords.to_words(code.digits, "en"), codewords.to_words(code.digits, "ru").upper()):
        parsed = requester.code_parse(typed)
        assert parsed == code


def test_the_lists_are_frozen() -> None:
    # The lists are part of the code format: a changed line would change every code given out in words.
    assert _digest("en") == "76e3348ad957cad7d9c5c68873e89410ed998c19f4956367ab52d9aec4eee884"
    assert _digest("ru") == "8f0dbe93c1ba5fbffb0327f5a1307d6ad98b65809774ae891342b10338d708f0"


def _digest(language: str) -> str:
    return hashlib.sha256("\n".join(codewords.wordlist(language)).encode()).hexdigest()
