"""P3: a duress session is an ordinary-looking world on every staff page. Whatever the coerced person really
carries (cases, alerts, a missed check-in on their case), every page matches, byte for byte, the same page
of an ordinary account with the same roles that holds nothing. Nothing is e-mailed from the login."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ferry.accounts import services
from ferry.accounts.models import StaffAlert
from ferry.cases.models import CheckInPlan
from ferry.vault import staffkeys
from tests.accounts.helpers import code_for, next_window
from tests.cases.conftest import staff_client
from tests.intake.helpers import submit
from tests.test_doors import CSRF_RE, routes

pytestmark = pytest.mark.django_db(transaction=True)
DURESS = "plum orchard velvet staircase 88"


def _duress_session(member: Any) -> Client:
    coerced = Client()
    first = coerced.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": DURESS})
    assert first.status_code == 302
    with next_window():
        second = coerced.post("/staff/accounts/login/code/", {"code": code_for(member.totp_secret)})
    assert second.status_code == 302
    return coerced


def _page(client: Client, url: str, people: list[Any]) -> tuple[int, str]:
    """The page as compared: CSRF tokens out, and the two people's names alike (each page names the viewer)."""
    response = client.get(url)
    body = CSRF_RE.sub("", response.content.decode()) if response.get("Content-Type", "").startswith("text/") else ""
    for who in people:
        for text in (who.staff.email, who.staff.name):
            body = body.replace(text, "SOMEONE")
        # Each account's own key fingerprint differs, as two empty accounts' would
        body = body.replace(staffkeys.fingerprint(staff_id=who.staff.pk), "FINGERPRINT")
    return response.status_code, body


def _walk(coerced: Client, member: Any, ordinary: Client, twin: Any, extra: list[str]) -> list[str]:
    pages = ["/" + r.route for r in routes() if r.route.startswith("staff/") and not r.kwargs]
    differences = []
    for url in [*pages, *extra]:
        seen, expected = _page(coerced, url, [member, twin]), _page(ordinary, url, [member, twin])
        if seen != expected:
            differences.append(f"{url}: {seen[0]} under duress, {expected[0]} for an account holding nothing")
    return differences


@pytest.mark.parametrize("role", ["caseworker", "coordinator"])
def test_a_duress_session_looks_like_an_account_that_holds_nothing(client: Client, make_staff: Any, role: str) -> None:
    # Given someone carrying a case (assigned, an alert, a check-in plan gone silent) with a duress passphrase
    admin, coordinator = make_staff("administrator"), make_staff("coordinator")
    member = make_staff(role)
    submit(client)
    from ferry.intake.models import Request

    request = Request.objects.get()
    accepted = staff_client(coordinator).post(
        f"/staff/intake/{request.reference}/accept/",
        {
            "version": request.version,
            "caseworker": (member if role == "caseworker" else make_staff("caseworker")).staff.pk,
        },
    )
    assert accepted.status_code == 302
    from ferry.cases.models import Case

    case = Case.objects.get()
    if role == "coordinator":
        staff_client(coordinator).post(f"/staff/cases/{case.reference}/assign/", {"staff": member.staff.pk})
    CheckInPlan.objects.create(
        case=case,
        interval_minutes=60,
        grace_minutes=10,
        last_checkin_at=timezone.now() - timedelta(hours=3),
        next_due_at=timezone.now() - timedelta(hours=2),
        next_action_at=timezone.now(),
        state="overdue",
        escalation_step=1,
        updated_at=timezone.now(),
    )
    StaffAlert.objects.create(
        kind=StaffAlert.Kind.CHECKIN_OVERDUE,
        recipient=member.staff,
        reference=case.reference,
        created_at=timezone.now(),
    )
    assert StaffAlert.objects.filter(recipient=member.staff).exists()
    services.duress_set(staff=member.staff, current="correct horse battery staple 42", duress=DURESS)
    twin = make_staff(role)
    mail.outbox.clear()

    # When they are made to sign in with the duress passphrase, and someone else signs in holding nothing
    coerced = _duress_session(member)
    ordinary = staff_client(twin)
    # (a coordinator twin was just told of the duress itself: an account "holding nothing" has no alerts)
    StaffAlert.objects.filter(recipient=twin.staff).update(acknowledged_at=timezone.now())

    # Then nothing was e-mailed from the login (the worker sends the alerts later)
    assert mail.outbox == []
    assert StaffAlert.objects.filter(kind="duress", about_staff=member.staff, emailed=False).exists()
    # And every staff page, and the page of the case they carry, matches the ordinary empty account's
    assert _walk(coerced, member, ordinary, twin, extra=[f"/staff/cases/{case.reference}/"]) == []
    assert admin.staff.pk  # the administrator exists so the duress alert has someone to go to


def test_the_walk_sees_a_page_that_gives_the_duress_away(client: Client, make_staff: Any) -> None:
    """The comparison can fail: the real session of someone with an alert differs from the empty account."""
    member, twin = make_staff("caseworker"), make_staff("caseworker")
    StaffAlert.objects.create(
        kind=StaffAlert.Kind.CASE_ASSIGNED, recipient=member.staff, reference="ABC-DEF", created_at=timezone.now()
    )
    differences = _walk(staff_client(member), member, staff_client(twin), twin, extra=[])
    assert "/staff/: 200 under duress, 200 for an account holding nothing" in differences
    assert re.search("ABC-DEF", staff_client(member).get("/staff/").content.decode())
