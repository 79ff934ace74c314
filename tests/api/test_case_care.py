"""A case's risk, needs, check-in plan and referrals over the API: the case's door, its roles and its version."""

from __future__ import annotations

from typing import Any

import pytest

from ferry.api import tokens
from ferry.cases.models import Case, CheckInPlan, Event, Need, Partner
from ferry.cases.referrals.services import referral_create
from tests.api.conftest import API, token_for

pytestmark = pytest.mark.django_db

PLAN = {"interval_minutes": 24 * 60, "grace_minutes": 120, "time_zone": "Europe/Moscow"}


@pytest.fixture
def world(accepted: dict[str, Any], roles_team: dict[str, Any]) -> dict[str, Any]:
    case = accepted["case"]
    return {
        "case": case,
        "ref": case.reference,
        **{who: token_for(roles_team[who]) for who in ("caseworker", "outsider", "auditor")},
    }


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    return body


def _version(case: Case) -> int:
    return Case.objects.values_list("version", flat=True).get(pk=case.pk)


def _writes(world: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    version = _version(world["case"])
    return [
        ("post", "risk/", {"version": version, "risk": "high", "reason": "seen near the flat"}),
        ("post", "needs/", {"kind": "shelter", "status": "open"}),
        ("put", "checkin-plan/", {"version": version, **PLAN}),
    ]


READS = ["needs/", "checkin-plan/", "referrals/"]


def test_the_caseworker_changes_the_risk(world: dict[str, Any], call: Any) -> None:
    version = _version(world["case"])
    payload = {"version": version, "risk": "critical", "reason": "threatened by a relative"}
    answer = call(world["caseworker"], "post", f"{API}/cases/{world['ref']}/risk/", payload)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"reference": world["ref"], "risk": "critical", "version": version + 1}
    assert Event.objects.filter(case=world["case"], kind=Event.Kind.RISK).count() == 1
    _problem(call(world["caseworker"], "post", f"{API}/cases/{world['ref']}/risk/", {**payload, "reason": " "}), 400)


def test_a_stale_risk_change_is_409_and_changes_nothing(world: dict[str, Any], call: Any) -> None:
    # Given the case changed since the caseworker read version v
    version = _version(world["case"])
    Case.objects.filter(pk=world["case"].pk).update(version=version + 1)
    before = Case.objects.values("risk", "risk_reason", "version").get(pk=world["case"].pk)
    # When the caseworker sends v
    payload = {"version": version, "risk": "critical", "reason": "threatened"}
    _problem(call(world["caseworker"], "post", f"{API}/cases/{world['ref']}/risk/", payload), 409)
    # Then the case and its timeline are as they were
    assert Case.objects.values("risk", "risk_reason", "version").get(pk=world["case"].pk) == before
    assert not Event.objects.filter(case=world["case"], kind=Event.Kind.RISK).exists()


def test_needs_are_set_and_read(world: dict[str, Any], call: Any) -> None:
    path = f"{API}/cases/{world['ref']}/needs/"
    answer = call(world["caseworker"], "post", path, {"kind": "shelter", "status": "in_progress", "detail": "Tbilisi"})
    assert answer.status_code == 200, answer.content
    listed = call(world["caseworker"], "get", path).json()
    shelter = next(n for n in listed if n["kind"] == "shelter")
    assert (shelter["status"], shelter["detail"]) == ("in_progress", "Tbilisi")
    _problem(call(world["caseworker"], "post", path, {"kind": "nonsense", "status": "open"}), 400)


def test_the_check_in_plan_is_set_and_read(world: dict[str, Any], call: Any) -> None:
    path = f"{API}/cases/{world['ref']}/checkin-plan/"
    version = _version(world["case"])
    answer = call(world["caseworker"], "put", path, {"version": version, **PLAN})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["version"] == version + 1
    assert body["plan"]["interval_minutes"] == PLAN["interval_minutes"]
    assert body["plan"]["active"] is True
    assert call(world["caseworker"], "get", path).json() == body
    # The service's own checks answer as a problem
    bad = {"version": version + 1, **PLAN, "grace_minutes": PLAN["interval_minutes"] + 1}
    _problem(call(world["caseworker"], "put", path, bad), 400)


def test_a_stale_plan_is_409_and_changes_nothing(world: dict[str, Any], call: Any) -> None:
    path = f"{API}/cases/{world['ref']}/checkin-plan/"
    version = _version(world["case"])
    assert call(world["caseworker"], "put", path, {"version": version, **PLAN}).status_code == 200
    before = list(CheckInPlan.objects.values().filter(case=world["case"]))
    # When someone sends the version read before that change
    stale = call(world["caseworker"], "put", path, {"version": version, **PLAN, "interval_minutes": 12 * 60})
    # Then 409, and the plan is as it was
    _problem(stale, 409)
    assert list(CheckInPlan.objects.values().filter(case=world["case"])) == before


def test_referrals_of_the_case_are_listed(world: dict[str, Any], roles_team: dict[str, Any], call: Any) -> None:
    partner = Partner.objects.create(name="Rainbow Harbour", country="CA", kind="organisation")
    ring = tokens.token_authenticate(world["caseworker"]).ring
    referral_create(
        ring=ring,
        staff=roles_team["caseworker"].staff,
        reference=world["ref"],
        partner_id=partner.pk,
        destination_country="CA",
        include=[],
    )
    listed = call(world["caseworker"], "get", f"{API}/cases/{world['ref']}/referrals/").json()
    assert [(r["partner"], r["status"]) for r in listed] == [("Rainbow Harbour", "draft")]
    assert "sent" in listed[0]["next_statuses"] or listed[0]["next_statuses"]


def test_a_case_one_may_not_open_answers_like_a_missing_one(world: dict[str, Any], call: Any) -> None:
    # Given a caseworker who holds no grant to the case
    for suffix in READS:
        real = call(world["outsider"], "get", f"{API}/cases/{world['ref']}/{suffix}")
        invented = call(world["outsider"], "get", f"{API}/cases/ZZZ-ZZZ/{suffix}")
        _problem(real, 404)
        assert real.content == invented.content
    for method, suffix, payload in _writes(world):
        real = call(world["outsider"], method, f"{API}/cases/{world['ref']}/{suffix}", payload)
        invented = call(world["outsider"], method, f"{API}/cases/ZZZ-ZZZ/{suffix}", payload)
        _problem(real, 404)
        assert real.content == invented.content
    # And nothing was written
    assert not Need.objects.exists()
    assert not CheckInPlan.objects.filter(case=world["case"]).exists()
    assert Case.objects.get(pk=world["case"].pk).risk == world["case"].risk


def test_a_role_without_cases_is_refused(world: dict[str, Any], call: Any) -> None:
    for suffix in READS:
        _problem(call(world["auditor"], "get", f"{API}/cases/{world['ref']}/{suffix}"), 403)
    for method, suffix, payload in _writes(world):
        _problem(call(world["auditor"], method, f"{API}/cases/{world['ref']}/{suffix}", payload), 403)
