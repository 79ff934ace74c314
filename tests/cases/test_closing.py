"""Closing a case ends its check-in plan and says so; reopening it does not restart the plan silently."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ferry.accounts.models import StaffAlert
from ferry.cases.checkins import services as checkins
from ferry.cases.checkins.sweep import sweep_plans
from ferry.cases.models import Case, CheckInPlan, Event
from ferry.vault.keyring import KeyRing
from tests.cases.conftest import staff_client

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


def _ring(person: Any) -> KeyRing:
    return KeyRing(staff_id=person.staff.pk, private_key=person.private_key)


def _move(client: Client, case: Case, stage: str, reason: str = "") -> Any:
    case.refresh_from_db()
    return client.post(
        f"/staff/cases/{case.reference}/stage/",
        {"version": case.version, "stage": stage, "reason": reason, "note": ""},
        follow=True,
    )


def _text(page: Any) -> str:
    """The page's words, tags out, spaces folded (what a reader sees, near enough)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))


def _messages(page: Any) -> list[str]:
    """The messages the page shows after an action."""
    return [str(m) for m in page.context["messages"]]


def _open_alerts(reference: str) -> set[str]:
    return set(
        StaffAlert.objects.filter(
            reference=reference, kind__startswith="checkin_", acknowledged_at__isnull=True
        ).values_list("kind", flat=True)
    )


def test_closing_ends_the_plan_and_reopening_leaves_it_stopped(team: dict[str, Any], accepted: dict[str, Any]) -> None:
    # Given a case whose person has gone silent: an active plan, overdue, its alerts open, and an emergency
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    plan = checkins.plan_set(
        ring=_ring(team["caseworker"]),
        staff=team["caseworker"].staff,
        reference=case.reference,
        version=case.version,
        interval_minutes=60,
        grace_minutes=10,
    )
    with time_machine.travel(plan.next_due_at + 11 * MINUTE, tick=False):
        sweep_plans(timezone.now())
    checkins.checkin_record(
        ring=_ring(team["caseworker"]),
        staff=team["caseworker"].staff,
        reference=case.reference,
        at=timezone.now(),
        channel="phone",
        duress=True,
    )
    assert _open_alerts(case.reference) == {"checkin_overdue", "checkin_duress"}

    # When the caseworker closes the case
    closed = _move(worker, case, "closed", "resettled")

    # Then the plan has ended: inactive, and no sweep moves it again
    plan.refresh_from_db()
    assert (plan.active, plan.next_action_at) == (False, None)
    with time_machine.travel(plan.next_due_at + 10 * timedelta(hours=1), tick=False):
        assert sweep_plans(timezone.now()) == 0
    # And its missed check-in alerts are closed with the stage change; the emergency stays until someone writes
    assert _open_alerts(case.reference) == {"checkin_duress"}
    stage_event = Event.objects.filter(case=case, kind="stage").latest("at")
    assert set(
        StaffAlert.objects.filter(reference=case.reference, kind="checkin_overdue").values_list("note_event", flat=True)
    ) == {stage_event.pk}
    assert Event.objects.filter(case=case, kind="plan").count() == 2  # set, then ended with the case
    # And the page says so, with no next check-in
    said = _messages(closed)
    assert said[0] == "Stage changed."
    assert said[1].startswith("The case is closed, so its check-in plan has ended")
    page = _text(worker.get(f"/staff/cases/{case.reference}/"))
    assert "Check-ins ended when the case was closed." in page
    assert "Next check-in due" not in page
    # And the board shows no next check-in for it
    board = accepted["coordinator"].get("/staff/cases/board/").content.decode()
    row = re.search(rf"<tr>\s*<td><a href=\"/staff/cases/{case.reference}/\">.*?</tr>", board, re.S)
    assert row is not None
    assert plan.next_due_at.strftime("%H:%M") not in row.group(0)
    assert "<td>—</td>" in row.group(0)

    # When the case is moved back to an open stage
    reopened = _move(worker, case, "safe_house")

    # Then the plan stays stopped, and the page says so and how to set it again
    plan.refresh_from_db()
    assert plan.active is False
    assert _messages(reopened)[1].startswith("The case is open again. Its check-in plan is still stopped: set it again")
    page = _text(worker.get(f"/staff/cases/{case.reference}/"))
    assert "Check-ins are stopped." in page
    assert "Next check-in due in" not in page
    # And setting it again starts it from now
    case.refresh_from_db()
    again = checkins.plan_set(
        ring=_ring(team["caseworker"]),
        staff=team["caseworker"].staff,
        reference=case.reference,
        version=case.version,
        interval_minutes=60,
        grace_minutes=10,
    )
    assert again.active
    assert again.next_due_at > timezone.now() + 59 * MINUTE


def test_closing_a_case_without_a_plan_says_nothing_about_check_ins(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    case = accepted["case"]
    closed = _move(staff_client(team["caseworker"]), case, "closed", "resettled")
    assert _messages(closed) == ["Stage changed."]
    assert not CheckInPlan.objects.exists()


def test_a_plan_cannot_be_switched_on_for_a_closed_case(team: dict[str, Any], accepted: dict[str, Any]) -> None:
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    _move(worker, case, "closed", "resettled")
    page = worker.get(f"/staff/cases/{case.reference}/").content.decode()
    assert f'action="/staff/cases/checkins/{case.reference}/plan/"' not in page
    assert "Reopen the case to plan check-ins again." in _text(worker.get(f"/staff/cases/{case.reference}/"))
