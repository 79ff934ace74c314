"""What one anonymous submission costs the server (issue 14: a flood of junk must not take the machine): the empty
form is rendered once per language, its long lists are made once, and a submission runs a fixed number of queries
however many coordinators it is sealed to. Counts, never the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.test import Client, RequestFactory
from django.utils.choices import CallableChoiceIterator

from ferry.intake import forms, views
from ferry.intake.models import Request
from ferry.vault import codewords
from tests.intake.helpers import OPEN_TOKEN_RE, TOKEN_RE, request_data, submit

# The statements one submission runs in a busy hour (the form's token checked and recorded, the hour's counter,
# the coordinators and their keys read once, two key sets with their grants, the request, its mailbox, the
# hotline's alert already raised), savepoints included. It was 32 when each key set read the escrow key and
# each coordinator's key again. A change that adds one per coordinator or per key set shows here first.
QUERIES_PER_SUBMISSION = 28


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The statements the database is sent inside the block (savepoints too), as its driver gets them."""
    sent: list[str] = []

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield sent


@pytest.fixture(autouse=True)
def _no_pages_made() -> None:
    """Each test starts with no page made yet, as a freshly started server does."""
    views._PAGES.clear()


def _tokens(page: Any) -> tuple[str, str]:
    text = page.content.decode()
    form_token, open_token = TOKEN_RE.search(text), OPEN_TOKEN_RE.search(text)
    assert form_token is not None
    assert open_token is not None
    return form_token.group(1), open_token.group(1)


def test_each_copy_of_the_form_gets_its_own_valid_tokens(client: Client, db: None) -> None:
    # Given the form shown to one visitor
    first = client.get("/?lang=en")
    # When another visitor asks for it (the page now comes from the one made for the first)
    second = Client().get("/?lang=en")
    # Then each copy carries its own tokens, both valid, and no slot is left in either
    assert first.status_code == second.status_code == 200
    tokens = [*_tokens(first), *_tokens(second)]
    assert len(set(tokens)) == 4
    assert all(forms.form_token_nonce(token) is not None for token in tokens)
    for page in (first, second):
        assert b"TOKEN-SLOT" not in page.content
        assert "no-store" in page["Cache-Control"]


def test_the_empty_form_is_rendered_once_per_language(client: Client, db: None) -> None:
    # Given the form already shown once in English
    assert "intake/front.html" in [t.name for t in client.get("/?lang=en").templates]
    # When it is asked for again in English, then in Russian
    again = client.get("/?lang=en")
    russian = client.get("/?lang=ru")
    # Then only the Russian page is rendered; the English one is the page made before, with new tokens
    assert again.templates == []
    assert "intake/front.html" in [t.name for t in russian.templates]
    assert '<html lang="ru">' in russian.content.decode()


def test_a_message_for_a_staff_browser_never_enters_the_shared_page(client: Client, db: None) -> None:
    # Given a browser holding a message meant for a staff member (the messages framework's cookie)
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies["messages"] = storage._encode([Message(constants.INFO, "Staff-only notice")])
    # When it opens the request form first, and another visitor opens it after
    own = client.get("/?lang=en")
    other = Client().get("/?lang=en")
    # Then neither page shows it
    assert "Staff-only notice" not in own.content.decode()
    assert "Staff-only notice" not in other.content.decode()


def test_a_change_of_settings_shows_on_the_next_page(client: Client, settings: Any, db: None) -> None:
    # Given the form made with the default title
    client.get("/?lang=en")
    # When the organisation sets its own
    settings.FERRY_INTAKE_TITLE = "Garden club letters"
    # Then the next page shows it
    assert "Garden club letters" in client.get("/?lang=en").content.decode()


def test_the_chosen_country_and_region_come_back_selected(client: Client, hotline: dict[str, Any]) -> None:
    # Given a form refused for another field, with a country and a region chosen
    data = request_data(story="", country="RU", region="RU-CE")
    data["form_token"] = TOKEN_RE.search(client.get("/?lang=en").content.decode()).group(1)  # type: ignore[union-attr]
    # When it comes back
    page = client.post("/send?lang=en", data).content.decode()
    # Then each list has exactly the chosen option selected
    assert page.count(" selected>") == 2
    assert '<option value="RU" selected>' in page
    assert '<option value="RU-CE" selected>' in page


def test_a_country_or_region_outside_the_lists_is_refused(client: Client, hotline: dict[str, Any]) -> None:
    # Given a form with a region that is no focus country's and a country code that does not exist
    for field, value in (("region", "FR-75"), ("country", "ZZ")):
        # When it is sent
        response, code, _duress = submit(client, **{field: value})
        # Then it is refused for that field and nothing is stored
        assert response.status_code == 400
        assert code is None
        assert "Select a valid choice" in response.content.decode()
    assert not Request.objects.exists()


def test_a_submission_runs_the_same_queries_however_many_coordinators(
    client: Client, hotline: dict[str, Any], make_staff: Any
) -> None:
    # Given two coordinators, and a request already sent this hour (its counter and their alerts exist)
    submit(client)

    def sent() -> list[str]:
        token = TOKEN_RE.search(client.get("/?lang=en").content.decode())
        assert token is not None
        with _statements() as run:
            assert client.post("/send?lang=en", {**request_data(), "form_token": token.group(1)}).status_code == 200
        return run

    # When another is sent, and another once there are four coordinators
    two = sent()
    make_staff("coordinator")
    make_staff("coordinator")
    submit(client)
    four = sent()
    # Then their keys are read once for both key sets, not once per coordinator and key set
    assert len(two) == len(four) == QUERIES_PER_SUBMISSION, [sql[:60] for sql in four]


def test_the_empty_form_reads_nothing_but_the_hour_s_count(client: Client, db: None) -> None:
    # Given the form already made once
    client.get("/?lang=en")
    # When it is asked for again
    with _statements() as run:
        client.get("/?lang=en")
    # Then only this hour's count of submissions is read (is a flood on, and the puzzle offered?)
    assert len(run) == 1
    assert "intake_intakewindow" in run[0]


def test_each_receipt_shows_its_own_codes_in_the_page_made_once(client: Client, hotline: dict[str, Any]) -> None:
    # Given a receipt page already made, for a request with a duress code
    first, code, duress_code = submit(client, duress=True)
    # When two more requests are sent, one with a duress code and one without
    second, code2, duress_code2 = submit(client, duress=True)
    plain, code3, no_duress = submit(client)
    # Then the page with a duress code was rendered once, and each shows its own codes, digits and words, and its
    # own token, and no slot is left
    assert "intake/receipt.html" in [t.name for t in first.templates]
    assert second.templates == []
    assert len({code, duress_code, code2, duress_code2, code3}) == 5
    assert no_duress is None
    for page, digits in ((first, code), (second, code2), (plain, code3)):
        text = page.content.decode()
        assert codewords.to_words(str(digits).replace(" ", ""), "en") in text
        assert "SLOT" not in text
    assert codewords.to_words(str(duress_code2).replace(" ", ""), "en") in second.content.decode()
    assert "second code" not in plain.content.decode()
    tokens = [OPEN_TOKEN_RE.search(page.content.decode()) for page in (first, second, plain)]
    assert len({found.group(1) for found in tokens if found is not None}) == 3


def test_a_receipt_page_that_cannot_show_its_codes_stores_nothing(
    hotline: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a receipt page that would lose a slot (a translation or a template changed for the worse)
    monkeypatch.setattr(views, "_PAGES", {})
    render = views._render

    def broken(request: Any, template: str, context: dict[str, Any], **kwargs: Any) -> Any:
        page = render(request, template, context, **kwargs)
        if template == "intake/receipt.html":
            page.content = page.content.replace(views._DURESS_WORDS_SLOT.encode(), b"")
        return page

    monkeypatch.setattr(views, "_render", broken)
    before = Request.objects.count()
    # When someone sends a request asking for a duress code
    response, code, _duress = submit(Client(raise_request_exception=False), duress=True)
    # Then the server fails before it stores anything: no request whose codes nobody was shown
    assert response.status_code == 500
    assert code is None
    assert Request.objects.count() == before


def test_a_form_shown_again_walks_no_long_list(
    client: Client, hotline: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a form refused for one of its fields (what a flood of junk gets back, over and over)
    data = request_data(story="", country="RU", region="RU-CE")
    data["form_token"] = TOKEN_RE.search(client.get("/?lang=en").content.decode()).group(1)  # type: ignore[union-attr]
    walked: list[int] = []
    walk = CallableChoiceIterator.__iter__

    def counted(self: CallableChoiceIterator) -> Iterator[Any]:
        walked.append(1)
        return walk(self)

    monkeypatch.setattr(CallableChoiceIterator, "__iter__", counted)
    # When it comes back with what was typed
    page = client.post("/send?lang=en", data)
    # Then its country and region lists were drawn from the lists made once, neither copied nor walked
    assert page.status_code == 400
    assert 'value="RU-CE" selected' in page.content.decode()
    assert walked == []
