"""Sessions that are over are purged by the worker; public pages never touch staff sessions; settings are checked."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from ferry.accounts import services
from ferry.accounts.models import StaffSession
from ferry.accounts.tasks import sessions_purge
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_purges_sessions_whose_browser_never_came_back(make_staff: Any) -> None:
    member = make_staff("caseworker")
    login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    row = StaffSession.objects.get(staff=member.staff)
    with time_machine.travel(row.last_seen_at + timedelta(minutes=29)):
        sessions_purge.call()
        assert StaffSession.objects.filter(pk=row.pk).exists()
    with time_machine.travel(row.last_seen_at + timedelta(minutes=31)):
        sessions_purge.call()
        assert not StaffSession.objects.filter(pk=row.pk).exists()


def test_public_pages_leave_the_staff_session_alone(make_staff: Any) -> None:
    member = make_staff("caseworker")
    client = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    assert client.cookies["ferry_session"]["path"] == "/staff/"
    assert client.get("/healthz").status_code in {200, 503}
    assert client.get("/staff/").status_code == 200
    csrf = client.cookies["csrftoken"]
    assert not csrf["max-age"]
    assert not csrf["expires"]


def test_duress_session_security_page_looks_like_no_duress_is_set(make_staff: Any) -> None:
    member = make_staff("caseworker")
    duress = "plum orchard velvet staircase 88"
    services.duress_set(staff=member.staff, current=TEST_PASSPHRASE, duress=duress)
    real = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    assert "A duress passphrase is set." in real.get("/staff/accounts/security/").content.decode()
    coerced = login(Client(), member.staff.email, duress, member.totp_secret)
    page = coerced.get("/staff/accounts/security/").content.decode()
    assert "No duress passphrase is set." in page
    # The duress passphrase "works" as the current one, and changes nothing.
    new = "amber lighthouse quiet meadow 2024"
    done = coerced.post(
        "/staff/accounts/security/passphrase/",
        {"change-current": duress, "change-passphrase": new, "change-confirm": new},
    )
    assert done.status_code == 302
    renewed = coerced.post("/staff/accounts/security/recovery-code/", {"recovery-current": duress})
    assert 'data-testid="recovery-code"' in renewed.content.decode()
    login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)  # the real passphrase still works


def test_custodian_cannot_be_deactivated_before_the_split(make_staff: Any) -> None:
    admin = make_staff("administrator")
    other = make_staff("administrator")
    with pytest.raises(services.AccountError):
        services.staff_deactivate(by=other.staff, staff_id=admin.staff.pk)
    admin.staff.refresh_from_db()
    assert admin.staff.is_active


def test_test_only_kdf_profile_is_refused_without_its_guard(tmp_path: Any) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-m", "ferry.launch"],
        env={
            "PATH": "/usr/bin:/bin",
            "FERRY_DATA_DIR": str(tmp_path),
            "FERRY_KDF_PROFILE": "insecure-fast-test",
            "PORT": str(port),
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert "FERRY_KDF_PROFILE must be one of" in done.stderr
