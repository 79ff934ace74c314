"""Evidence over the API: an incident's items and one item's file, through the doors of the evidence pages; a
download is recorded in the item's custody log, as the page's is."""

from __future__ import annotations

from typing import Any

import pytest

from ferry.audit.models import AuditEntry
from ferry.incidents.models import CustodyEvent
from tests.api.conftest import API, token_for
from tests.incidents.evidence_helpers import PHOTO_NAME, Desk, desk, photo_bytes, sha256

pytestmark = pytest.mark.django_db
__all__ = ["desk"]  # the fixture, imported for the tests below


@pytest.fixture
def world(desk: Desk, make_staff: Any) -> dict[str, Any]:
    item = desk.add()
    return {
        "desk": desk,
        "item": item,
        "author": token_for(desk.author),
        "analyst": token_for(desk.analyst),  # holds no grant to the incident or its evidence
        "caseworker": token_for(make_staff("caseworker")),
    }


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    return body


def _views(item: Any) -> int:
    return CustodyEvent.objects.filter(evidence=item, action=CustodyEvent.Action.VIEWED).count()


def test_the_documenter_lists_an_incidents_evidence(world: dict[str, Any], call: Any) -> None:
    incident = world["desk"].incident.reference
    answer = call(world["author"], "get", f"{API}/incidents/{incident}/evidence/")
    assert answer.status_code == 200, answer.content
    [row] = answer.json()
    assert row["reference"] == world["item"].reference
    assert (row["name"], row["sha256"], row["can_open"]) == (PHOTO_NAME, sha256(photo_bytes()), True)
    # Listing is not a view of the evidence
    assert _views(world["item"]) == 0


def test_one_items_metadata_is_an_audited_open(world: dict[str, Any], call: Any) -> None:
    answer = call(world["author"], "get", f"{API}/evidence/{world['item'].reference}/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["incident"] == world["desk"].incident.reference
    assert AuditEntry.objects.filter(action="evidence.open").exists()
    assert _views(world["item"]) == 0


def test_a_download_is_the_file_as_acquired_and_a_custody_view(world: dict[str, Any], call: Any) -> None:
    before = _views(world["item"])
    answer = call(world["author"], "get", f"{API}/evidence/{world['item'].reference}/content/")
    assert answer.status_code == 200
    assert sha256(answer.content) == sha256(photo_bytes())
    assert answer["Content-Type"] == "application/octet-stream"
    assert answer["Content-Disposition"] == f'attachment; filename="evidence-{world["item"].reference}.jpg"'
    assert answer["Cache-Control"] == "no-store"
    # Recorded as the page's download is: a view in the custody log and the audit log
    assert _views(world["item"]) == before + 1
    assert AuditEntry.objects.filter(action="evidence.download").exists()
    assert AuditEntry.objects.filter(action="api.evidence.download").exists()


def test_an_item_one_may_not_open_answers_like_a_missing_one(world: dict[str, Any], call: Any) -> None:
    # Given an analyst the incident was not shared with
    ref, incident = world["item"].reference, world["desk"].incident.reference
    for real_path, invented_path in [
        (f"{API}/evidence/{ref}/", f"{API}/evidence/ZZZ-ZZZ/"),
        (f"{API}/evidence/{ref}/content/", f"{API}/evidence/ZZZ-ZZZ/content/"),
        (f"{API}/incidents/{incident}/evidence/", f"{API}/incidents/ZZZ-ZZZ/evidence/"),
    ]:
        real = call(world["analyst"], "get", real_path)
        invented = call(world["analyst"], "get", invented_path)
        # Then the item and an invented reference answer byte for byte alike
        _problem(real, 404)
        assert real.content == invented.content
    # And no view was recorded
    assert _views(world["item"]) == 0


def test_a_role_without_evidence_is_refused(world: dict[str, Any], call: Any) -> None:
    ref = world["item"].reference
    for path in (f"{API}/evidence/{ref}/", f"{API}/evidence/{ref}/content/"):
        _problem(call(world["caseworker"], "get", path), 403)
    _problem(call(world["caseworker"], "get", f"{API}/incidents/{world['desk'].incident.reference}/evidence/"), 403)
    assert _views(world["item"]) == 0


def test_a_refused_download_is_a_problem_whatever_the_client_accepts(world: dict[str, Any], call: Any) -> None:
    answer = call(world["analyst"], "get", f"{API}/evidence/ZZZ-ZZZ/content/", HTTP_ACCEPT="application/octet-stream")
    _problem(answer, 404)
