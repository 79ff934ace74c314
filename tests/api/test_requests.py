"""Requests over the API: the queue, one request, a reply and accepting, through the request's door and with the
pages' roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ferry.audit.models import AuditEntry
from ferry.cases.models import Case
from ferry.intake.models import Message, Request
from tests.api.conftest import API, token_for
from tests.intake.helpers import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(roles_team: dict[str, Any]) -> dict[str, Any]:
    submit(Client())
    found = Request.objects.get()
    return {
        "request": found,
        "ref": found.reference,
        "caseworker_id": roles_team["caseworker"].staff.pk,
        **{who: token_for(roles_team[who]) for who in ("coordinator", "caseworker", "auditor", "documenter")},
    }


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    return body


def test_the_coordinator_sees_the_queue(world: dict[str, Any], call: Any) -> None:
    answer = call(world["coordinator"], "get", f"{API}/requests/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [row["reference"] for row in body["results"]] == [world["ref"]]
    assert body["results"][0]["name"]
    assert body["sealed"] == 0
    assert body["next"] is None
    # Audited like the page: the endpoint's use, and each request decrypted for the list
    assert AuditEntry.objects.filter(action="api.request.queue").exists()
    assert AuditEntry.objects.filter(action="intake.request_list").exists()


def test_queue_filters_mirror_the_page(world: dict[str, Any], call: Any) -> None:
    assert call(world["coordinator"], "get", f"{API}/requests/?status=declined").json()["results"] == []
    assert len(call(world["coordinator"], "get", f"{API}/requests/?status=new&sort=oldest").json()["results"]) == 1
    _problem(call(world["coordinator"], "get", f"{API}/requests/?status=nonsense"), 400)
    _problem(call(world["coordinator"], "get", f"{API}/requests/?sort=nonsense"), 400)


def test_the_queue_follows_its_cursor(roles_team: dict[str, Any], call: Any) -> None:
    for _ in range(3):
        submit(Client())
    token = token_for(roles_team["coordinator"])
    seen: list[str] = []
    url = f"{API}/requests/?page_size=2&sort=newest"
    while url:
        body = call(token, "get", url).json()
        seen += [row["reference"] for row in body["results"]]
        url = body["next"].replace("http://testserver", "") if body["next"] else ""
    assert sorted(seen) == sorted(Request.objects.values_list("reference", flat=True))
    assert len(seen) == len(set(seen)) == 3


@pytest.mark.parametrize("who", ["caseworker", "auditor", "documenter"])
def test_the_queue_is_for_coordinators_only(world: dict[str, Any], call: Any, who: str) -> None:
    _problem(call(world[who], "get", f"{API}/requests/"), 403)


def test_the_coordinator_reads_the_request(world: dict[str, Any], call: Any) -> None:
    answer = call(world["coordinator"], "get", f"{API}/requests/{world['ref']}/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["reference"] == world["ref"]
    assert body["version"] == world["request"].version
    assert body["details"]["name"]
    assert AuditEntry.objects.filter(action="intake.request_open").exists()
    assert AuditEntry.objects.filter(action="api.request.view").exists()


def test_a_request_one_may_not_open_answers_like_a_missing_one(world: dict[str, Any], call: Any) -> None:
    # Given a caseworker the request was not shared with
    for method, suffix, payload in [("get", "", None), ("post", "replies/", {"text": "hello"})]:
        real = call(world["caseworker"], method, f"{API}/requests/{world['ref']}/{suffix}", payload)
        invented = call(world["caseworker"], method, f"{API}/requests/ZZZ-ZZZ/{suffix}", payload)
        # Then the request and an invented reference answer byte for byte alike
        _problem(real, 404)
        assert real.content == invented.content
    assert not Message.objects.filter(sender=Message.Sender.STAFF).exists()


@pytest.mark.parametrize("who", ["auditor", "documenter"])
def test_roles_without_requests_are_refused_before_anything_is_looked_up(
    world: dict[str, Any], call: Any, who: str
) -> None:
    real = call(world[who], "get", f"{API}/requests/{world['ref']}/")
    invented = call(world[who], "get", f"{API}/requests/ZZZ-ZZZ/")
    _problem(real, 403)
    assert real.content == invented.content


def test_the_coordinator_replies(world: dict[str, Any], call: Any) -> None:
    answer = call(world["coordinator"], "post", f"{API}/requests/{world['ref']}/replies/", {"text": "We hear you."})
    assert answer.status_code == 201, answer.content
    assert Message.objects.filter(sender=Message.Sender.STAFF).count() == 1
    thread = call(world["coordinator"], "get", f"{API}/requests/{world['ref']}/").json()["thread"]
    assert thread[-1]["text"] == "We hear you."
    _problem(call(world["coordinator"], "post", f"{API}/requests/{world['ref']}/replies/", {"text": ""}), 400)


def test_accepting_opens_a_case(world: dict[str, Any], call: Any) -> None:
    payload = {"version": world["request"].version, "caseworker": world["caseworker_id"]}
    answer = call(world["coordinator"], "post", f"{API}/requests/{world['ref']}/accept/", payload)
    assert answer.status_code == 201, answer.content
    assert answer.json()["case"] == world["ref"]
    assert Case.objects.filter(reference=world["ref"]).exists()
    assert Request.objects.get().status == Request.Status.ACCEPTED
    # The caseworker can now open the request it came from
    assert call(world["caseworker"], "get", f"{API}/requests/{world['ref']}/").status_code == 200


def test_a_stale_accept_is_409_and_changes_nothing(world: dict[str, Any], call: Any) -> None:
    # Given the request changed (another coordinator flagged it, say) since it was read
    Request.objects.filter(pk=world["request"].pk).update(version=world["request"].version + 1)
    payload = {"version": world["request"].version, "caseworker": world["caseworker_id"]}
    # When the coordinator accepts with the version read before
    stale = call(world["coordinator"], "post", f"{API}/requests/{world['ref']}/accept/", payload)
    # Then 409, and no case, no status change, no grant to the caseworker
    _problem(stale, 409)
    assert not Case.objects.exists()
    assert Request.objects.get().status == Request.Status.NEW
    _problem(call(world["caseworker"], "get", f"{API}/requests/{world['ref']}/"), 404)


def test_accepting_is_for_coordinators_only(world: dict[str, Any], call: Any) -> None:
    payload = {"version": world["request"].version, "caseworker": world["caseworker_id"]}
    _problem(call(world["caseworker"], "post", f"{API}/requests/{world['ref']}/accept/", payload), 403)
    assert not Case.objects.exists()


def test_accepting_for_someone_who_is_not_a_caseworker_is_refused(world: dict[str, Any], call: Any) -> None:
    payload = {"version": world["request"].version, "caseworker": 999_999}
    _problem(call(world["coordinator"], "post", f"{API}/requests/{world['ref']}/accept/", payload), 400)
    assert not Case.objects.exists()
