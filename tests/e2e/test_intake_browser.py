"""Done when (intake): in Russian, with JavaScript off, a person sends a request with a photo, keeps the code,
comes back, reads a coordinator's reply, tells us they are safe, and leaves by the quick exit."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
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


# --- on a phone, without script ---------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}


def _phone(browser: Browser, *, script: bool = False, width: int = PHONE["width"]) -> Any:
    return browser.new_context(
        java_script_enabled=script, locale="ru-RU", viewport={"width": width, "height": PHONE["height"]}
    )


def _view(page: Page, name: str) -> None:
    """What the person sees on the screen at this moment (not the whole page)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def _exit_on_screen(page: Page) -> None:
    """The quick exit is inside the screen and nothing covers it."""
    box = page.locator("a.quick-exit").bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert box is not None
    assert box["y"] >= 0, box
    assert box["y"] + box["height"] <= height, box
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= width, box
    center = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('a.quick-exit') !== null", center)
    assert on_top, "something covers the quick exit"


def _below_the_header(page: Page, selector: str) -> None:
    header = page.locator("header.shell").bounding_box()
    field = page.locator(selector).bounding_box()
    assert header is not None
    assert field is not None
    assert field["y"] >= header["y"] + header["height"], f"{selector} is under the header"


def test_on_a_phone_without_script_the_quick_exit_stays_on_screen_while_typing(
    browser: Browser, live_server: Any, neutral_exit: str
) -> None:
    context = _phone(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}/?lang=ru")
    _view(page, "intake-phone-top-ru.png")

    # A person coming back finds the code before the long form, on the first screen.
    side = page.locator("aside.intake-side").bounding_box()
    form = page.locator("form#request").bounding_box()
    assert side is not None
    assert form is not None
    assert side["y"] < form["y"]
    assert side["y"] < PHONE["height"] - 100, "the code form starts on the first screen"
    # Without script the Esc key does nothing, and the page does not claim it does.
    expect(page.locator("[data-esc-hint]")).to_be_hidden()
    assert "Esc" not in (page.locator("a.quick-exit").get_attribute("title") or "")
    _exit_on_screen(page)

    # Typing the story, far down the page: the exit is still there, and does not cover the field.
    story = page.locator("#id_story")
    story.click()
    page.keyboard.type("Меня ищут. ")
    _below_the_header(page, "#id_story")
    _exit_on_screen(page)
    _view(page, "intake-phone-typing-ru.png")
    page.mouse.wheel(0, 5000)
    page.wait_for_function("window.scrollY > 1000")
    _exit_on_screen(page)
    _view(page, "intake-phone-bottom-ru.png")

    # Every field the keyboard reaches comes to rest below the header, not under it.
    for field in ("#id_name", "#id_place", "#id_needs", "#id_files"):
        page.locator(field).focus()
        _below_the_header(page, field)
    page.locator("a.quick-exit").click()
    page.wait_for_url(neutral_exit)
    context.close()


@pytest.mark.parametrize("width", [320, 390, 768, 1280])
def test_the_quick_exit_is_on_screen_at_every_width(
    browser: Browser, live_server: Any, settings: Any, width: int
) -> None:
    settings.FERRY_ORG_NAME = "Российская ЛГБТ-сеть: помощь и убежище"  # a long name does not push the exit away
    context = _phone(browser, width=width)
    page = context.new_page()
    page.goto(f"{live_server.url}/?lang=ru")
    _exit_on_screen(page)
    for field in ("#id_name", "#id_story", "#id_urgency_0", "#id_code"):
        page.locator(field).focus()
        _below_the_header(page, field)
        _exit_on_screen(page)
    page.mouse.wheel(0, 5000)
    _exit_on_screen(page)
    if width == 320:
        _view(page, "intake-320-bottom-ru.png")
    # Both boxes measured in one go in the page: a scroll still running between two separate measurements
    # would move one and not the other.
    side, main = page.evaluate(
        """() => ["aside.intake-side", "section.intake-main"].map((selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return {x: box.x, y: box.y, width: box.width, height: box.height};
        })"""
    )
    if width >= 1024:
        assert side["x"] > main["x"] + main["width"] - 1, "at a wide screen the code form is a side panel"
    else:
        assert side["y"] + side["height"] <= main["y"] + 1, "on a narrow screen the code form comes first"
    if width == 1280:
        page.mouse.wheel(0, -5000)
        _view(page, "intake-wide-top-ru.png")
    context.close()


def test_with_script_the_esc_key_is_mentioned_and_leaves(browser: Browser, live_server: Any, neutral_exit: str) -> None:
    context = _phone(browser, script=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/?lang=en")
    expect(page.locator("[data-esc-hint]")).to_be_visible()
    expect(page.locator("[data-esc-hint]")).to_have_text("So does the Esc key.")
    expect(page.locator("a.quick-exit")).to_have_attribute("title", "Leave this site now (Esc)")
    page.locator("#id_story").click()
    page.keyboard.press("Escape")
    page.wait_for_url(neutral_exit)
    context.close()


def test_on_a_phone_a_long_story_is_kept_and_the_language_changes_without_losing_it(
    browser: Browser, live_server: Any, hotline: dict[str, Any], neutral_exit: str
) -> None:
    base = live_server.url
    context = _phone(browser)
    page = context.new_page()
    page.goto(f"{base}/?lang=en")
    expect(page.locator("#id_story_helptext")).to_have_text("Up to 20,000 characters.")

    # The browser does not cut a long paste short: all of it reaches the server, which says how much to cut.
    long_story = ("Они пришли ночью. " * 1400)[:23_511] + "!"
    page.locator("#id_story").fill(long_story)
    assert page.locator("#id_story").input_value() == long_story
    page.locator("input[name='urgency'][value='soon']").check()
    page.locator("#id_name").fill("Артур")
    page.locator("#id_name").press("Enter")  # Enter sends the form, as ever: it does not change the language
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".field:has(#id_story) [role='alert']")).to_contain_text(
        "Your text is 23,512 characters; the limit is 20,000. Shorten it by 3,512 characters."
    )
    assert page.locator("#id_story").input_value() == long_story
    _exit_on_screen(page)
    _view(page, "intake-phone-refused-en.png")
    # The summary at the top leads to the field, which comes to rest below the header.
    page.locator("ul.error-summary a[href='#id_story']").click()
    _below_the_header(page, "#id_story")
    _exit_on_screen(page)
    _view(page, "intake-phone-refused-story-en.png")

    # Changing the language keeps everything typed, and the refusal.
    page.locator("header button[value='ru']").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert page.locator("#id_story").input_value() == long_story
    assert page.locator("#id_name").input_value() == "Артур"
    expect(page.locator("input[name='urgency'][value='soon']")).to_be_checked()
    expect(page.locator(".field:has(#id_story) [role='alert']")).to_contain_text("23\u00a0512")
    _view(page, "intake-phone-refused-switched-ru.png")

    # Shortened, it is sent; the receipt keeps the exit on screen.
    page.locator("#id_story").fill(STORY)
    page.locator("form#request button[type='submit']").click()
    expect(page.locator("p.secret.code")).to_have_count(1)
    assert Request.objects.count() == 1
    page.mouse.wheel(0, 3000)
    _exit_on_screen(page)
    _view(page, "intake-phone-receipt-ru.png")
    context.close()


def test_on_a_phone_a_wrong_code_is_kept_and_the_mailbox_changes_language_without_losing_the_draft(
    browser: Browser, live_server: Any, hotline: dict[str, Any], neutral_exit: str
) -> None:
    from tests.intake.helpers import submit

    _response, code, _duress = submit(Client())
    assert code is not None
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    base = live_server.url
    context = _phone(browser)
    page = context.new_page()
    page.goto(f"{base}/?lang=ru")
    page.locator("aside.intake-side input[name='code']").fill(wrong)
    page.locator("aside.intake-side button[type='submit']").click()
    expect(page.locator("div.panel.error[role='alert']")).to_be_visible()
    # The 24 digits come back as typed: one to correct, not all to type again.
    assert page.locator("input[name='code']").input_value() == wrong
    expect(page.locator("header .langs a[hreflang='en']")).to_have_attribute("href", "/?lang=en")
    _exit_on_screen(page)
    _view(page, "intake-phone-wrong-code-ru.png")
    page.locator("input[name='code']").fill(code)
    page.locator("main button[type='submit']").click()
    expect(page.locator("form[action^='/box/safe']")).to_be_visible()

    # A draft, then the other language: still the mailbox, with the draft.
    page.locator("#id_text").fill("Черновик: я в безопасности, но не дома.")
    page.locator("header button[value='en']").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Your mailbox")
    assert page.locator("#id_text").input_value() == "Черновик: я в безопасности, но не дома."
    expect(page.locator("#id_text_helptext")).to_have_text("Up to 20,000 characters.")
    page.mouse.wheel(0, 3000)
    _exit_on_screen(page)
    _view(page, "intake-phone-mailbox-en.png")
    # The draft is sent from the page in the other language: the latest token went with it.
    page.locator("form#message button[type='submit']").click()
    expect(page.locator("div.panel[role='status']")).to_have_text("Your message was sent.")
    page.locator("header button[value='ru']").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("ol.thread li.requester p.text")).to_have_text("Черновик: я в безопасности, но не дома.")
    assert context.cookies() == []
    context.close()
