"""Done when (issue 14, the flood's optional puzzle): during a flood, a person's browser with JavaScript solves
the form's puzzle by itself and their request stays among the regular ones; with JavaScript off the same form
is sent and kept, marked as part of the flood. Real pages in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ferry.intake.models import Request
from tests.intake.test_flood import _junk

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hotline(make_staff: Any) -> dict[str, Any]:
    return {"admin": make_staff("administrator"), "coordinator": make_staff("coordinator")}


def _send(page: Page, base: str, story: str) -> None:
    page.goto(f"{base}/?lang=en")
    page.locator("#id_story").fill(story)
    page.locator("input[name='urgency'][value='later']").check()


def test_a_browser_solves_the_puzzle_during_a_flood(
    live_server: Any, browser: Browser, hotline: dict[str, Any], settings: Any
) -> None:
    settings.FERRY_INTAKE_HOURLY_CAP = 2
    settings.FERRY_INTAKE_PUZZLE_BITS = 8
    _junk(3)
    base = live_server.url
    # With JavaScript: the page says it is working, then that it is done, and the answer is in the form
    person = browser.new_context(locale="en-GB").new_page()
    _send(person, base, "Sent from a browser that ran the puzzle.")
    expect(person.get_by_text("Done: your message will be among the first the team sees.")).to_be_visible()
    assert person.locator("input[name='puzzle']").input_value().isdigit()
    person.get_by_role("button", name="Send").click()
    expect(person.get_by_text("Your code")).to_be_visible()
    # Without JavaScript: the same form, sent and kept
    plain = browser.new_context(locale="en-GB", java_script_enabled=False).new_page()
    _send(plain, base, "Sent with JavaScript off.")
    plain.get_by_role("button", name="Send").click()
    expect(plain.get_by_text("Your code")).to_be_visible()
    overflow = sorted(Request.objects.filter(urgency="later").values_list("overflow", flat=True))
    assert overflow == [False, True]
