"""A staff member's security: passphrase change and recovery re-wrap the same key; duress set and removed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ferry.accounts import services
from ferry.accounts.models import StaffSession
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
