"""A case's page shows the case first: its forms open when asked (no script), and the conversation with the
person stands apart from the team's internal notes."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from tests.cases.conftest import staff_client
from tests.intake.helpers import box_post, open_box

pytestmark = pytest.mark.django_db

TO_PERSON = "We have a room for you from Thursday."
FROM_PERSON = "Thank you, I can travel on Thursday."
NOTE = "Called the shelter: they hold the room until Friday."


def _fillable(tag: str, kind: str | None) -> bool:
    return tag in ("textarea", "select") or (tag == "input" and kind not in ("hidden", "checkbox"))


class _Forms(HTMLParser):
    """Each form with something to fill in, and whether a closed <details> holds it; and each section's text."""

    def __init__(self) -> None:
        super().__init__()
        self.details: list[bool] = []  # open or not, innermost last
        self.forms: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.sections: list[tuple[str, list[str]]] = []  # (labelled by, text), innermost last
        self.texts: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "details":
            self.details.append("open" in found)
        elif tag == "section":
            self.sections.append((found.get("aria-labelledby") or "", []))
        elif tag == "form":
            self.current = {
                "action": found.get("action"),
                "hidden": bool(self.details) and not any(self.details),
                "fields": 0,
            }
        elif self.current is not None and _fillable(tag, found.get("type")):
            self.current["fields"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.details.pop()
        elif tag == "section":
            name, words = self.sections.pop()
            self.texts[name] = " ".join(words)
            if self.sections:
                self.sections[-1][1].extend(words)
        elif tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.sections:
            self.sections[-1][1].append(data.strip())


def _read(page: str) -> _Forms:
    parser = _Forms()
    parser.feed(page)
    return parser


def test_the_case_comes_first_and_each_form_opens_when_asked(
    client: Client, team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    # Given a case with a message each way and an internal note
    case, code = accepted["case"], accepted["code"]
    worker = staff_client(team["caseworker"])
    assert worker.post(f"/staff/cases/{case.reference}/message/", {"text": TO_PERSON}).status_code == 302
    _page, token = open_box(client, code)
    assert box_post(client, "/box/send", token, {"text": FROM_PERSON}).status_code == 200
    assert worker.post(f"/staff/cases/{case.reference}/note/", {"text": NOTE}).status_code == 302

    # When the caseworker opens the case
    page = worker.get(f"/staff/cases/{case.reference}/").content.decode()
    read = _read(page)

    # Then every form with something to fill in is folded away until asked for (except none here: no alerts)
    to_fill = [f for f in read.forms if f["fields"]]
    assert len(to_fill) >= 8
    assert [f["action"] for f in to_fill if not f["hidden"]] == []
    # And the conversation with the person is its own section, apart from the internal notes
    conversation, internal = read.texts["h-conversation"], read.texts["h-timeline"]
    assert TO_PERSON in conversation
    assert FROM_PERSON in conversation
    assert NOTE not in conversation
    assert NOTE in internal
    assert TO_PERSON not in internal
    assert FROM_PERSON not in internal
    assert "Conversation with the person" in page
    assert "The person never sees" in internal
    # And each message says which way it went
    assert re.search(r'<li class="message to-person">.*?To the person', page, re.S)
    assert re.search(r'<li class="message from-person">.*?From the person', page, re.S)
    assert re.search(r'<li class="internal note">.*?Internal note', page, re.S)


def test_a_form_sent_back_with_an_error_is_open(team: dict[str, Any], accepted: dict[str, Any]) -> None:
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    refused = worker.post(
        f"/staff/cases/{case.reference}/risk/", {"version": case.version, "risk": "low", "reason": "  "}
    )
    assert refused.status_code == 400
    read = _read(refused.content.decode())
    risk = next(f for f in read.forms if f["action"] == f"/staff/cases/{case.reference}/risk/")
    assert risk["hidden"] is False
    others = [f for f in read.forms if f["fields"] and f["action"] != risk["action"]]
    assert all(f["hidden"] for f in others)
