"""Property P3, duress: the duress passphrase opens an ordinary-looking empty session, destroys the account's
grants, ends its other sessions and alerts coordinators and administrators, and looks the same to a watcher."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from ferry.accounts import services
from ferry.accounts.models import StaffAlert, StaffSession
from ferry.audit.models import AuditEntry
from ferry.vault import crypto, keysets
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


def test_every_first_login_step_runs_the_same_derivations(
    make_staff: Any, settings: Any, crypto_work: list[tuple[object, ...]]
) -> None:
    """Real, duress and wrong passphrases, an account without a duress passphrase and an unknown account all
    run two derivations at the production cost. Counted, not timed, so load cannot break it; the wall-clock
    figures are in bench/bench_timing.py."""
    # Given accounts whose keys were wrapped at the production cost, one with a duress passphrase
    settings.FERRY_KDF_PROFILE = "moderate"
    with_duress = make_staff("caseworker")
    without = make_staff("caseworker")
    for member in (with_duress, without):
        services.passphrase_change(staff=member.staff, current=TEST_PASSPHRASE, new=TEST_PASSPHRASE)
    services.duress_set(staff=with_duress.staff, current=TEST_PASSPHRASE, duress=DURESS)
    attempts = {
        "real": (with_duress.staff.email, TEST_PASSPHRASE),
        "wrong": (with_duress.staff.email, "an entirely wrong passphrase"),
        "no duress set": (without.staff.email, TEST_PASSPHRASE),
        "unknown account": ("nobody@example.org", TEST_PASSPHRASE),
        "duress": (with_duress.staff.email, DURESS),  # last: it destroys the account's grants
    }
    # When each is tried at the first login step
    work = {}
    for name, (email, passphrase) in attempts.items():
        crypto_work.clear()
        Client().post("/staff/accounts/login/", {"email": email, "passphrase": passphrase})
        work[name] = tuple(crypto_work)
    # Then each ran the same two derivations with the same cost parameters
    production = crypto.kdf_params_new("moderate")
    step = ("derive_key", production.opslimit, production.memlimit, "default")
    assert work == dict.fromkeys(attempts, (step, step))


def test_recovery_and_login_run_the_same_derivations_whatever_the_account(
    make_staff: Any, settings: Any, crypto_work: list[tuple[object, ...]]
) -> None:
    """Account existence is not told by what runs: a recovery attempt for an unknown address derives as a wrong
    code for a real one does; and after the configured profile changed (a lighter one, say), a login for an
    unknown account still derives at the cost the accounts' keys were wrapped at."""
    # Given an account whose keys were wrapped at the production cost, then a lighter profile configured
    settings.FERRY_KDF_PROFILE = "moderate"
    member = make_staff("caseworker")
    services.passphrase_change(staff=member.staff, current=TEST_PASSPHRASE, new=TEST_PASSPHRASE)
    services.recovery_code_renew(staff=member.staff, current=TEST_PASSPHRASE)
    settings.FERRY_KDF_PROFILE = "interactive"
    work = {}
    for name, email in (("real", member.staff.email), ("unknown", "nobody@example.org")):
        crypto_work.clear()
        Client().post(
            "/staff/accounts/recover/",
            {
                "email": email,
                "recovery_code": "AAAAA-BBBBB",
                "passphrase": "a new passphrase 4 me",
                "confirm": "a new passphrase 4 me",
            },
        )
        work[f"recover {name}"] = tuple(crypto_work)
        crypto_work.clear()
        Client().post("/staff/accounts/login/", {"email": email, "passphrase": "not the passphrase at all"})
        work[f"login {name}"] = tuple(crypto_work)
    moderate = crypto.kdf_params_new("moderate")
    step = ("derive_key", moderate.opslimit, moderate.memlimit, "default")
    assert work == {
        "recover real": (step,),
        "recover unknown": (step,),
        "login real": (step, step),
        "login unknown": (step, step),
    }
