"""Done when (documentation): a documenter records an incident after a phone interview on one screen, with
the victim and what was done to them, and adds the photo the person sent as evidence; a second documenter
finds it by a word of its narrative and marks it verified (the author could not), then exports the photo's
custody report, whose PDF text carries the photo's hash and its custody events. Real pages in Chromium, two
browser contexts."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ferry.accounts.models import Staff
from ferry.incidents.models import Evidence, Incident, Term
from ferry.incidents.seed import vocabularies_seed
from tests.cases.test_referrals import pdf_text
from tests.conftest import TEST_PASSPHRASE
from tests.e2e.steps import sign_in
from tests.intake.helpers import jpeg_with_gps

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/ferry-shots")
NARRATIVE = "Stopped at the checkpoint on the way home, held three days in the basement, beaten with a pipe."


@pytest.fixture
def documenters(make_staff: Any) -> dict[str, Any]:
    vocabularies_seed(Term)
    people = {"admin": make_staff("administrator"), "doc": make_staff("documenter"), "doc2": make_staff("documenter")}
    for role, name in (("doc", "Lena Documenter"), ("doc2", "Ruslan Reviewer")):
        Staff.objects.filter(pk=people[role].staff.pk).update(display_name=name)
    return people


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_record_an_interview_and_verify_it_as_a_second_documenter(
    live_server: Any, browser: Browser, documenters: dict[str, Any]
) -> None:
    base = live_server.url
    author = browser.new_context(locale="en-GB").new_page()
    doc = documenters["doc"]
    sign_in(author, base, doc.staff.email, TEST_PASSPHRASE, doc.totp_secret)
    author.get_by_role("link", name="Documentation").first.click()
    author.get_by_role("link", name="Record an incident").first.click()
    author.get_by_label("Title").fill("Checkpoint detention")
    author.get_by_label("Start: year").fill("2017")
    author.get_by_label("Start: month").fill("3")
    author.get_by_label("Start: day").fill("2")
    author.get_by_label("Start: how precise").select_option("day")
    author.get_by_label("End: year").fill("2017")
    author.get_by_label("End: month").fill("3")
    author.get_by_label("End: day").fill("5")
    author.get_by_label("End: how precise").select_option("day")
    author.get_by_label("Country", exact=True).select_option("RU")
    author.get_by_label("Region").select_option("RU-CE")
    author.get_by_label("What happened").fill(NARRATIVE)
    author.get_by_label("Name", exact=True).fill("Islam")
    author.get_by_label("Sexual orientation").fill("gay")
    author.get_by_label("What was done").select_option(label="Arbitrary detention")
    author.get_by_label("Who did it").select_option(label="\u2003Police")
    _shot(author, "documentation-1-interview.png")
    author.get_by_role("button", name="Record the incident").click()
    expect(author.get_by_text("Incident recorded.")).to_be_visible()
    expect(author.get_by_role("heading", level=1)).to_contain_text("Checkpoint detention")
    expect(author.get_by_role("strong").filter(has_text="Arbitrary detention")).to_be_visible()
    _shot(author, "documentation-2-incident.png")
    incident = Incident.objects.get()
    assert (incident.start_precision, incident.subdivision) == ("day", "RU-CE")

    # The photo the person sent, as evidence: kept exactly as sent (its GPS too), its hash taken now.
    photo = jpeg_with_gps().getvalue()
    author.get_by_role("link", name="Add evidence").click()
    author.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "basement.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    author.get_by_label("Kind", exact=True).select_option("photo")
    author.get_by_label("How it was acquired").fill("Sent by the victim over Signal after the interview")
    author.get_by_role("button", name="Save evidence").click()
    expect(author.get_by_text("Evidence saved.")).to_be_visible()
    item = Evidence.objects.get()
    author.goto(f"{base}/staff/documentation/{incident.reference}/")

    # The author cannot verify their own incident: the page says so, and the status stays.
    author.get_by_role("combobox", name="Verification").select_option("verified")
    author.get_by_role("button", name="Save status").click()
    expect(author.get_by_text("An incident is verified by a second documenter")).to_be_visible()

    # A second documenter finds it by a word of its narrative and verifies it.
    reviewer = browser.new_context(locale="en-GB").new_page()
    doc2 = documenters["doc2"]
    sign_in(reviewer, base, doc2.staff.email, TEST_PASSPHRASE, doc2.totp_secret)
    reviewer.goto(f"{base}/staff/documentation/")
    reviewer.get_by_label("Search").fill("basement")
    reviewer.get_by_role("button", name="Show").click()
    reviewer.get_by_role("link", name=incident.reference).click()
    reviewer.get_by_role("combobox", name="Verification").select_option("verified")
    reviewer.get_by_role("button", name="Save status").click()
    expect(reviewer.get_by_text("Verification status saved.")).to_be_visible()
    expect(reviewer.get_by_text("verified by Ruslan Reviewer")).to_be_visible()
    _shot(reviewer, "documentation-3-verified.png")
    incident.refresh_from_db()
    assert incident.verified_by_id == doc2.staff.pk

    # The reviewer exports the photo's custody report: its text names the item, the photo's own SHA-256, and
    # the events, the export among them.
    reviewer.goto(f"{base}/staff/documentation/evidence/{item.reference}/")
    with reviewer.expect_download() as download:
        reviewer.get_by_role("button", name="Download the custody report (PDF)").click()
    text = " ".join(pdf_text(Path(download.value.path()).read_bytes()).split())
    assert item.reference in text
    assert hashlib.sha256(photo).hexdigest() in text.replace(" ", "")
    for event in ("Acquired", "Exported", "Lena Documenter", "Ruslan Reviewer"):
        assert event in text
