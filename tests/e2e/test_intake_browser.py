"""Done when (intake): in Russian, with JavaScript off, a person sends a request with a photo, keeps the code,
comes back, reads a coordinator's reply, tells us they are safe, and leaves by the quick exit."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from ferry.intake.models import Attachment, CheckIn, Request
from tests.conftest import TEST_PASSPHRASE
from tests.e2e.steps import sign_in
from tests.intake.helpers import jpeg_with_gps

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/ferry-shots")
STORY = "Вчера забрали моего друга из кафе на улице Ленина. Я прячусь в доме тёти."
REPLY = "Мы вас слышим. Оставайтесь на месте, мы напишем завтра утром."
GPS_TAG = 0x8825


@pytest.fixture
def neutral_exit(live_server: Any, settings: Any) -> str:
    """The quick exit points at a page of the live server itself: the tests never load an outside site."""
    url = f"{live_server.url}/healthz"
    settings.FERRY_QUICK_EXIT_URL = url
    return url


@pytest.fixture
def hotline(make_staff: Any) -> dict[str, Any]:
    """An administrator (escrow and contact index) and a coordinator who reads and replies."""
    return {"admin": make_staff("administrator"), "coordinator": make_staff("coordinator")}


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _fill_request(page: Page, photo: Path) -> None:
    page.locator("#id_name").fill("Артур")
    page.locator("#id_phone").fill("+7 912 345 67 89")
    page.locator("#id_handle").fill("@artur_safe")
    page.locator("#id_country").select_option("RU")
    page.locator("#id_region").select_option("RU-CE")
    page.locator("#id_place").fill("возле автовокзала")
    page.locator("#id_story").fill(STORY)
    page.locator("#id_needs").fill("Безопасное жильё на несколько дней")
    page.locator("input[name='urgency'][value='soon']").check()
    page.locator("#id_files").set_input_files(str(photo))


def _coordinator_replies(browser: Browser, base: str, coordinator: Any, reference: str) -> None:
    """A coordinator signs in through the staff pages, finds the request, checks the photo, and replies."""
    context = browser.new_context()
    office = context.new_page()
    sign_in(office, base, coordinator.staff.email, TEST_PASSPHRASE, coordinator.totp_secret)
    office.goto(f"{base}/staff/intake/")
    office.get_by_role("link", name=reference).click()
    expect(office.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(office.get_by_text(STORY)).to_be_visible()

    # The photo arrived, and what the coordinator downloads carries no location any more.
    photo_link = office.get_by_role("link", name="photo.jpg")
    expect(photo_link).to_be_visible()
    download = context.request.get(base + (photo_link.get_attribute("href") or ""))
    assert download.ok
    assert download.headers["content-type"] == "image/jpeg"
    image = Image.open(BytesIO(download.body()))
    assert image.size == (64, 48)
    assert GPS_TAG not in image.getexif()
    assert b"CANARY" not in download.body()

    office.locator("#id_text").fill(REPLY)
    office.locator(f"form[action='/staff/intake/{reference}/reply/'] button[type='submit']").click()
    expect(office.get_by_text("Your reply is in the person's mailbox.")).to_be_visible()
    context.close()


def test_request_in_russian_without_javascript(
    browser: Browser, live_server: Any, hotline: dict[str, Any], neutral_exit: str, tmp_path: Path
) -> None:
    base = live_server.url
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg_with_gps().getvalue())
    assert GPS_TAG in Image.open(photo).getexif(), "the test photo must carry a location to be cleaned"

    context = browser.new_context(java_script_enabled=False, locale="ru-RU")
    page = context.new_page()

    # The request form, in Russian.
    page.goto(f"{base}/?lang=ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("a.quick-exit")).to_have_attribute("href", neutral_exit)
    _shot(page, "intake-front-ru.png")
    _fill_request(page, photo)
    page.locator("form[action^='/send'] button[type='submit']").click()

    # The receipt: a 24-digit code in groups of four, in Russian, and no cookie anywhere.
    expect(page.locator("p.secret.code")).to_have_count(1)
    code = page.locator("p.secret.code").inner_text().strip()
    assert re.fullmatch(r"(\d{4} ){5}\d{4}", code), code
    assert page.url.endswith("/send?lang=ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    _shot(page, "intake-receipt-ru.png")
    assert context.cookies() == []

    request = Request.objects.get()
    assert request.urgency == "soon"
    assert Attachment.objects.filter(request=request).count() == 1

    _coordinator_replies(browser, base, hotline["coordinator"], request.reference)

    # Later: back to the front page, the code in the side form, and the reply is there.
    page.goto(f"{base}/?lang=ru")
    side = page.locator("aside.intake-side")
    side.locator("input[name='code']").fill(code)
    side.locator("button[type='submit']").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("form[action^='/box/safe']")).to_be_visible()
    expect(page.locator("ol.thread li.staff p.text")).to_have_text(REPLY)
    _shot(page, "intake-mailbox-ru.png")
    assert not CheckIn.objects.exists()

    # "I am safe": the confirmation shows, and the hotline has the check-in.
    page.locator("form[action^='/box/safe'] button[type='submit']").click()
    expect(page.locator("div.panel[role='status']")).to_be_visible()
    expect(page.locator("div.panel[role='status']")).not_to_be_empty()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("ol.thread li.staff p.text")).to_have_text(REPLY)
    checkin = CheckIn.objects.get()
    assert (checkin.request_id, checkin.kind, checkin.source) == (request.pk, "safe", "requester")
    assert context.cookies() == []

    # Quick exit: without script it is a plain link, and it leaves at once.
    page.locator("a.quick-exit").click()
    page.wait_for_url(neutral_exit)
    assert page.url == neutral_exit
    assert context.cookies() == []
    context.close()


def test_quick_exit_replaces_the_history_entry_with_javascript(
    browser: Browser, live_server: Any, neutral_exit: str
) -> None:
    base = live_server.url
    before = f"{base}{django_settings.STATIC_URL}ferry/ferry.css"
    context = browser.new_context()
    page = context.new_page()
    page.goto(before)  # somewhere the person was before the intake
    page.goto(f"{base}/")
    expect(page.locator("a.quick-exit")).to_be_visible()
    page.wait_for_function("document.readyState === 'complete'")  # the deferred exit.js has run
    length = page.evaluate("history.length")

    page.locator("a.quick-exit").click()
    page.wait_for_url(neutral_exit)
    assert page.evaluate("history.length") == length, "the exit must replace the intake's entry, not add one"

    page.go_back()
    assert page.url == before, "Back must skip the intake page"
    page.go_forward()
    assert page.url == neutral_exit
    context.close()
