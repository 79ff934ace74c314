"""Case pages and services: the caseload, the board, stages, risk, notes, needs, tasks, assignment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ferry.audit.models import AuditEntry
from ferry.cases.models import Assignment, Case, Event, Need, Task
from ferry.intake.models import Request
from ferry.vault.keyring import KeyRing
from tests.cases.conftest import staff_client
from tests.intake.helpers import open_box

pytestmark = pytest.mark.django_db


def test_caseworker_carries_the_case(team: dict[str, Any], accepted: dict[str, Any]) -> None:
    case = accepted["case"]
    assert case.stage.key == "accepted"
    assert case.risk == "critical"  # "in danger now"
    worker = staff_client(team["caseworker"])
    mine = worker.get("/staff/cases/").content.decode()
    assert case.reference in mine
    assert "Artur" in mine
    page = worker.get(f"/staff/cases/{case.reference}/")
    assert page.status_code == 200
    assert "+7 912 345 67 89" in page.content.decode()
    assert AuditEntry.objects.filter(action="case.view").count() == 1

    def post(path: str, data: dict[str, Any]) -> Any:
        return worker.post(f"/staff/cases/{case.reference}/{path}/", data)

    assert post("stage", {"version": case.version, "stage": "safe_house", "note": "moved"}).status_code == 302
    case.refresh_from_db()
    assert case.stage.key == "safe_house"
    refused = post("stage", {"version": case.version, "stage": "closed"})
    assert refused.status_code == 400
    assert "cannot be closed without a reason" in refused.content.decode()
    stale = post("risk", {"version": case.version - 1, "risk": "low", "reason": "calmer"})
    assert "Someone else changed this case" in stale.content.decode()
    assert post("risk", {"version": case.version, "risk": "medium", "reason": "in the safe house"}).status_code == 302
    assert post("note", {"text": "Spoke to the landlord."}).status_code == 302
    assert post("need", {"kind": "visa", "status": "in_progress", "detail": "humanitarian visa"}).status_code == 302
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    past = post("task", {"title": "Buy ticket", "due_on": yesterday, "owner": team["caseworker"].staff.pk})
    assert past.status_code == 400
    assert "in the past" in past.content.decode()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert (
        post("task", {"title": "Buy ticket", "due_on": tomorrow, "owner": team["caseworker"].staff.pk}).status_code
        == 302
    )
    assert post("message", {"text": "Your ticket is booked."}).status_code == 302
    assert "Your ticket is booked." in open_box(Client(), accepted["code"])[0].content.decode()
    task = Task.objects.get()
    assert post(f"task/{task.pk}/done", {}).status_code == 302
    case.refresh_from_db()
    assert post("stage", {"version": case.version, "stage": "closed", "reason": "resettled"}).status_code == 302
    case.refresh_from_db()
    assert case.closed_at is not None
    assert case.closing_reason.key == "resettled"
    kinds = list(Event.objects.filter(case=case).values_list("kind", flat=True))
    for kind in ("created", "assigned", "stage", "risk", "note", "need", "task"):
        assert kind in kinds
    assert Need.objects.get().status == "in_progress"
    timeline = worker.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Spoke to the landlord." in timeline
    assert "Your ticket is booked." in timeline
    # Closed cases leave the caseload.
    assert case.reference not in worker.get("/staff/cases/").content.decode()


def test_a_caseworker_without_a_grant_gets_404_and_it_is_audited(team: dict, accepted: dict) -> None:
    case = accepted["case"]
    other = staff_client(team["caseworker2"])
    assert other.get(f"/staff/cases/{case.reference}/").status_code == 404
    assert other.post(f"/staff/cases/{case.reference}/note/", {"text": "x"}).status_code == 404
    assert AuditEntry.objects.filter(action="case.denied", actor_id=team["caseworker2"].staff.pk).count() == 2
    assert case.reference not in other.get("/staff/cases/").content.decode()
    assert other.get("/staff/cases/board/").status_code == 403


def test_board_counts_everything_and_shows_only_granted(team: dict, accepted: dict, make_staff: Any) -> None:
    case = accepted["case"]
    board = accepted["coordinator"].get("/staff/cases/board/").content.decode()
    assert case.reference in board
    latecomer = make_staff("coordinator")
    other_board = staff_client(latecomer).get("/staff/cases/board/").content.decode()
    assert case.reference not in other_board
    assert "1 more case is held by other colleagues" in other_board
    search = accepted["coordinator"].post("/staff/cases/board/", {"q": "artur"}).content.decode()
    assert case.reference in search
    assert case.reference not in accepted["coordinator"].post("/staff/cases/board/", {"q": "nobody"}).content.decode()


def test_assign_and_unassign_rekeys(team: dict, accepted: dict) -> None:
    case = accepted["case"]
    coordinator = accepted["coordinator"]
    second = team["caseworker2"]
    assert coordinator.post(f"/staff/cases/{case.reference}/assign/", {"staff": second.staff.pk}).status_code == 302
    ring = KeyRing(staff_id=second.staff.pk, private_key=second.private_key)
    assert ring.can_open(case.key_set)
    generation = case.key_set.generation
    assert coordinator.post(f"/staff/cases/{case.reference}/unassign/", {"staff": second.staff.pk}).status_code == 302
    case = Case.objects.select_related("key_set").get()
    assert case.key_set.generation == generation + 1
    assert not KeyRing(staff_id=second.staff.pk, private_key=second.private_key).can_open(case.key_set)
    first = team["caseworker"]
    assert KeyRing(staff_id=first.staff.pk, private_key=first.private_key).can_open(case.key_set)
    # The person's mailbox still opens after the re-key.
    assert open_box(Client(), accepted["code"])[1] is not None
    worker = staff_client(team["caseworker"])
    # A caseworker is not a coordinator: refused before anything is looked up
    assert worker.post(f"/staff/cases/{case.reference}/assign/", {"staff": second.staff.pk}).status_code == 403


def test_every_holder_is_listed_on_the_case_and_can_be_removed(team: dict, accepted: dict) -> None:
    """P2, P5: sharing a request that is a case now adds the colleague to the case; everyone who can open the
    case is listed on its page, and each can be removed (the case and its conversation re-keyed)."""
    case = accepted["case"]
    coordinator = accepted["coordinator"]
    helper, other_coordinator = team["caseworker2"], team["coordinator2"]
    # Given the request is shared after it became a case
    shared = coordinator.post(f"/staff/intake/{case.reference}/share/", {"colleague": helper.staff.pk})
    assert shared.status_code == 302
    # Then the colleague is on the case, and every holder is listed on its page
    assert Assignment.objects.filter(case=case, staff=helper.staff).exists()
    page = coordinator.get(f"/staff/cases/{case.reference}/").content.decode()
    can_open = page.split("Can open it")[1].split("</p>")[0]
    for person in (helper, other_coordinator, team["caseworker"]):
        assert person.staff.name in can_open
    assert AuditEntry.objects.filter(action="case.assign", object_id=case.pk.hex).count() >= 2
    # When a coordinator who only held the request, and the shared colleague, are removed
    for person in (other_coordinator, helper):
        removed = coordinator.post(f"/staff/cases/{case.reference}/unassign/", {"staff": person.staff.pk})
        assert removed.status_code == 302
        # Then neither the case nor the conversation opens for them any more
        request = Request.objects.select_related("key_set", "conversation").get(pk=case.request_id)
        ring = KeyRing(staff_id=person.staff.pk, private_key=person.private_key)
        assert not ring.can_open(request.key_set)
        assert request.conversation is not None
        assert not ring.can_open(request.conversation)
    assert AuditEntry.objects.filter(action="case.unassign", object_id=case.pk.hex).count() == 2
    # And the person still reads their mailbox
    assert open_box(Client(), accepted["code"])[1] is not None
