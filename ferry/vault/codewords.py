"""A receipt code written as seven words in the person's language: the same 24-digit number, in base W.

The lists (words/en.txt, words/ru.txt) are part of the code format: each holds at least 2,683 words, so that
seven of them hold every 24-digit code (2,683^7 > 10^24), and no word is a prefix of another, so words typed
run together still read one way. Digits and words open the same mailbox: the key derivation never sees the
words, only the digits they stand for."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

WORDS = 7
LANGUAGES = ("en", "ru")
_DIGITS = 24
_LIMIT = 10**_DIGITS
_FOLDER = Path(__file__).resolve().parent / "words"
_SEPARATORS = " -_.,;:/\u00a0\t\r\n\u2010\u2011\u2012\u2013\u2014"


@cache
def wordlist(language: str) -> tuple[str, ...]:
    """The language's words in their fixed order (a word's place is its value)."""
    if language not in LANGUAGES:
        raise ValueError("no word list for this language")
    lines = (_FOLDER / f"{language}.txt").read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@cache
def _values(language: str) -> dict[str, int]:
    return {word: index for index, word in enumerate(wordlist(language))}


def _fold(text: str) -> str:
    """What is compared: any case, compatibility forms joined, yo as ye (the lists never write yo), no separators."""
    folded = unicodedata.normalize("NFKC", text or "").casefold().replace("\u0451", "\u0435")
    return "".join(ch for ch in folded if ch not in _SEPARATORS)


def to_words(digits: str, language: str) -> str:
    """The code's digits as seven words of the language, separated by spaces."""
    if len(digits) != _DIGITS or not digits.isascii() or not digits.isdigit():
        raise ValueError("a code has 24 digits")
    words = wordlist(language)
    number, base = int(digits), len(words)
    picked = []
    for _ in range(WORDS):
        number, place = divmod(number, base)
        picked.append(words[place])
    return " ".join(reversed(picked))


def _split(text: str, language: str) -> list[int] | None:
    """The values of the words run together in text, or None if it is not words of this list (one reading:
    no word is a prefix of another)."""
    values, lengths = _values(language), sorted({len(w) for w in wordlist(language)})
    found: list[int] = []
    start = 0
    while start < len(text) and len(found) <= WORDS:
        match = next((text[start : start + n] for n in lengths if text[start : start + n] in values), None)
        if match is None:
            return None
        found.append(values[match])
        start += len(match)
    return found if start == len(text) else None


def from_words(text: str) -> str | None:
    """The 24 digits that seven typed words stand for, or None when they are not seven words of one list."""
    folded = _fold(text)
    for language in LANGUAGES:
        found = _split(folded, language)
        if found is None or len(found) != WORDS:
            continue
        number, base = 0, len(wordlist(language))
        for value in found:
            number = number * base + value
        return str(number).zfill(_DIGITS) if number < _LIMIT else None
    return None
