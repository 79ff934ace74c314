"""The hotline's side: queue, hints, accept, decline, duplicates, concurrency, and who may see what."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ferry.audit.models import AuditEntry
from ferry.cases.models import Assignment, Case
from ferry.intake import errors, limits, selectors, triage
from ferry.intake.models import ContactIndex, IntakeDay, IntakeWindow, MailboxSession, Request
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE
from tests.intake.helpers import open_box, submit

pytestmark = pytest.mark.django_db


def _client(person: Any) -> Client:
    return login(Client(), person.staff.email, TEST_PASSPHRASE, person.totp_secret)


def _ring(person: Any) -> KeyRing:
    return KeyRing(staff_id=person.staff.pk, private_key=person.private_key)


def test_only_coordinators_see_the_queue(client: Client, hotline: dict[str, Any]) -> None:
    submit(client)
    reference = Request.objects.get().reference
    caseworker = _client(hotline["caseworker"])
    assert caseworker.get("/staff/intake/").status_code == 403
    assert caseworker.get(f"/staff/intake/{reference}/").status_code == 404  # no grant: nothing to see
    anonymous = Client()
    assert anonymous.get("/staff/intake/").status_code == 302


def test_a_coordinator_without_a_grant_gets_404_and_is_audited(client: Client, make_staff: Any, hotline: dict) -> None:
    submit(client)
    reference = Request.objects.get().reference
    latecomer = make_staff("coordinator")  # joined after the request was sealed
    page = _client(latecomer)
    assert page.get(f"/staff/intake/{reference}/").status_code == 404
    assert AuditEntry.objects.filter(action="request.denied", actor_id=latecomer.staff.pk).count() == 1
    queue = page.get("/staff/intake/").content.decode()
    assert reference not in queue
    assert "sealed to other colleagues only" in queue


def test_same_contact_hint_appears_once_the_index_key_is_shared(client: Client, hotline: dict[str, Any]) -> None:
    submit(client, phone="+7 912 345 67 89")
    submit(client, phone="8 (912) 345-67-89", handle="", name="Other")
    first, second = Request.objects.order_by("reference")
    coordinator = _client(hotline["coordinator"])
    # The administrator holds the index key from set-up; passing by the dashboard shares it.
    _client(hotline["admin"]).get("/staff/")
    assert AuditEntry.objects.filter(action="vault.index_grant").count() == 2
    queue = coordinator.get("/staff/intake/").content.decode()
    assert f"Same contact as {second.reference}" in queue
    assert f"Same contact as {first.reference}" in queue
    assert ContactIndex.objects.count() >= 2
    assert set(Request.objects.values_list("contacts_indexed", flat=True)) == {True}


def test_accept_assigns_a_caseworker_who_can_open_the_request(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, _ = submit(client)
    request = Request.objects.get()
    coordinator = _client(hotline["coordinator"])
    caseworker = hotline["caseworker"].staff
    assert not _ring(hotline["caseworker"]).can_open(request.key_set)
    answer = coordinator.post(
        f"/staff/intake/{request.reference}/accept/", {"version": request.version, "caseworker": caseworker.pk}
    )
    assert answer.status_code == 302
    case = Case.objects.get()
    assert case.reference == request.reference
    assert Assignment.objects.get(case=case).staff == caseworker
    assert _ring(hotline["caseworker"]).can_open(request.key_set)
    request.refresh_from_db()
    assert request.status == "accepted"
    # The person's mailbox still opens after the request became a case.
    assert open_box(client, code)[1] is not None


def test_stale_version_is_refused_without_changing_anything(client: Client, hotline: dict[str, Any]) -> None:
    submit(client)
    request = Request.objects.get()
    first, second = _client(hotline["coordinator"]), _client(hotline["coordinator2"])
    version = request.version
    assert (
        first.post(
            f"/staff/intake/{request.reference}/decline/", {"version": version, "reason": "spam", "confirm": "on"}
        ).status_code
        == 302
    )
    late = second.post(f"/staff/intake/{request.reference}/duplicate/", {"version": version, "of_reference": "AAA-AAA"})
    assert late.status_code == 400
    late = second.post(f"/staff/intake/{request.reference}/flag/", {"version": version, "flagged": "on", "note": "odd"})
    assert late.status_code == 400
    assert "Someone else changed this request" in late.content.decode()
    request.refresh_from_db()
    assert request.status == "declined"
    assert request.entrapment_flag is False
    assert request.entrapment_note is None


def test_decline_duplicate_flag_and_reopen(client: Client, hotline: dict[str, Any]) -> None:
    submit(client)
    submit(client, name="Again")
    one, two = Request.objects.order_by("reference")
    staff, ring = hotline["coordinator"].staff, _ring(hotline["coordinator"])
    with pytest.raises(errors.IntakeError):
        triage.request_mark_duplicate(
            ring=ring, staff=staff, reference=one.reference, version=1, of_reference="ZZZ-ZZZ"
        )
    triage.request_mark_duplicate(
        ring=ring, staff=staff, reference=one.reference, version=1, of_reference=two.reference
    )
    triage.request_flag(ring=ring, staff=staff, reference=two.reference, version=1, flagged=True, note="why")
    view = selectors.request_open(ring=ring, staff=staff, reference=two.reference)
    assert view.entrapment_note == "why"
    assert view.request.entrapment_flag
    with pytest.raises(errors.IntakeError):
        triage.request_decline(ring=ring, staff=staff, reference=two.reference, version=2, reason="bogus", note="")
    triage.request_decline(ring=ring, staff=staff, reference=two.reference, version=2, reason="spam", note="n")
    triage.request_reopen(ring=ring, staff=staff, reference=two.reference, version=3)
    assert Request.objects.get(pk=two.pk).status == "open"
    one.refresh_from_db()
    assert one.status == "duplicate"
    assert one.duplicate_of_id == two.pk


def test_revoking_a_coordinator_rekeys_and_the_person_still_reads(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, _ = submit(client)
    request = Request.objects.get()
    ring = _ring(hotline["coordinator"])
    triage.request_reply(ring=ring, staff=hotline["coordinator"].staff, reference=request.reference, text="first reply")
    old_details = bytes(request.details)
    keysets.keyset_revoke(key_set=request.key_set, ring=ring, staff_id=hotline["coordinator2"].staff.pk)
    request.refresh_from_db()
    assert bytes(request.details) != old_details
    assert not _ring(hotline["coordinator2"]).can_open(request.key_set)
    page, _box = open_box(client, code)
    assert "first reply" in page.content.decode()


def test_housekeeping_folds_hours_into_days_and_forgets_sessions(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, _ = submit(client)
    open_box(client, code)
    assert IntakeWindow.objects.filter(kind="submit").count() == 1
    assert MailboxSession.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        limits.windows_fold()
    assert not IntakeWindow.objects.exists()
    assert IntakeDay.objects.get(kind="submit").count == 1
    assert not MailboxSession.objects.exists()


def test_administrators_are_warned_when_no_coordinator_can_read_requests(make_staff: Any) -> None:
    admin = make_staff("administrator")
    page = _client(admin).get("/staff/").content.decode()
    assert "There is no active coordinator" in page
    make_staff("coordinator")
    assert "There is no active coordinator" not in _client(admin).get("/staff/").content.decode()


def test_request_page_names_a_same_contact_request_the_viewer_can_open(client: Client, hotline: dict) -> None:
    submit(client, phone="+7 912 345 67 89")
    submit(client, phone="+79123456789", name="Other")
    first, second = Request.objects.order_by("reference")
    _client(hotline["admin"]).get("/staff/")
    coordinator = _client(hotline["coordinator"])
    page = coordinator.get(f"/staff/intake/{first.reference}/").content.decode()
    assert "Same contact" not in page  # the other request was never opened, so it has no index yet
    coordinator.get(f"/staff/intake/{second.reference}/")
    page = coordinator.get(f"/staff/intake/{first.reference}/").content.decode()
    assert f"Same contact as {second.reference}" in page
    assert "Version" not in page  # hidden fields carry no label


def test_sharing_with_a_latecomer_and_caseworker_access(client: Client, make_staff: Any, hotline: dict) -> None:
    _response, code, _ = submit(client)
    request = Request.objects.get()
    latecomer = make_staff("coordinator")
    coordinator = _client(hotline["coordinator"])
    detail = coordinator.get(f"/staff/intake/{request.reference}/").content.decode()
    assert "Share with a colleague" in detail
    shared = coordinator.post(f"/staff/intake/{request.reference}/share/", {"colleague": latecomer.staff.pk})
    assert shared.status_code == 302
    assert _client(latecomer).get(f"/staff/intake/{request.reference}/").status_code == 200
    assert AuditEntry.objects.filter(action="intake.share").count() == 1
    # A caseworker sees only requests accepted for them, and cannot take triage decisions.
    caseworker = _client(hotline["caseworker"])
    assert caseworker.get(f"/staff/intake/{request.reference}/").status_code == 404
    coordinator.post(
        f"/staff/intake/{request.reference}/accept/",
        {"version": request.version, "caseworker": hotline["caseworker"].staff.pk},
    )
    page = caseworker.get(f"/staff/intake/{request.reference}/")
    assert page.status_code == 200
    assert "Accept into a case" not in page.content.decode()
    assert caseworker.post(f"/staff/intake/{request.reference}/reply/", {"text": "Timur here."}).status_code == 302
    assert "Timur here." in open_box(client, code)[0].content.decode()
    refused = caseworker.post(f"/staff/intake/{request.reference}/decline/", {"version": 3, "reason": "spam"})
    assert refused.status_code == 403


def test_new_activity_is_mailed_once_without_content_by_the_sweep(
    client: Client, hotline: dict, mailoutbox: Any
) -> None:
    from ferry.accounts.models import StaffAlert
    from ferry.accounts.tasks import alerts_email

    submit(client)
    submit(client, name="Again")
    alerts = StaffAlert.objects.filter(kind="new_request")
    assert alerts.count() == 2  # coalesced: one per coordinator, however many requests
    assert {a.created_at.time().isoformat() for a in alerts} == {"00:00:00"}
    assert mailoutbox == []  # nothing is sent from the person's request
    # The sweep mails it at the next period's moment (tests/accounts/test_activity_mail.py)
    from ferry.accounts.tasks import activity_mail_moment, period_hours

    with time_machine.travel(activity_mail_moment(timezone.now() + timedelta(hours=period_hours())), tick=False):
        alerts_email.call()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [hotline["coordinator"].staff.email, hotline["coordinator2"].staff.email]
    )
    for message in mailoutbox:
        assert message.subject == "New activity"
        assert "Artur" not in message.body
        assert Request.objects.first().reference not in message.body + message.subject
    alerts_email.call()
    assert len(mailoutbox) == 2


def test_bidirectional_controls_never_reach_a_staff_page(client: Client, hotline: dict, make_staff: Any) -> None:
    """A right-to-left override in a name would turn what staff read around (a file "cod.exe" shown as
    "exe.doc", a line of the queue reversed): neither what a person typed nor a colleague's name carries one."""
    rlo = "\u202e"
    submit(client, name=f"Art{rlo}ur", story=f"They took him{rlo} 8102 ni", needs=f"a room{chr(0x2066)}")
    colleague = make_staff("caseworker")
    colleague.staff.display_name = f"Rus{rlo}lan"
    colleague.staff.save(update_fields=["display_name"])
    request = Request.objects.get()
    coordinator = _client(hotline["coordinator"])
    pages = [
        coordinator.get("/staff/intake/").content.decode(),
        coordinator.get(f"/staff/intake/{request.reference}/").content.decode(),
    ]
    for page in pages:
        assert rlo not in page
        assert chr(0x2066) not in page
    assert "Artur" in pages[0]
    assert "Ruslan" in pages[1]  # in the list of colleagues to share with


# --- what the queue's filters show, where accepting leads, what declining asks (issue 16) ---------------


def _filter_links(page: str) -> dict[str, str]:
    """The queue's filters: their labels by the status each one shows (the current one is not a link)."""
    nav = re.search(r'<nav class="filters"[^>]*>(.*?)</nav>', page, re.S)
    assert nav is not None
    found = {}
    for value, label in re.findall(r'<a href="\?status=(\w+)">([^<]+)', nav.group(1)):
        found[value] = label.strip()
    current = re.search(r'<strong aria-current="page">([^<]+)', nav.group(1))
    assert current is not None
    found["current"] = current.group(1).strip()
    return found


def test_the_queue_opens_on_everything_waiting_and_each_filter_names_what_it_shows(
    client: Client, hotline: dict[str, Any]
) -> None:
    # Given two new requests and one the hotline has answered
    submit(client)
    submit(client, name="Bella")
    submit(client, name="Chris")
    first, second, third = Request.objects.order_by("reference")
    coordinator = _client(hotline["coordinator"])
    triage.request_reply(
        ring=_ring(hotline["coordinator"]), staff=hotline["coordinator"].staff, reference=third.reference, text="Hi"
    )
    # When the coordinator opens the queue
    page = coordinator.get("/staff/intake/").content.decode()
    # Then all three wait, new and in conversation alike, under a filter that says so
    assert all(r.reference in page for r in (first, second, third))
    links = _filter_links(page)
    assert links["current"].startswith("Waiting for us (new or in conversation)")
    assert [links[k].split(" ")[0] for k in ("new", "open", "accepted", "duplicate", "declined")] == [
        "New",
        "In",
        "Accepted",
        "Duplicate",
        "Declined",
    ]
    assert links["open"].startswith("In conversation")
    assert "Open" not in links.values()
    # And each filter shows what its name says
    new = coordinator.get("/staff/intake/?status=new").content.decode()
    assert first.reference in new
    assert second.reference in new
    assert third.reference not in new
    talking = coordinator.get("/staff/intake/?status=open").content.decode()
    assert third.reference in talking
    assert first.reference not in talking
    assert _filter_links(talking)["current"].startswith("In conversation")
    # And an unknown filter falls back to everything waiting
    assert _filter_links(coordinator.get("/staff/intake/?status=bogus").content.decode())["current"].startswith(
        "Waiting for us"
    )


def test_accepting_takes_the_coordinator_to_the_new_case(client: Client, hotline: dict[str, Any]) -> None:
    submit(client)
    request = Request.objects.get()
    coordinator = _client(hotline["coordinator"])
    answer = coordinator.post(
        f"/staff/intake/{request.reference}/accept/",
        {"version": request.version, "caseworker": hotline["caseworker"].staff.pk},
        follow=True,
    )
    assert answer.redirect_chain == [(f"/staff/cases/{request.reference}/", 302)]
    page = answer.content.decode()
    assert f"Case {request.reference}" in page
    assert "Accepted into a case. The caseworker can now open it." in page
    # The request's own page links to its case from now on
    detail = coordinator.get(f"/staff/intake/{request.reference}/").content.decode()
    assert f'href="/staff/cases/{request.reference}/"' in detail


def test_declining_has_no_default_reason_and_asks_for_a_confirmation_that_says_what_happens(
    client: Client, hotline: dict[str, Any]
) -> None:
    _response, code, _ = submit(client)
    request = Request.objects.get()
    coordinator = _client(hotline["coordinator"])
    url = f"/staff/intake/{request.reference}/decline/"
    # Given the request's page: no reason is chosen in advance, and the confirmation says what declining does
    page = coordinator.get(f"/staff/intake/{request.reference}/").content.decode()
    decline = re.search(rf'<form method="post" action="{url}".*?</form>', page, re.S)
    assert decline is not None
    form = decline.group(0)
    assert re.search(r'<option value="" selected>', form)
    assert "selected" not in form.replace('<option value="" selected>', "")
    assert 'name="confirm"' in form
    assert "required" in form
    assert "keep their mailbox" in form
    assert "can still write to us" in form
    # When the coordinator sends it with one click (no reason, no confirmation), or with a reason only
    for data in ({"version": request.version}, {"version": request.version, "reason": "spam"}):
        refused = coordinator.post(url, data)
        # Then it is refused and nothing changes
        assert refused.status_code == 400
        request.refresh_from_db()
        assert request.status == "new"
    # And confirmed with a reason, it is declined; the person's mailbox still opens and takes a message
    done = coordinator.post(url, {"version": request.version, "reason": "out_of_scope", "confirm": "on"}, follow=True)
    assert "The request was declined." in done.content.decode()
    request.refresh_from_db()
    assert (request.status, request.decline_reason) == ("declined", "out_of_scope")
    assert open_box(client, code)[1] is not None
    # And it has left the queue of requests waiting for us
    assert request.reference not in coordinator.get("/staff/intake/").content.decode()
    assert request.reference in coordinator.get("/staff/intake/?status=declined").content.decode()
