"""P2: an intercepted invitation becomes an account that receives nothing. New staff are pending until
administrators confirm in person that the key is theirs (a fingerprint read aloud); nothing is sealed to a
pending account; administrators are alerted when an invitation is accepted; a coordinator or administrator
needs two administrators, so one coerced administrator cannot make one alone."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ferry.accounts import invitations, services
from ferry.accounts.models import Staff, StaffAlert
from ferry.audit.models import AuditEntry
from ferry.core.errors import FerryError
from ferry.intake.models import Request
from ferry.vault import blind, keysets, staffkeys
from ferry.vault.keyring import KeyRing
from ferry.vault.keysets import NoStaffKey
from ferry.vault.models import Grant
from tests.accounts.helpers import login
from tests.cases.conftest import staff_client
from tests.conftest import TEST_PASSPHRASE
from tests.intake.helpers import submit

pytestmark = pytest.mark.django_db


def _accept_invitation(by: Any, email: str, role: str) -> Staff:
    """Whoever holds the link (the person, or whoever intercepted it) enrols through the same services."""
    issued = invitations.invitation_create(by=by.staff, email=email, roles=[role], accept_url_for=lambda t: f"/x/{t}/")
    staff, private = invitations.invitation_accept(token=issued.token, display_name="New", passphrase=TEST_PASSPHRASE)
    TOTPDevice.objects.create(user=staff, name="totp", confirmed=True)
    services.recovery_code_issue(staff=staff, ring=KeyRing(staff_id=staff.pk, private_key=private))
    services.staff_activate(staff=staff)
    return staff


def _sealed_to(staff: Staff) -> bool:
    return Grant.objects.filter(staff=staff).exists()


def test_a_new_coordinator_receives_nothing_until_two_administrators_confirm(client: Client, make_staff: Any) -> None:
    first, second = make_staff("administrator"), make_staff("administrator")
    coordinator = make_staff("coordinator")
    # Given an invitation accepted and enrolled (by whoever held the link)
    newcomer = _accept_invitation(first, "new.coordinator@example.org", "coordinator")
    # Then the administrators are told, and the account is pending
    assert set(StaffAlert.objects.filter(kind="staff_pending").values_list("recipient", flat=True)) == {
        first.staff.pk,
        second.staff.pk,
    }
    assert not staffkeys.staff_key_confirmed(staff_id=newcomer.pk)
    # And a request that arrives now is not sealed to it, nor can anyone grant it a key set
    submit(client)
    assert not _sealed_to(newcomer)
    request = Request.objects.get()
    coordinator_ring = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key)
    with pytest.raises(NoStaffKey):
        keysets.keyset_grant(key_set=request.key_set, ring=coordinator_ring, staff_id=newcomer.pk)
    # Its own dashboard shows the fingerprint to read aloud
    page = Client()
    assert (
        page.post("/staff/accounts/login/", {"email": newcomer.email, "passphrase": TEST_PASSPHRASE}).status_code == 302
    )
    fingerprint = staffkeys.fingerprint(staff_id=newcomer.pk)
    assert len(fingerprint.replace(" ", "")) == 20

    # When an administrator types a fingerprint that does not match, nothing is confirmed (and it is audited)
    admin_page = staff_client(first)
    refused = admin_page.post(
        f"/staff/accounts/staff/{newcomer.pk}/confirm/", {"fingerprint": "0000 0000"}, follow=True
    )
    assert "does not match" in refused.content.decode()
    assert AuditEntry.objects.filter(action="staff.confirm_mismatch", object_id=str(newcomer.pk)).exists()
    # One administrator is not enough for a coordinator
    admin_page.post(f"/staff/accounts/staff/{newcomer.pk}/confirm/", {"fingerprint": fingerprint.lower()})
    assert not staffkeys.staff_key_confirmed(staff_id=newcomer.pk)
    # and nobody confirms themselves
    with pytest.raises(FerryError):
        services.staff_confirm(by=newcomer, staff_id=newcomer.pk, fingerprint=fingerprint)
    # The second one makes it: from now on new requests are sealed to them
    staff_client(second).post(f"/staff/accounts/staff/{newcomer.pk}/confirm/", {"fingerprint": fingerprint})
    assert staffkeys.staff_key_confirmed(staff_id=newcomer.pk)
    submit(Client())
    assert _sealed_to(newcomer)


def test_a_caseworker_needs_one_confirmation_and_the_dashboard_says_so(make_staff: Any) -> None:
    admin = make_staff("administrator")
    newcomer = _accept_invitation(admin, "new.caseworker@example.org", "caseworker")
    browser = Client()
    secret = b32encode(TOTPDevice.objects.get(user=newcomer).bin_key).decode("ascii")
    login(browser, newcomer.email, TEST_PASSPHRASE, secret)
    dashboard = browser.get("/staff/").content.decode()
    assert "Your account waits to be confirmed" in dashboard
    assert staffkeys.fingerprint(staff_id=newcomer.pk) in dashboard
    assert services.staff_confirm(
        by=admin.staff, staff_id=newcomer.pk, fingerprint=staffkeys.fingerprint(staff_id=newcomer.pk)
    )
    assert "Your account waits to be confirmed" not in browser.get("/staff/").content.decode()


def test_a_coordinator_confirmed_by_the_first_administrator_gets_the_contact_index_key_at_once(
    make_staff: Any,
) -> None:
    # Given the first administrator (who holds the contact-index key) and a coordinator they invited
    admin = make_staff("administrator")
    newcomer = _accept_invitation(admin, "new.coordinator@example.org", "coordinator")
    index = blind.index_key_set()
    assert index is not None
    assert not Grant.objects.filter(key_set=index, staff=newcomer).exists()
    # When the administrator confirms them, without opening the dashboard afterwards
    fingerprint = staffkeys.fingerprint(staff_id=newcomer.pk)
    staff_client(admin).post(f"/staff/accounts/staff/{newcomer.pk}/confirm/", {"fingerprint": fingerprint})
    # Then the coordinator holds the key, and that is audited
    assert Grant.objects.filter(key_set=index, staff=newcomer).exists()
    assert AuditEntry.objects.filter(action="vault.index_grant", object_id=str(newcomer.pk)).exists()


def test_a_duress_login_pauses_what_is_sealed_to_the_person_until_confirmed_again(
    client: Client, make_staff: Any
) -> None:
    """A coerced coordinator must not receive every new request under their real key (a captor may force the
    real passphrase next): a duress login pauses sealing to them until administrators confirm them again."""
    first, second = make_staff("administrator"), make_staff("administrator")
    coerced = make_staff("coordinator")
    services.duress_set(staff=coerced.staff, current=TEST_PASSPHRASE, duress="plum orchard velvet staircase 88")
    # Given a duress login
    Client().post(
        "/staff/accounts/login/", {"email": coerced.staff.email, "passphrase": "plum orchard velvet staircase 88"}
    )
    # Then a request that arrives now is not sealed to them, and the administrators see them waiting
    submit(client)
    assert not _sealed_to(coerced.staff)
    assert coerced.staff.pk in [staff.pk for staff, _needed, _mine in services.staff_pending(by=first.staff)]
    # When two administrators confirm them again, in person, with the fingerprint from their security page
    fingerprint = staffkeys.fingerprint(staff_id=coerced.staff.pk)
    assert not services.staff_confirm(by=first.staff, staff_id=coerced.staff.pk, fingerprint=fingerprint)
    assert services.staff_confirm(by=second.staff, staff_id=coerced.staff.pk, fingerprint=fingerprint)
    # Then requests are sealed to them again
    submit(Client())
    assert _sealed_to(coerced.staff)


def test_deactivating_the_other_administrators_does_not_let_one_confirm_a_coordinator_alone(make_staff: Any) -> None:
    """A coerced administrator who deactivates the others still cannot make a coordinator alone."""
    first, second = make_staff("administrator"), make_staff("administrator")
    newcomer = _accept_invitation(first, "plant@example.org", "coordinator")
    services.staff_deactivate(by=first.staff, staff_id=second.staff.pk)
    assert not services.staff_confirm(
        by=first.staff, staff_id=newcomer.pk, fingerprint=staffkeys.fingerprint(staff_id=newcomer.pk)
    )
    assert not staffkeys.staff_key_sealable(staff_id=newcomer.pk)
