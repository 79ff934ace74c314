# ruff: noqa: RUF001 - Russian text in Russian pages: Cyrillic letters are meant
"""Russian pages read in Russian: walked as a Russian-speaking hotline and person would, no page shows an
English sentence (a string never marked for translation, or worded in the writer's language and stored)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from ferry.cases.models import Case, Partner
from ferry.intake.models import Request
from tests.cases.conftest import staff_client
from tests.intake.helpers import box_post, open_box, submit

pytestmark = pytest.mark.django_db

# Words that only an English sentence has; names (Tor Browser, JavaScript), codes and addresses do not.
ENGLISH = re.compile(r"\b(the|and|your|this|with|from|have|has|was|were|will|are|is|to|of|for|not|they)\b", re.I)


class _Visible(HTMLParser):
    """The text a reader sees: no markup, scripts, styles, codes, or values typed into fields."""

    SKIP = {"script", "style", "code", "pre", "textarea", "option"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def english_in(html: str) -> list[str]:
    """Lines of visible text that read as English."""
    parser = _Visible()
    parser.feed(html)
    lines = [" ".join(part.split()) for part in parser.parts]
    return [line for line in lines if line and ENGLISH.search(line)]


def test_the_check_sees_an_english_sentence() -> None:
    assert english_in("<p>Всё хорошо</p><p>Nothing was sent</p><code>the code</code>") == ["Nothing was sent"]
    assert english_in("<p>Откройте в Tor Browser, JavaScript не нужен</p>") == []


def test_russian_pages_show_no_english(client: Client, make_staff: Any) -> None:
    admin, coordinator, worker = make_staff("administrator"), make_staff("coordinator"), make_staff("caseworker")
    Partner.objects.create(name="Partner", country="DE")
    # What the person writes is in Russian too: any English left on the pages is Ferry's own
    _response, code, _ = submit(client, story="Забрали друга из кафе.", needs="Жильё", place="у автовокзала")
    assert code is not None
    request = Request.objects.get()
    hotline = staff_client(coordinator)
    hotline.get("/staff/?lang=ru")
    hotline.post(f"/staff/intake/{request.reference}/reply/", {"text": "Мы рядом."})
    request.refresh_from_db()
    accept = {"version": request.version, "caseworker": worker.staff.pk}
    assert hotline.post(f"/staff/intake/{request.reference}/accept/", accept).status_code == 302
    case = Case.objects.get()
    carrier = staff_client(worker)
    carrier.get("/staff/?lang=ru")
    ref = case.reference
    carrier.post(f"/staff/cases/{ref}/note/", {"text": "Заметка"})
    plan = {
        "version": case.version,
        "every": 24,
        "every_unit": "hours",
        "grace": 2,
        "grace_unit": "hours",
        "lost_after_missed": 3,
        "time_zone": "Europe/Moscow",
        "active": "on",
    }
    carrier.post(f"/staff/cases/checkins/{ref}/plan/", plan)
    carrier.post(f"/staff/cases/checkins/{ref}/record/", {"at": "2026-01-02T10:00", "channel": "phone", "note": "ок"})
    carrier.post(
        f"/staff/cases/referrals/case/{ref}/",
        {"partner": Partner.objects.get().pk, "destination_country": "DE", "include": ["stage"], "consent": "on"},
    )
    administrator = staff_client(admin)
    administrator.get("/staff/?lang=ru")

    person = Client()
    pages = {
        "front": person.get("/?lang=ru").content.decode(),
    }
    _page, box = open_box(person, code)
    assert box is not None
    pages["mailbox"] = box_post(person, "/box?lang=ru", box).content.decode()
    for who, browser, urls in (
        (
            "coordinator",
            hotline,
            [
                "/staff/",
                "/staff/intake/",
                f"/staff/intake/{request.reference}/",
                "/staff/cases/board/",
                "/staff/cases/checkins/",
                f"/staff/cases/{ref}/",
            ],
        ),
        ("caseworker", carrier, ["/staff/", "/staff/cases/", f"/staff/cases/{ref}/", "/staff/accounts/security/"]),
        (
            "administrator",
            administrator,
            [
                "/staff/",
                "/staff/accounts/staff/",
                "/staff/accounts/escrow/",
                "/staff/cases/settings/",
                "/staff/cases/settings/retention/",
                "/staff/cases/referrals/partners/",
                "/staff/accounts/audit/",
            ],
        ),
    ):
        for url in urls:
            pages[f"{who} {url}"] = browser.get(url).content.decode()
    assert [name for name, html in pages.items() if "Выйти" not in html and "выход" not in html.lower()] == [], (
        "every page is in Russian"
    )
    found = {name: english_in(html) for name, html in pages.items()}
    assert {name: lines for name, lines in found.items() if lines} == {}
