"""Done when (advocacy): an analyst builds a table of incidents by region, sees the small cells already
suppressed, and prepares it as a map; the release waits for a second analyst, who looks at the map, approves
it and downloads it. The first analyst then assembles a report from the approved map and a table, the second
approves it, and the report's PDF carries the table's figures and the methodology. A withdrawn release is
no longer served. Real pages in Chromium, two browser contexts."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from ferry.advocacy.models import Release
from ferry.incidents.models import Term
from ferry.incidents.seed import vocabularies_seed
from tests.advocacy.helpers import Spec, incidents_make
from tests.cases.test_referrals import pdf_text
from tests.conftest import TEST_PASSPHRASE
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/ferry-shots")


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _build(page: Page, base: str, output: str, title: str) -> None:
    page.goto(f"{base}/staff/advocacy/")
    page.get_by_label("What to count").select_option("incidents")
    page.get_by_label("Rows by").select_option("subdivision")
    page.get_by_label("Country", exact=True).select_option("RU")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Output", exact=True).select_option(output)


def test_a_table_becomes_a_map_and_a_report_approved_by_a_second_analyst(
    live_server: Any, browser: Browser, make_staff: Any
) -> None:
    vocabularies_seed(Term)
    make_staff("administrator")
    one, two = make_staff("analyst"), make_staff("analyst")
    year = timezone.localdate().year - 2
    incidents_make(
        [Spec(date(year, 3, 1), "RU-CE") for _ in range(40)]
        + [Spec(date(year, 3, 1), "RU-DA") for _ in range(15)]
        + [Spec(date(year, 3, 1), "RU-IN") for _ in range(4)],
        staff_id=one.staff.pk,
    )
    base = live_server.url
    preparer = browser.new_context(locale="en-GB").new_page()
    approver = browser.new_context(locale="en-GB", accept_downloads=True).new_page()
    sign_in(preparer, base, one.staff.email, TEST_PASSPHRASE, one.totp_secret)
    sign_in(approver, base, two.staff.email, TEST_PASSPHRASE, two.totp_secret)

    # The table shown is the protected one: Ingushetia's 4 are suppressed, and a partner with them.
    preparer.get_by_role("link", name="Advocacy").first.click()
    _build(preparer, base, "map.png", "Incidents by region")
    preparer.get_by_role("button", name="Show the table").click()
    table = preparer.locator("table.statistics")
    expect(table.locator("tr", has_text="Ingush")).to_contain_text("[c]")
    expect(table.locator("tr", has_text="Dagestan")).to_contain_text("[c]")
    expect(table.locator("tr", has_text="Chechen")).to_contain_text("40")
    _shot(preparer, "advocacy-1-table.png")
    preparer.get_by_role("button", name="Prepare as a release").click()
    expect(preparer.get_by_text("Release prepared.")).to_be_visible()
    expect(preparer.get_by_role("button", name="Approve")).to_have_count(0)
    map_release = Release.objects.get(kind="map")

    # The second analyst looks at the map, approves it and downloads it.
    approver.goto(f"{base}/staff/advocacy/releases/")
    approver.get_by_role("link", name=map_release.reference).click()
    expect(approver.locator("img.release-preview")).to_be_visible()
    _shot(approver, "advocacy-2-release.png")
    approver.get_by_role("button", name="Approve").click()
    expect(approver.get_by_text("Release approved.")).to_be_visible()
    with approver.expect_download() as download:
        approver.get_by_role("link", name="Download").click()
    content = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == map_release.sha256
    assert content.startswith(b"\x89PNG")

    # A table too, approved; then a report of both.
    _build(preparer, base, "csv", "Incidents by region, table")
    preparer.get_by_role("button", name="Prepare as a release").click()
    expect(preparer.get_by_text("Release prepared.")).to_be_visible()
    table_release = Release.objects.get(kind="table")
    approver.goto(f"{base}/staff/advocacy/releases/{table_release.reference}/")
    approver.get_by_role("button", name="Approve").click()
    preparer.get_by_role("link", name="Reports").click()
    preparer.get_by_label("Title", exact=True).fill("Persecution in the North Caucasus")
    preparer.get_by_label("Introduction").fill("What the organisation documented.")
    preparer.get_by_label("Incidents by region", exact=True).check()
    preparer.get_by_label("Incidents by region, table").check()
    _shot(preparer, "advocacy-3-report.png")
    preparer.get_by_role("button", name="Prepare the report as a release").click()
    expect(preparer.get_by_text("Release prepared.")).to_be_visible()
    report = Release.objects.get(kind="report")
    approver.goto(f"{base}/staff/advocacy/releases/{report.reference}/")
    approver.get_by_role("button", name="Approve").click()
    with approver.expect_download() as download:
        approver.get_by_role("link", name="Download").click()
    text = " ".join(pdf_text(Path(download.value.path()).read_bytes()).split())
    assert "Persecution in the North Caucasus" in text
    assert "40" in text
    assert "Methodology and disclosure control" in text

    # Withdrawn, the map is no longer served.
    approver.goto(f"{base}/staff/advocacy/releases/{map_release.reference}/")
    approver.get_by_role("button", name="Withdraw").click()
    expect(approver.get_by_text("Release withdrawn.")).to_be_visible()
    expect(approver.get_by_role("link", name="Download")).to_have_count(0)
    assert approver.request.get(f"{base}/staff/advocacy/releases/{map_release.reference}/download/").status == 400
