"""Done when (advocacy, every builder): in Chromium an analyst prepares, from each page that makes an output
for outsiders, a release that waits for a second analyst — a government's scorecard after recording an ask
and its answer, the pathway to safety, an event export, and a perpetrator's dossier — and none of those pages
hands a file out by itself (each answer is a page; the file comes only from the release)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from ferry.advocacy.models import Release
from tests.advocacy.conftest import analysts  # noqa: F401 - fixture
from tests.advocacy.helpers import Spec, incidents_make
from tests.advocacy.test_dossiers import World, world  # noqa: F401 - fixture
from tests.conftest import TEST_PASSPHRASE
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _prepared(page: Page, kind: str) -> Release:
    expect(page.get_by_text("Release prepared.")).to_be_visible()
    release = Release.objects.filter(kind=kind).order_by("-prepared_at").first()
    assert release is not None
    assert release.state == Release.State.PENDING
    assert release.reference in page.url
    return release


def test_every_builder_prepares_a_release(live_server: Any, browser: Browser, world: World) -> None:  # noqa: F811
    analyst = world.people["analyst"]
    year = timezone.localdate().year - 2
    incidents_make([Spec(date(year, 3, 1), "RU-CE") for _ in range(30)], staff_id=world.people["doc"].staff.pk)
    base = live_server.url
    page = browser.new_context(locale="en-GB").new_page()
    sign_in(page, base, analyst.staff.email, TEST_PASSPHRASE, analyst.totp_secret)

    # The tracker: the common governments, an ask of the United Kingdom and its answer, the scorecard.
    page.goto(f"{base}/staff/advocacy/tracker/")
    page.get_by_role("button", name="Add common governments and bodies").click()
    page.get_by_role("link", name="United Kingdom").first.click()
    page.get_by_text("Add an ask").click()
    page.get_by_label("What was asked").select_option("asylum")
    page.get_by_label("Date of the ask").fill((timezone.localdate() - timedelta(days=30)).isoformat())
    page.get_by_label("Summary").fill("Open a humanitarian visa route for those who escaped.")
    page.get_by_role("button", name="Add ask").click()
    expect(page.get_by_text("Open a humanitarian visa route")).to_be_visible()
    page.get_by_text("Record a response").click()
    page.get_by_label("What the government did").select_option("visas")
    page.get_by_label("Date of the response").fill((timezone.localdate() - timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Record response").click()
    page.get_by_text("Prepare the scorecard as a release (CSV)").click()
    page.get_by_role("button", name="Prepare release").click()
    _prepared(page, "table")

    # The pathway to safety.
    page.get_by_role("link", name="Pathway to safety").click()
    page.get_by_role("button", name="Prepare as a release").click()
    _prepared(page, "table")

    # An event export.
    page.get_by_role("link", name="Exports").click()
    page.get_by_role("button", name="Prepare the release").click()
    _prepared(page, "export")

    # A perpetrator's dossier.
    page.get_by_role("link", name="Dossiers").click()
    page.get_by_role("link", name="Полк ППС Терек").first.click()
    page.get_by_role("button", name="Prepare dossier (PDF, English)").click()
    dossier = _prepared(page, "dossier")
    assert dossier.format == "pdf"
    assert Release.objects.count() == 4
