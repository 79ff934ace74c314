"""Cases over the API: the same door, roles and optimistic locking as the pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ferry.audit.models import AuditEntry
from ferry.cases.models import Case, CheckInRecord, Event, Task
from tests.api.conftest import API, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(accepted: dict[str, Any], roles_team: dict[str, Any]) -> dict[str, Any]:
    case = accepted["case"]
    return {
        "case": case,
        "ref": case.reference,
        **{
            who: token_for(roles_team[who])
            for who in ("caseworker", "coordinator", "outsider", "auditor", "documenter")
        },
    }


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    return body


def test_my_cases_lists_the_caseworkers_case(world: dict[str, Any], call: Any) -> None:
    answer = call(world["caseworker"], "get", f"{API}/cases/")
    assert answer.status_code == 200
    body = answer.json()
    assert [row["reference"] for row in body["results"]] == [world["ref"]]
    assert body["next"] is None
    assert answer["Cache-Control"] == "no-store"
    # Every use is audited like a page, and names no case
    assert AuditEntry.objects.filter(action="api.case.list_mine", object_type="api_token").exists()


def test_my_cases_filters_mirror_the_page(world: dict[str, Any], call: Any) -> None:
    assert call(world["caseworker"], "get", f"{API}/cases/?risk=low").json()["results"] == []
    _problem(call(world["caseworker"], "get", f"{API}/cases/?risk=nonsense"), 400)


@pytest.mark.parametrize("who", ["auditor", "documenter"])
def test_roles_without_cases_are_refused_before_anything_is_looked_up(
    world: dict[str, Any], call: Any, who: str
) -> None:
    listed = _problem(call(world[who], "get", f"{API}/cases/"), 403)
    real = call(world[who], "get", f"{API}/cases/{world['ref']}/")
    invented = call(world[who], "get", f"{API}/cases/ZZZ-ZZZ/")
    assert real.status_code == invented.status_code == 403
    assert real.content == invented.content
    assert listed["detail"] == real.json()["detail"]


def test_a_case_one_may_not_open_answers_like_a_missing_one(world: dict[str, Any], call: Any) -> None:
    # Given a caseworker who holds no grant to the case
    real = call(world["outsider"], "get", f"{API}/cases/{world['ref']}/")
    invented = call(world["outsider"], "get", f"{API}/cases/ZZZ-ZZZ/")
    # Then the case and an invented reference answer byte for byte alike
    _problem(real, 404)
    assert real.content == invented.content
    for suffix, payload in [("stage/", {"version": 1, "stage": "verifying"}), ("notes/", {"text": "x"})]:
        a = call(world["outsider"], "post", f"{API}/cases/{world['ref']}/{suffix}", payload)
        b = call(world["outsider"], "post", f"{API}/cases/ZZZ-ZZZ/{suffix}", payload)
        assert a.status_code == b.status_code == 404
        assert a.content == b.content


def test_the_caseworker_reads_the_case(world: dict[str, Any], call: Any) -> None:
    answer = call(world["caseworker"], "get", f"{API}/cases/{world['ref']}/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["reference"] == world["ref"]
    assert body["version"] == world["case"].version
    assert AuditEntry.objects.filter(action="case.view").exists()


def test_a_stale_stage_change_is_409_and_changes_nothing(world: dict[str, Any], call: Any) -> None:
    case = world["case"]
    path = f"{API}/cases/{world['ref']}/stage/"
    moved = call(world["caseworker"], "post", path, {"version": case.version, "stage": "verifying"})
    assert moved.status_code == 200, moved.content
    assert moved.json()["version"] == case.version + 1
    before = Case.objects.values("stage_id", "version").get(pk=case.pk)
    events = Event.objects.filter(case=case).count()
    # When someone sends the version they read before that change
    stale = call(world["caseworker"], "post", path, {"version": case.version, "stage": "accepted"})
    # Then 409, and the case is as it was
    _problem(stale, 409)
    assert Case.objects.values("stage_id", "version").get(pk=case.pk) == before
    assert Event.objects.filter(case=case).count() == events


def test_a_read_token_cannot_write(world: dict[str, Any], roles_team: dict[str, Any], call: Any) -> None:
    reader = token_for(roles_team["caseworker"], scope="read")
    assert call(reader, "get", f"{API}/cases/").status_code == 200
    _problem(call(reader, "post", f"{API}/cases/{world['ref']}/notes/", {"text": "note"}), 403)
    assert not Event.objects.filter(case=world["case"], kind=Event.Kind.NOTE).exists()


def test_note_check_in_and_tasks(world: dict[str, Any], roles_team: dict[str, Any], call: Any) -> None:
    ref, token = world["ref"], world["caseworker"]
    assert call(token, "post", f"{API}/cases/{ref}/notes/", {"text": "called the lawyer"}).status_code == 201
    at = (timezone.now() - timedelta(minutes=1)).isoformat()
    checked = call(token, "post", f"{API}/cases/{ref}/checkins/", {"at": at, "channel": "phone"})
    assert checked.status_code == 201, checked.content
    assert CheckInRecord.objects.filter(case=world["case"], channel="phone", duress=False).count() == 1
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert call(token, "post", f"{API}/cases/{ref}/tasks/", {"title": "visa form", "due_on": due}).status_code == 201
    listed = call(token, "get", f"{API}/cases/{ref}/tasks/").json()
    assert [t["title"] for t in listed] == ["visa form"]
    assert Task.objects.get().owner_id == roles_team["caseworker"].staff.pk
    _problem(call(token, "post", f"{API}/cases/{ref}/checkins/", {"at": "yesterday", "channel": "phone"}), 400)
    refused = _problem(call(token, "post", f"{API}/cases/{ref}/notes/", {"text": " "}), 400)
    assert "errors" in refused or refused["detail"]


def test_pages_follow_the_cursor_without_repeating_or_skipping() -> None:
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from ferry.api.cursor import paginate

    rows = [[risk, ref] for risk in range(3) for ref in ("A", "B", "C")]
    seen: list[list[Any]] = []
    url = "/x/?page_size=4"
    while url:
        page, following = paginate(Request(APIRequestFactory().get(url)), rows, lambda row: row)
        seen += page
        url = following.replace("http://testserver", "") if following else ""
    assert seen == rows


def test_a_bad_cursor_or_page_size_is_a_problem(world: dict[str, Any], call: Any) -> None:
    _problem(call(world["caseworker"], "get", f"{API}/cases/?cursor=%%%"), 400)
    # A NUL character (which PostgreSQL refuses in any text) is a problem on every database, not a 500
    assert "stage" in _problem(call(world["caseworker"], "get", f"{API}/cases/?stage=a%00b"), 400)["errors"]
    _problem(call(world["caseworker"], "get", f"{API}/cases/?risk=low&x%00=1"), 400)
    # And in the address itself it answers as any unknown case does
    assert call(world["caseworker"], "get", f"{API}/cases/a%00b/").status_code in (400, 404)
    _problem(call(world["caseworker"], "get", f"{API}/cases/?page_size=0"), 400)
