"""The intake stays open under a flood (issue 14, P4 and P6): nobody is turned away for volume, and the hotline
can find a genuine request among hundreds of fake ones."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from ferry.intake import submission
from ferry.intake.models import Request
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE
from tests.intake.helpers import STORY, submit

pytestmark = pytest.mark.django_db


def _client(person: Any) -> Client:
    return login(Client(), person.staff.email, TEST_PASSPHRASE, person.totp_secret)


def _junk(count: int, *, urgency: str = "now", story: str = "junk") -> None:
    """Fake requests, as a flooding script sends them (straight to the service: the form is tested elsewhere)."""
    for n in range(count):
        submission.submission_create(
            data=submission.Submission(
                name="",
                phone="",
                handle="",
                email="",
                country="",
                region="",
                place="",
                story=f"{story} {n}",
                needs="",
                urgency=urgency,
            ),
            uploads=[],
            want_duress=False,
            nonce=f"junk-{story}-{n}",
        )


def test_a_genuine_request_after_the_hourly_cap_is_kept_sealed_and_marked_overflow(
    client: Client, hotline: dict[str, Any], settings: Any
) -> None:
    # Given a flood that filled the hourly cap (296 fake requests in 31 s; here the cap is 5)
    settings.FERRY_INTAKE_HOURLY_CAP = 5
    _junk(8)
    # When a real person sends their request
    response, code, _duress = submit(client, story=STORY, urgency="later")
    # Then it is received, not turned away: the person gets their code, the request is stored sealed
    assert response.status_code == 200
    assert code is not None
    genuine = Request.objects.get(urgency="later")
    assert STORY.encode() not in bytes(genuine.details)
    # And it is marked as overflow, as are the fake ones past the cap, so the hotline sees the flood
    assert Request.objects.filter(overflow=False).count() == 5
    assert Request.objects.filter(overflow=True).count() == 4
    assert genuine.overflow
    page = _client(hotline["coordinator"]).get("/staff/intake/").content.decode()
    assert "This hour: 9 received, 4 of them over the limit of 5" in page
    assert "Today: 9 received, 4 of them over the limit" in page
    assert page.count('class="badge overflow"') == 4


def test_the_hotline_finds_a_not_urgent_request_behind_200_fake_urgent_ones(
    client: Client, hotline: dict[str, Any]
) -> None:
    # Given 210 fake "in danger now" requests, and one genuine "not immediately" request
    _junk(210)
    submit(client, story=STORY, urgency="later")
    genuine = Request.objects.get(urgency="later")
    coordinator = _client(hotline["coordinator"])
    # When the coordinator opens the queue, the first page holds 200 rows and says there is more
    first = coordinator.get("/staff/intake/").content.decode()
    assert genuine.reference not in first
    assert "Page 1 of 2" in first
    assert "?status=active&amp;sort=urgent&amp;page=2" in first
    # Then the next page, a sort by least urgent, and a search each find it
    assert genuine.reference in coordinator.get("/staff/intake/?page=2").content.decode()
    by_least = coordinator.get("/staff/intake/?sort=least").content.decode()
    assert by_least.index(genuine.reference) < by_least.index("junk 0")
    found = coordinator.get("/staff/intake/", {"q": "café on lenina"}).content.decode()
    assert genuine.reference in found
    assert "junk 1" not in found
    assert genuine.reference in coordinator.get("/staff/intake/", {"q": genuine.reference.lower()}).content.decode()


def test_the_hotline_dismisses_fake_requests_in_bulk(client: Client, hotline: dict[str, Any]) -> None:
    # Given fake requests and a genuine one
    _junk(30)
    submit(client, story=STORY, urgency="later")
    genuine = Request.objects.get(urgency="later")
    coordinator = _client(hotline["coordinator"])
    page = coordinator.get("/staff/intake/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    references = re.findall(r'name="pick" value="([^"]+)"', page)
    assert len(references) == 31
    # When the coordinator ticks the 30 fake ones and dismisses them as spam in one go
    picked = [r for r in references if r != genuine.reference]
    answer = coordinator.post("/staff/intake/dismiss/", {"pick": picked, "csrfmiddlewaretoken": token.group(1)})
    # Then they are declined as spam, and only the genuine request still waits
    assert answer.status_code == 302
    assert Request.objects.filter(status="declined", decline_reason="spam").count() == 30
    assert list(Request.objects.filter(status="new").values_list("reference", flat=True)) == [genuine.reference]
    # And a caseworker cannot do it
    caseworker = _client(hotline["caseworker"])
    assert caseworker.post("/staff/intake/dismiss/", {"pick": [genuine.reference]}).status_code == 403
