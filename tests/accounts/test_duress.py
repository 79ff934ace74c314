"""Property P3, duress: the duress passphrase opens an ordinary-looking empty session, destroys the account's
grants, ends its other sessions and alerts coordinators and administrators, and looks the same to a watcher."""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

import pytest
from django.test import Client

from ferry.accounts import services
from ferry.accounts.models import StaffAlert, StaffSession
from ferry.audit.models import AuditEntry
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing, NoGrant
from ferry.vault.models import Grant
from tests.accounts.helpers import code_for, login, next_window
from tests.conftest import TEST_PASSPHRASE

pytestmark = pytest.mark.django_db(transaction=True)
DURESS = "plum orchard velvet staircase 88"


def _shape(response: Any) -> tuple[int, str, list[str]]:
    """What a watcher sees of the first login step: status, where it leads, which cookies it sets."""
    return response.status_code, response.get("Location", ""), sorted(response.cookies.keys())


def test_duress_login_looks_ordinary_and_sets_everything_off(make_staff: Any) -> None:
    admin = make_staff("administrator")
    coordinator = make_staff("coordinator")
    member = make_staff("caseworker")
    services.duress_set(staff=member.staff, current=TEST_PASSPHRASE, duress=DURESS)
    key_set, _key = keysets.keyset_create(purpose="case", grant_to=[member.staff.pk])
    elsewhere = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)

    normal_first = Client().post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE})
    coerced = Client()
    duress_first = coerced.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": DURESS})
    assert _shape(duress_first) == _shape(normal_first)

    # The grants are gone (escrow still holds the case), other sessions ended, alerts raised.
    assert not Grant.objects.filter(staff=member.staff).exists()
    assert Grant.objects.filter(key_set=key_set, escrow__isnull=False).exists()
    assert elsewhere.get("/staff/").status_code == 302
    alerted = set(
        StaffAlert.objects.filter(kind="duress", about_staff=member.staff).values_list("recipient", flat=True)
    )
    assert alerted == {admin.staff.pk, coordinator.staff.pk}
    assert AuditEntry.objects.filter(action="staff.duress", object_id=str(member.staff.pk)).exists()

    # The coerced person completes the code step and sees an ordinary dashboard.
    with next_window():
        second = coerced.post("/staff/accounts/login/code/", {"code": code_for(member.totp_secret)})
    assert second.status_code == 302
    page = coerced.get("/staff/")
    assert page.status_code == 200
    colleague = make_staff("caseworker")
    ordinary = login(Client(), colleague.staff.email, TEST_PASSPHRASE, colleague.totp_secret).get("/staff/")
    assert re.sub(r"<main.*</main>", "", page.content.decode(), flags=re.S).count("<a ") == re.sub(
        r"<main.*</main>", "", ordinary.content.decode(), flags=re.S
    ).count("<a ")
    assert "duress" not in page.content.decode().lower()
    # Its session holds a key that opens nothing.
    row = StaffSession.objects.get(staff=member.staff, duress=True)
    assert row.second_factor_done
    with pytest.raises(NoGrant):
        KeyRing(staff_id=member.staff.pk, private_key=b"\0" * 32).key_for(key_set)


@pytest.mark.slow
def test_duress_and_real_logins_take_the_same_time(make_staff: Any, settings: Any) -> None:
    member = make_staff("caseworker")
    services.duress_set(staff=member.staff, current=TEST_PASSPHRASE, duress=DURESS)
    # The production key-derivation cost: the time is dominated by it, as in production.
    settings.FERRY_KDF_PROFILE = "moderate"
    services.passphrase_change(staff=member.staff, current=TEST_PASSPHRASE, new=TEST_PASSPHRASE)
    services.duress_set(staff=member.staff, current=TEST_PASSPHRASE, duress=DURESS)

    def timed(passphrase: str) -> float:
        start = time.perf_counter()
        Client().post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": passphrase})
        return time.perf_counter() - start

    real, duress, wrong = [], [], []
    for _ in range(5):
        real.append(timed(TEST_PASSPHRASE))
        duress.append(timed(DURESS))
        wrong.append(timed("an entirely wrong passphrase"))
    median_real = statistics.median(real)
    for other in (statistics.median(duress), statistics.median(wrong)):
        assert abs(other - median_real) / median_real < 0.25, (real, duress, wrong)


def test_account_without_duress_passphrase_does_the_same_work(make_staff: Any, monkeypatch: Any) -> None:
    from ferry.vault import crypto

    with_duress = make_staff("caseworker")
    without = make_staff("caseworker")
    services.duress_set(staff=with_duress.staff, current=TEST_PASSPHRASE, duress=DURESS)
    calls: list[int] = []
    real_derive = crypto.derive_key
    monkeypatch.setattr(crypto, "derive_key", lambda *a, **k: calls.append(1) or real_derive(*a, **k))
    for member in (with_duress, without):
        Client().post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE})
    Client().post("/staff/accounts/login/", {"email": "nobody@example.org", "passphrase": TEST_PASSPHRASE})
    assert calls == [1] * 6  # two derivations each: real, no duress set, unknown account
