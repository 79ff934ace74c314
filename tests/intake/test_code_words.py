# ruff: noqa: RUF001
"""The receipt code offered as seven words in the person's language; words and digits open one mailbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from ferry.vault import codewords
from tests.intake.helpers import form_token, open_box, request_data

pytestmark = pytest.mark.django_db

WORDS_RE = re.compile(r'<p class="secret words"[^>]*>([^<]+)</p>')
DIGITS_RE = re.compile(r'<p class="secret code"[^>]*>([\d ]+)</p>')


def _send(client: Client, lang: str, duress: bool = False) -> str:
    data = {**request_data(), "form_token": form_token(client, lang)}
    if duress:
        data["want_duress"] = "on"
    return client.post(f"/send?lang={lang}", data).content.decode()


@pytest.mark.parametrize(("lang", "script"), [("en", r"[a-z]"), ("ru", r"[а-я]")])
def test_the_receipt_gives_the_code_as_words_in_the_pages_language(
    client: Client, hotline: dict[str, Any], lang: str, script: str
) -> None:
    # Given a person who writes in English, or in Russian, and asks for a duress code too
    page = _send(client, lang, duress=True)

    # Then each code is shown as seven words of that language, and as its digits
    words, digits = WORDS_RE.findall(page), DIGITS_RE.findall(page)
    assert len(words) == 2
    assert len(digits) == 2
    for said, number in zip(words, digits, strict=True):
        assert len(said.split()) == codewords.WORDS
        assert all(re.fullmatch(f"{script}+", word) for word in said.split())
        assert codewords.from_words(said) == number.replace(" ", "")


def test_the_words_typed_back_in_any_case_and_spacing_open_the_mailbox(client: Client, hotline: dict[str, Any]) -> None:
    page = _send(client, "ru")
    words = WORDS_RE.findall(page)[0]
    typed = "  ".join(words.upper().split())
    response, box = open_box(Client(), typed)
    assert response.status_code == 200
    assert box is not None
    assert open_box(Client(), words.replace(" ", ""))[1] is not None


def test_words_that_are_not_a_code_are_answered_as_a_wrong_code(client: Client, hotline: dict[str, Any]) -> None:
    response, box = open_box(client, "apple banana cherry")
    assert box is None
    assert response.status_code == 400
    assert "seven words" in response.content.decode()
