"""Administrators: escrow split and recovery ceremonies through the pages, deactivation, and createstaff."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client

from ferry.accounts import services
from ferry.accounts.models import Staff
from ferry.audit.models import AuditEntry
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing
from ferry.vault.models import EscrowKey, Grant
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE

pytestmark = pytest.mark.django_db(transaction=True)


def test_departed_caseworker_cases_recovered_with_k_of_n_shares(make_staff: Any) -> None:
    admin = make_staff("administrator")
    leaver = make_staff("caseworker")
    newcomer = make_staff("caseworker")
    key_set, _key = keysets.keyset_create(purpose="case", grant_to=[leaver.staff.pk])
    client = login(Client(), admin.staff.email, TEST_PASSPHRASE, admin.totp_secret)

    # The split ceremony: shares shown once, nothing of the key left on the server.
    page = client.post("/staff/accounts/escrow/", {"threshold": 2, "shares": 3})
    shares = re.findall(r'data-testid="escrow-share">([^<]+)<', page.content.decode())
    assert len(shares) == 3
    assert EscrowKey.objects.get().custody_wrap is None

    # The caseworker leaves: their grants go, the key set is orphaned.
    client.post(f"/staff/accounts/staff/{leaver.staff.pk}/deactivate/")
    assert not Grant.objects.filter(staff=leaver.staff).exists()
    form = client.get("/staff/accounts/escrow/recover/").content.decode()
    assert f'value="{key_set.pk}"' in form
    assert 'name="share_1"' in form
    assert 'name="share_2"' in form
    assert 'name="share_3"' not in form

    # One share and a wrong one: refused, nothing granted.
    bad = client.post(
        "/staff/accounts/escrow/recover/",
        {"key_sets": [key_set.pk], "to_staff": newcomer.staff.pk, "share_1": shares[0], "share_2": shares[0]},
    )
    assert "do not recover the escrow key" in bad.content.decode()
    assert not Grant.objects.filter(staff=newcomer.staff).exists()

    done = client.post(
        "/staff/accounts/escrow/recover/",
        {"key_sets": [key_set.pk], "to_staff": newcomer.staff.pk, "share_1": shares[2], "share_2": shares[0]},
    )
    assert done.status_code == 302
    assert KeyRing(staff_id=newcomer.staff.pk, private_key=newcomer.private_key).can_open(key_set)
    assert AuditEntry.objects.filter(
        action="escrow.recover", object_id=str(key_set.pk), actor_id=admin.staff.pk
    ).exists()
    assert AuditEntry.objects.filter(action="escrow.split").exists()


def test_escrow_pages_are_for_administrators_only(make_staff: Any) -> None:
    make_staff("administrator")
    coordinator = make_staff("coordinator")
    client = login(Client(), coordinator.staff.email, TEST_PASSPHRASE, coordinator.totp_secret)
    assert client.get("/staff/accounts/escrow/").status_code == 403
    assert client.post("/staff/accounts/escrow/", {"threshold": 2, "shares": 3}).status_code == 403
    assert client.get("/staff/accounts/escrow/recover/").status_code == 403
    assert EscrowKey.objects.get().custody_wrap is not None


def test_createstaff_prints_secrets_as_json(subprocess_env: dict[str, str]) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "createstaff",
            "--email",
            "ops@example.org",
            "--role",
            "administrator",
            "--role",
            "auditor",
        ],
        input=f"{TEST_PASSPHRASE}\n",
        capture_output=True,
        text=True,
        env=subprocess_env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["roles"] == ["administrator", "auditor"]
    assert re.fullmatch(r"[A-Z2-7]{32}", out["totp_secret"])
    assert re.fullmatch(r"([A-Z2-9]{5}-){5}[A-Z2-9]{5}", out["recovery_code"])
    staff = Staff.objects.get(email="ops@example.org")
    assert staff.role_set() == {"administrator", "auditor"}
    assert EscrowKey.objects.filter(custodian=staff).exists()
    login(Client(), "ops@example.org", TEST_PASSPHRASE, out["totp_secret"])

    weak = subprocess.run(
        [sys.executable, "manage.py", "createstaff", "--email", "b@example.org", "--role", "caseworker"],
        input="password\n",
        capture_output=True,
        text=True,
        env=subprocess_env,
        check=False,
        timeout=60,
    )
    assert weak.returncode != 0
    assert "Traceback" not in weak.stderr
    assert not Staff.objects.filter(email="b@example.org").exists()


def test_ceremony_commands_split_and_recover(make_staff: Any, subprocess_env: dict[str, str]) -> None:
    admin = make_staff("administrator")
    leaver = make_staff("caseworker")
    newcomer = make_staff("caseworker")
    key_set, _key = keysets.keyset_create(purpose="case", grant_to=[leaver.staff.pk])
    held, _key = keysets.keyset_create(purpose="case", grant_to=[newcomer.staff.pk])

    def manage(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=subprocess_env,
            check=False,
            timeout=60,
        )

    wrong = manage("escrow_split", "--email", admin.staff.email, "--threshold", "2", "--shares", "3", stdin="nope\n")
    assert wrong.returncode != 0
    assert "passphrase is not right" in wrong.stderr
    split = manage(
        "escrow_split", "--email", admin.staff.email, "--threshold", "2", "--shares", "3", stdin=TEST_PASSPHRASE + "\n"
    )
    assert split.returncode == 0, split.stderr
    shares = json.loads(split.stdout)["shares"]
    assert len(shares) == 3

    services.staff_deactivate(by=admin.staff, staff_id=leaver.staff.pk)
    args = ("escrow_recover", "--key-set", str(key_set.pk), "--to", newcomer.staff.email, "--by", admin.staff.email)
    not_admin = manage(*args, stdin=f"wrong passphrase\n{shares[1]}\n{shares[2]}\n")
    assert "passphrase of --by is not right" in not_admin.stderr
    still_held = manage(
        "escrow_recover",
        "--key-set",
        str(held.pk),
        "--to",
        admin.staff.email,
        "--by",
        admin.staff.email,
        stdin=f"{TEST_PASSPHRASE}\n{shares[1]}\n{shares[2]}\n",
    )
    assert still_held.returncode != 0
    assert not KeyRing(staff_id=admin.staff.pk, private_key=admin.private_key).can_open(held)
    too_few = manage(*args, stdin=f"{TEST_PASSPHRASE}\n{shares[1]}\n")
    assert too_few.returncode != 0
    assert "Traceback" not in too_few.stderr
    assert not KeyRing(staff_id=newcomer.staff.pk, private_key=newcomer.private_key).can_open(key_set)
    done = manage(*args, stdin=f"{TEST_PASSPHRASE}\n{shares[1]}\n{shares[2]}\n")
    assert done.returncode == 0, done.stderr
    assert KeyRing(staff_id=newcomer.staff.pk, private_key=newcomer.private_key).can_open(key_set)
