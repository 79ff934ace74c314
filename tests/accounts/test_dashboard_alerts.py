"""The dashboard's alerts: one entry per case (most urgent first) acknowledged together, and a colleague's duress
login with its own instructions, their cases, and no one-click dismissal."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ferry.accounts import services
from ferry.accounts.models import StaffAlert
from ferry.audit.models import AuditEntry
from ferry.cases.models import Case, Event
from ferry.cases.services import open_json, pipeline_ensure
from ferry.intake.models import Request
from ferry.vault.keyring import KeyRing
from tests.accounts.helpers import code_for, next_window
from tests.cases.conftest import staff_client
from tests.intake.helpers import submit

pytestmark = pytest.mark.django_db
DURESS = "plum orchard velvet staircase 88"
TEST_PASSPHRASE = "correct horse battery staple 42"


@pytest.fixture
def office(client: Client, make_staff: Any) -> dict[str, Any]:
    """A coordinator, an administrator and two caseworkers; two cases, the first caseworker on both."""
    pipeline_ensure()
    people = {
        "admin": make_staff("administrator"),
        "coordinator": make_staff("coordinator"),
        "caseworker": make_staff("caseworker"),
        "caseworker2": make_staff("caseworker"),
    }
    coordinator = staff_client(people["coordinator"])
    submit(client)
    submit(client, name="Bella")
    for request in Request.objects.order_by("reference"):
        answer = coordinator.post(
            f"/staff/intake/{request.reference}/accept/",
            {"version": request.version, "caseworker": people["caseworker"].staff.pk},
        )
        assert answer.status_code == 302
    first, second = Case.objects.order_by("reference")
    return {**people, "first": first, "second": second, "coordinator_client": coordinator}


def _alert(kind: str, to: Any, reference: str = "", about: Any = None, minutes_ago: int = 0) -> StaffAlert:
    return StaffAlert.objects.create(
        kind=kind,
        recipient=to.staff,
        reference=reference,
        about_staff=about.staff if about else None,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def _entries(page: str) -> list[str]:
    """The alert entries of the dashboard, in order, as text."""
    found = re.search(r'<ul class="alerts" role="alert">(.*?)</ul>', page, re.S)
    assert found is not None
    items = re.findall(r'<li class="alert-group">(.*?)</li>', found.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def test_alerts_are_one_entry_per_case_most_urgent_first_and_acknowledged_together(office: dict[str, Any]) -> None:
    # Given a caseworker whose first case piled up alerts, and whose second lost contact
    worker, first, second = office["caseworker"], office["first"].reference, office["second"].reference
    StaffAlert.objects.filter(recipient=worker.staff).delete()  # the assignments' own alerts, raised by accepting
    for kind, ago in (
        ("checkin_due", 30),
        ("checkin_overdue", 20),
        ("checkin_escalated", 10),
        ("checkin_escalated", 5),
        ("new_message", 3),
        ("case_assigned", 2),
    ):
        _alert(kind, worker, first, minutes_ago=ago)
    _alert("checkin_lost", worker, second, minutes_ago=60)
    _alert("new_message", worker, second, minutes_ago=1)
    desk = staff_client(worker)

    # When they open the dashboard
    page = desk.get("/staff/").content.decode()
    entries = _entries(page)

    # Then there is one entry per case, the one that lost contact first, each listing its alerts' kinds
    assert len(entries) == 2
    assert entries[0].startswith(second)
    assert entries[1].startswith(first)
    assert "Lost contact: check-ins missed" in entries[0]
    assert "A missed check-in was escalated (\u00d72); A check-in is overdue; A check-in is due" in entries[1]
    assert "A case was assigned to you" in entries[1]
    assert "New message from a person" in entries[1]
    # And the check-in alerts lead to the case's check-ins, where they are acknowledged with a note
    assert page.count(f'href="/staff/cases/{first}/#checkins">Acknowledge with a note') == 1
    # When they acknowledge the rest of the first case's alerts with one click
    ack = re.findall(r'action="(/staff/accounts/alerts/\d+/acknowledge/)"', page)
    assert len(ack) == 2
    assert desk.post(ack[1]).status_code == 302
    # Then both went together, and the check-in alerts stay until someone writes what was done
    open_kinds = set(
        StaffAlert.objects.filter(recipient=worker.staff, reference=first, acknowledged_at__isnull=True).values_list(
            "kind", flat=True
        )
    )
    assert open_kinds == {"checkin_due", "checkin_overdue", "checkin_escalated"}
    assert AuditEntry.objects.filter(action="alert.acknowledge", actor_id=worker.staff.pk).count() == 2
    entries = _entries(desk.get("/staff/").content.decode())
    assert "New message" not in entries[1]
    assert "New message from a person" in entries[0]  # the other case's message is its own


def test_a_duress_login_is_its_own_entry_with_instructions_cases_and_a_note(office: dict[str, Any]) -> None:
    # Given a caseworker on two cases (the second shared with a colleague) who signs in under duress
    worker, coordinator = office["caseworker"], office["coordinator"]
    first, second = office["first"], office["second"]
    office["coordinator_client"].post(
        f"/staff/cases/{second.reference}/assign/", {"staff": office["caseworker2"].staff.pk}
    )
    services.duress_set(staff=worker.staff, current=TEST_PASSPHRASE, duress=DURESS)
    coerced = Client()
    assert (
        coerced.post("/staff/accounts/login/", {"email": worker.staff.email, "passphrase": DURESS}).status_code == 302
    )
    with next_window():
        coerced.post("/staff/accounts/login/code/", {"code": code_for(worker.totp_secret)})
    alert = StaffAlert.objects.get(kind="duress", recipient=coordinator.staff)

    # When a coordinator opens the dashboard
    desk = staff_client(coordinator)
    page = desk.get("/staff/").content.decode()

    # Then the duress login is its own entry: what to do, their cases and who else is on them, a note to write
    entry = re.search(r'<article class="panel error duress-login".*?</article>', page, re.S)
    assert entry is not None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", entry.group(0)))
    assert f"{worker.staff.name} signed in with their duress passphrase" in text
    assert "Do not call or message their phone" in text
    assert "Their keys were destroyed" in text
    assert "Reassign their cases" in text
    assert "after an administrator has met them in person" in text
    assert f"{first.reference} · nobody else is on it" in text
    assert f"{second.reference} · also on it: {office['caseworker2'].staff.name}" in text
    assert '<textarea name="note"' in entry.group(0)
    assert "required" in entry.group(0)
    # And no one-click "Acknowledge": neither on the page nor by posting the plain acknowledgement
    assert f"/staff/accounts/alerts/{alert.pk}/acknowledge/" not in page
    desk.post(f"/staff/accounts/alerts/{alert.pk}/acknowledge/")
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    # And without a note it is refused, with the entry shown again
    url = f"/staff/cases/duress/{worker.staff.pk}/acknowledge/"
    refused = desk.post(url, {"note": "  "})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert "Reassign their cases" in refused.content.decode()
    assert StaffAlert.objects.filter(kind="duress", acknowledged_at__isnull=True).count() == 2

    # When the coordinator writes what was done
    note = "Met her at the office at 14:00: safe. Both cases to Ruslan."
    done = desk.post(url, {"note": note}, follow=True)
    assert "Acknowledged for everyone who was alerted." in done.content.decode()

    # Then it is gone for everyone alerted (the administrator too), and the note is in both cases' timelines
    assert not StaffAlert.objects.filter(kind="duress", acknowledged_at__isnull=True).exists()
    ring = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key)
    for case in (first, second):
        event = Event.objects.get(case=case, kind="alert")
        detail = open_json(ring.key_for(case.key_set), event, "detail")
        assert detail["note"] == note
        assert worker.staff.name in detail["text"]
    assert StaffAlert.objects.filter(kind="duress", note_event__isnull=False).count() == 2
    assert AuditEntry.objects.filter(action="staff.duress_acknowledge", actor_id=coordinator.staff.pk).count() == 1
    assert "duress passphrase" not in desk.get("/staff/").content.decode()
    # And acknowledging again, or for someone with no such alert, is the same 404
    assert desk.post(url, {"note": note}).status_code == 404
    assert desk.post("/staff/cases/duress/987654/acknowledge/", {"note": note}).status_code == 404


def test_an_administrator_sees_how_many_cases_not_which(office: dict[str, Any]) -> None:
    worker = office["caseworker"]
    _alert("duress", office["admin"], about=worker)
    page = staff_client(office["admin"]).get("/staff/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "They are on 2 open cases; a coordinator reassigns them." in text
    assert office["first"].reference not in page
    assert "You can open none of their cases, so your note is not kept" in text
