"""A caseworker who is gone does not take the case with them: the escrow ceremony gives it to a new one."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ferry.accounts import ceremony
from ferry.accounts import services as account_services
from ferry.cases import selectors
from ferry.cases.models import Assignment, Case
from ferry.intake import submission as intake_submission
from ferry.intake import triage
from ferry.intake.models import Request
from ferry.vault.keyring import KeyRing
from tests.cases.conftest import staff_client
from tests.intake.helpers import open_box

pytestmark = pytest.mark.django_db


def test_escrow_recovery_hands_an_orphaned_case_to_a_new_caseworker(make_staff: Any) -> None:
    admin = make_staff("administrator")  # the escrow custodian until a split
    coordinator = make_staff("coordinator")
    gone = make_staff("caseworker")
    receipt = intake_submission.submission_create(
        data=intake_submission.Submission(
            **dict.fromkeys(("phone", "handle", "email", "country", "region", "place", "needs"), ""),
            name="Artur",
            story="They took my passport.",
            urgency="soon",
        ),
        uploads=[],
        want_duress=False,
        nonce="handover",
    )
    request = Request.objects.get()
    coordinator_ring = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key)
    triage.request_accept(
        ring=coordinator_ring,
        staff=coordinator.staff,
        reference=request.reference,
        version=1,
        caseworker_id=gone.staff.pk,
    )
    case = Case.objects.get()
    # Everyone who could open it is gone (left, arrested): the case is orphaned, not lost.
    for person in (gone, coordinator):
        account_services.staff_deactivate(by=admin.staff, staff_id=person.staff.pk)
    newcomer = make_staff("caseworker")
    assert not KeyRing(staff_id=newcomer.staff.pk, private_key=newcomer.private_key).can_open(case.key_set)

    recovered = ceremony.escrow_recover(
        by=admin.staff,
        ring=KeyRing(staff_id=admin.staff.pk, private_key=admin.private_key),
        key_set_ids=[case.key_set_id],
        to_staff_id=newcomer.staff.pk,
        share_codes=[],
    )
    # The case's own key set was chosen; its conversation with the person comes with it
    assert recovered == 2
    assert Assignment.objects.filter(case=case, staff=newcomer.staff).exists()
    ring = KeyRing(staff_id=newcomer.staff.pk, private_key=newcomer.private_key)
    rows = selectors.my_cases(ring=ring, staff=newcomer.staff, filters=selectors.Filters())
    assert [r.case.reference for r in rows] == [case.reference]
    assert rows[0].name == "Artur"
    page = staff_client(newcomer).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "They took my passport." in page
    # The new caseworker writes to the person, who reads it with their code: nothing of the case was lost
    written = staff_client(newcomer).post(f"/staff/cases/{case.reference}/message/", {"text": "I carry your case now."})
    assert written.status_code == 302
    page, _box = open_box(Client(), receipt.code)
    assert "I carry your case now." in page.content.decode()
