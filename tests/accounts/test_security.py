"""A staff member's security: passphrase change and recovery re-wrap the same key; duress set and removed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ferry.accounts import services
from ferry.accounts.models import Invitation, StaffSession
from ferry.audit.models import AuditEntry
from ferry.vault import keysets, staffkeys
from ferry.vault.errors import WrongSecret
from ferry.vault.keyring import KeyRing
from ferry.vault.models import StaffKey
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE

pytestmark = pytest.mark.django_db(transaction=True)
NEW = "amber lighthouse quiet meadow 2024"


def test_passphrase_change_keeps_the_key_pair_and_grants(make_staff: Any) -> None:
    make_staff("administrator")
    member = make_staff("caseworker")
    key_set, _key = keysets.keyset_create(purpose="case", grant_to=[member.staff.pk])
    public_before = bytes(StaffKey.objects.get(staff=member.staff).public_key)
    client = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    wrong = client.post(
        "/staff/accounts/security/passphrase/",
        {"change-current": "not my passphrase", "change-passphrase": NEW, "change-confirm": NEW},
    )
    assert "current passphrase is not right" in wrong.content.decode()
    ok = client.post(
        "/staff/accounts/security/passphrase/",
        {"change-current": TEST_PASSPHRASE, "change-passphrase": NEW, "change-confirm": NEW},
    )
    assert ok.status_code == 302
    with pytest.raises(WrongSecret):
        staffkeys.staff_key_unlock(staff_id=member.staff.pk, passphrase=TEST_PASSPHRASE)
    private = staffkeys.staff_key_unlock(staff_id=member.staff.pk, passphrase=NEW)
    assert private == member.private_key
    assert bytes(StaffKey.objects.get(staff=member.staff).public_key) == public_before
    assert KeyRing(staff_id=member.staff.pk, private_key=private).can_open(key_set)


def test_recovery_code_resets_the_passphrase_once(make_staff: Any) -> None:
    make_staff("administrator")
    member = make_staff("caseworker")
    key_set, _key = keysets.keyset_create(purpose="case", grant_to=[member.staff.pk])
    signed_in = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    form = {
        "email": member.staff.email,
        "recovery_code": "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF",
        "passphrase": NEW,
        "confirm": NEW,
    }
    refused = Client().post("/staff/accounts/recover/", form)
    assert "recovery code is not right" in refused.content.decode()
    staffkeys.staff_key_unlock(staff_id=member.staff.pk, passphrase=TEST_PASSPHRASE)  # unchanged

    code = member.recovery_code.lower().replace("-", " ")  # typed loosely from paper
    done = Client().post("/staff/accounts/recover/", {**form, "recovery_code": code})
    assert done.status_code == 200
    assert "recovery-code" in done.content.decode()
    private = staffkeys.staff_key_unlock(staff_id=member.staff.pk, passphrase=NEW)
    assert private == member.private_key
    assert KeyRing(staff_id=member.staff.pk, private_key=private).can_open(key_set)
    # Every old session ended; the old recovery code no longer works.
    assert signed_in.get("/staff/").status_code == 302
    assert not StaffSession.objects.filter(staff=member.staff).exists()
    again = Client().post("/staff/accounts/recover/", {**form, "recovery_code": member.recovery_code})
    assert "recovery code is not right" in again.content.decode()


def test_duress_passphrase_set_and_removed_through_the_page(make_staff: Any) -> None:
    member = make_staff("caseworker")
    client = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    same = client.post(
        "/staff/accounts/security/duress/",
        {"duress-current": TEST_PASSPHRASE, "duress-passphrase": TEST_PASSPHRASE, "duress-confirm": TEST_PASSPHRASE},
    )
    assert "must differ" in same.content.decode()
    assert StaffKey.objects.get(staff=member.staff).duress_check is None
    client.post(
        "/staff/accounts/security/duress/",
        {"duress-current": TEST_PASSPHRASE, "duress-passphrase": NEW, "duress-confirm": NEW},
    )
    assert StaffKey.objects.get(staff=member.staff).duress_check is not None
    assert staffkeys.staff_key_check_login(staff_id=member.staff.pk, passphrase=NEW) == (None, True)
    client.post("/staff/accounts/security/duress/remove/", {"clear-current": TEST_PASSPHRASE})
    assert StaffKey.objects.get(staff=member.staff).duress_check is None


def test_new_recovery_code_replaces_the_old(make_staff: Any) -> None:
    member = make_staff("caseworker")
    code = services.recovery_code_renew(staff=member.staff, current=TEST_PASSPHRASE)
    assert code != member.recovery_code
    with pytest.raises(WrongSecret):
        staffkeys.staff_key_recover(staff_id=member.staff.pk, recovery_code=member.recovery_code, new_passphrase=NEW)
    private, _new_code = staffkeys.staff_key_recover(staff_id=member.staff.pk, recovery_code=code, new_passphrase=NEW)
    assert private == member.private_key


# --- the time zone every time is shown in -------------------------------------------------------------


def test_a_staff_member_chooses_their_time_zone_and_times_follow_it(make_staff: Any) -> None:
    # Given an administrator (UTC until they choose) and an invitation valid until 14:34 UTC
    admin = make_staff("administrator")
    Invitation.objects.create(
        token_hash="0" * 64,
        email="new@example.org",
        roles=["caseworker"],
        invited_by=admin.staff,
        created_at=timezone.now(),
        expires_at=timezone.now().replace(hour=14, minute=34) + timedelta(days=2),
    )
    client = login(Client(), admin.staff.email, TEST_PASSPHRASE, admin.totp_secret)
    assert '<option value="UTC" selected>' in client.get("/staff/accounts/security/").content.decode()
    assert "14:34" in client.get("/staff/accounts/staff/").content.decode()
    # When they choose Moscow on their Security page
    answer = client.post("/staff/accounts/security/time-zone/", {"zone-time_zone": "Europe/Moscow"}, follow=True)
    # Then it is saved and audited, and every time on their pages is Moscow's
    assert "Your time zone was saved." in answer.content.decode()
    assert '<option value="Europe/Moscow" selected>Moscow</option>' in answer.content.decode()
    admin.staff.refresh_from_db()
    assert admin.staff.time_zone == "Europe/Moscow"
    assert AuditEntry.objects.filter(action="staff.time_zone_set", actor_id=admin.staff.pk).exists()
    assert "17:34" in client.get("/staff/accounts/staff/").content.decode()


def test_a_time_zone_not_on_the_list_is_refused(make_staff: Any) -> None:
    member = make_staff("caseworker")
    client = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    for name in ("Mars/Olympus_Mons", "posix/Europe/Moscow", "../../etc/passwd", ""):
        page = client.post("/staff/accounts/security/time-zone/", {"zone-time_zone": name})
        assert page.status_code == 200
        assert "Select a valid choice" in page.content.decode() or "This field is required" in page.content.decode()
    member.staff.refresh_from_db()
    assert member.staff.time_zone == "UTC"
    with pytest.raises(services.AccountError):
        services.staff_time_zone_set(staff=member.staff, time_zone="Mars/Olympus_Mons")
