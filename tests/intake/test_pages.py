# ruff: noqa: RUF001 - Russian text: Cyrillic letters are meant
"""The person-facing pages say only what is true, keep what the person typed, and change language without
losing it: long texts, a mistyped code, and the language switch after a POST."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ferry.intake.models import FormNonce, LookupThrottle, Message, Request
from tests.intake.helpers import (
    BOX_RE,
    OPEN_TOKEN_RE,
    STORY,
    box_post,
    form_token,
    open_box,
    open_data,
    request_data,
    submit,
)

pytestmark = pytest.mark.django_db

TOO_LONG = ("Они пришли ночью, и я убежал. " * 800)[:23_511] + "!"  # 23,512 characters


def _text_of(page: Any, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', page.content.decode(), re.S)
    assert found is not None
    return found.group(1)


# --- long texts (item 4) -----------------------------------------------------------------------------------


def test_the_browser_is_not_told_to_cut_long_texts_and_the_limit_is_shown(client: Client) -> None:
    page = client.get("/?lang=en").content.decode()
    story = re.search(r"<textarea[^>]*name=\"story\"[^>]*>", page)
    assert story is not None
    assert "maxlength" not in story.group(0)
    assert 'aria-describedby="id_story_helptext"' in story.group(0)
    assert '<p class="hint" id="id_story_helptext">Up to 20,000 characters.</p>' in page
    assert '<p class="hint" id="id_needs_helptext">Up to 5,000 characters.</p>' in page
    assert "Не больше 20\u00a0000 знаков." in client.get("/?lang=ru").content.decode()


def test_a_story_over_the_limit_is_refused_kept_and_says_how_much_to_cut(
    client: Client, hotline: dict[str, Any]
) -> None:
    # Given a story of 23,512 characters
    assert len(TOO_LONG) == 23_512
    data = {**request_data(story=TOO_LONG), "form_token": form_token(client)}
    # When it is sent
    page = client.post("/send?lang=en", data)
    # Then nothing is stored, the whole text is back in the form, and the page says how much to cut
    assert page.status_code == 400
    assert Request.objects.count() == 0
    assert FormNonce.objects.count() == 0
    assert _text_of(page, "story") == data["story"]
    message = "Your text is 23,512 characters; the limit is 20,000. Shorten it by 3,512 characters."
    body = page.content.decode()
    assert body.count(message) == 2, "by the field, and in the summary at the top of the page"
    assert '<a href="#id_story">What happened?</a>' in body
    # In Russian the numbers are grouped as a Russian reader writes them
    russian = client.post("/send?lang=ru", {**data, "form_token": form_token(client)}).content.decode()
    assert "23\u00a0512" in russian
    assert "3\u00a0512" in russian


def test_a_story_at_the_limit_is_sent_line_breaks_counting_as_one(client: Client, hotline: dict[str, Any]) -> None:
    # 20,000 characters as the browser counts them; a line break travels as two (CR LF)
    story = ("x" * 99 + "\r\n") * 200
    assert len(story.replace("\r\n", "\n")) == 20_000
    response, code, _ = submit(client, story=story.strip() + "y")
    assert response.status_code == 200
    assert code is not None
    over, code, _ = submit(client, story=story.strip() + "yz")
    assert over.status_code == 400
    assert "Shorten it by 1 character." in over.content.decode()


def test_a_mailbox_message_over_the_limit_is_refused_and_kept(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, _ = submit(client)
    assert code is not None
    _page, box = open_box(client, code)
    assert box is not None
    page = box_post(client, "/box/send?lang=en", box, {"text": TOO_LONG})
    assert page.status_code == 400
    assert "Shorten it by 3,512 characters." in page.content.decode()
    assert _text_of(page, "text") == TOO_LONG
    assert not Message.objects.filter(sender="requester").exists()
    assert "Up to 20,000 characters." in page.content.decode()


# --- the quick exit says only what is true (item 3) ----------------------------------------------------------


def test_the_esc_key_is_mentioned_only_where_the_script_reveals_it(client: Client) -> None:
    page = client.get("/?lang=en").content.decode()
    visible = re.sub(r"<span data-esc-hint hidden>.*?</span>|data-esc-title=\"[^\"]*\"", "", page, flags=re.S)
    assert "Esc" not in visible
    assert "<span data-esc-hint hidden>So does the Esc key.</span>" in page
    assert 'title="Leave this site now"' in page


# --- a mistyped code is kept (item 5) ------------------------------------------------------------------------


def test_a_wrong_code_comes_back_as_typed(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, _ = submit(client)
    assert code is not None
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    answer = client.post("/open?lang=en", open_data(client, wrong))
    assert answer.status_code == 400
    assert "does not open a mailbox" in answer.content.decode()
    assert f'value="{wrong}"' in answer.content.decode()
    assert 'autocomplete="off"' in answer.content.decode()
    # Malformed, it comes back too
    malformed = client.post("/open?lang=en", open_data(client, "1234 5678 <b>"))
    assert 'value="1234 5678 &lt;b&gt;"' in malformed.content.decode()


def test_the_busy_page_keeps_the_typed_code_and_a_fresh_token(
    client: Client, hotline: dict[str, Any], settings: Any
) -> None:
    _response, code, _ = submit(client)
    assert code is not None
    digits = code.replace(" ", "")
    wrong = digits[:6] + ("0" if digits[6] != "0" else "1") + digits[7:]
    # 12 look-ups a minute: 2 a window, 1 for anyone and 1 kept for mailboxes opened before (this one never was)
    settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE = 12
    window = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=1, microsecond=0)
    with time_machine.travel(window, tick=False):
        assert client.post("/open?lang=en", open_data(client, wrong)).status_code == 400
        first = client.post("/open?lang=en", open_data(client, code))
        other = digits[:6] + " " + "9" * 18
        second = client.post("/open?lang=en", open_data(client, other))
    assert first.status_code == second.status_code == 429
    assert f'value="{code}"' in first.content.decode()
    assert f'value="{other}"' in second.content.decode()
    tokens = {found.group(1) for page in (first, second) if (found := OPEN_TOKEN_RE.search(page.content.decode()))}
    assert len(tokens) == 2, "each busy page carries its own single-use token"
    assert LookupThrottle.objects.get().failures == 1


def test_a_code_form_sent_again_from_history_does_not_show_the_code(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, _ = submit(client)
    assert code is not None
    form = open_data(client, code[:-1] + "x")
    client.post("/open?lang=en", form)
    replayed = client.post("/open?lang=en", form)
    assert "This page has expired" in replayed.content.decode()
    assert code[:-1] not in replayed.content.decode()


def test_the_receipt_opens_the_mailbox_at_once(client: Client, hotline: dict[str, Any]) -> None:
    response, code, _ = submit(client)
    assert code is not None
    token = OPEN_TOKEN_RE.search(response.content.decode())
    assert token is not None, "the receipt's code form carries its single-use token"
    opened = client.post("/open?lang=en", {"code": code, "open_token": token.group(1)})
    assert "Your mailbox" in opened.content.decode()


# --- changing language loses nothing (item 5) ----------------------------------------------------------------


def test_the_request_form_changes_language_with_what_was_typed(client: Client, hotline: dict[str, Any]) -> None:
    front = client.get("/?lang=en").content.decode()
    assert 'form="request" formaction="/send?lang=ru" name="relang" value="ru"' in front
    token = form_token(client)
    typed = {**request_data(urgency="soon", story="Half a story"), "want_duress": "on", "form_token": token}
    # When the person switches to Russian before sending
    page = client.post("/send?lang=ru", {**typed, "relang": "ru"})
    body = page.content.decode()
    # Then the form comes back in Russian with everything typed, and no complaint: nothing was sent yet
    assert page.status_code == 200
    assert '<html lang="ru">' in body
    assert _text_of(page, "story") == "Half a story"
    assert 'value="Artur"' in body
    assert re.search(r'value="soon"[^>]*checked', body)
    assert re.search(r'name="want_duress"[^>]*checked', body)
    assert '<option value="RU-CE" selected>Чеченская Республика</option>' in body
    assert 'role="alert"' not in body
    assert 'formaction="/send?lang=en"' in body
    assert Request.objects.count() == 0
    assert FormNonce.objects.count() == 0, "the form's token is not spent by a language switch"
    # And the form is still sent from there
    sent = client.post("/send?lang=ru", typed)
    assert sent.status_code == 200
    assert Request.objects.count() == 1


def test_a_refused_form_changes_language_with_its_messages(client: Client, hotline: dict[str, Any]) -> None:
    refused = client.post("/send?lang=en", {**request_data(story="", phone="call me"), "form_token": "x"})
    assert refused.status_code == 400
    assert 'name="checked" value="1"' in refused.content.decode()
    data = {**request_data(story="", phone="call me"), "checked": "1", "relang": "ru"}
    photo = SimpleUploadedFile("photo.jpg", b"not sent", content_type="image/jpeg")
    page = client.post("/send?lang=ru", {**data, "files": [photo]})
    body = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="ru">' in body
    assert "Пожалуйста, проверьте отмеченные поля." in body
    assert 'value="call me"' in body
    assert "Ничего не отправлено. Выберите файлы ещё раз и отправьте снова." in body
    assert Request.objects.count() == 0


def test_the_mailbox_changes_language_with_the_draft_and_a_new_token(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, _ = submit(client)
    assert code is not None
    opened, box = open_box(client, code)
    assert box is not None
    assert 'form="message" formaction="/box?lang=ru" name="relang" value="ru"' in opened.content.decode()
    page = box_post(client, "/box?lang=ru", box, {"text": "A draft, not sent", "relang": "ru"})
    body = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="ru">' in body
    assert _text_of(page, "text") == "A draft, not sent"
    new_box = BOX_RE.search(body)
    assert new_box is not None
    assert new_box.group(1) != box
    assert not Message.objects.filter(sender="requester").exists()
    # The draft is then sent from the page in the other language
    sent = box_post(client, "/box/send?lang=ru", box, {"text": "A draft, not sent"})
    assert sent.status_code == 200
    assert Message.objects.filter(sender="requester").count() == 1


def test_the_code_page_offers_links_and_the_receipt_no_switch(client: Client, hotline: dict[str, Any]) -> None:
    wrong = client.post("/open?lang=en", open_data(client, "1" * 24)).content.decode()
    assert '<a href="/?lang=ru" lang="ru" hreflang="ru">RU</a>' in wrong
    receipt, code, _ = submit(client)
    assert code is not None
    header = receipt.content.decode().split("<main")[0]
    assert "lang=" not in header.replace('<html lang="en">', ""), "a page in another language could not show the code"
    assert STORY not in header
