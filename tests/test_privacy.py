"""No personal data in logs or audit entries: drive the account flows and read everything that was written."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from ferry.accounts import services
from ferry.audit.models import AuditEntry
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE

pytestmark = pytest.mark.django_db(transaction=True)


def test_logs_and_audit_hold_no_personal_data(make_staff: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    admin = make_staff("administrator", email="olga.ivanova@example.org")
    member = make_staff("caseworker", email="ruslan.k@example.org")
    services.duress_set(staff=member.staff, current=TEST_PASSPHRASE, duress="plum orchard velvet staircase 88")
    client = Client(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Mozilla/5.0 CanaryAgent/1.0")
    client.post(
        "/staff/accounts/login/", {"email": member.staff.email, "passphrase": "plum orchard velvet staircase 88"}
    )
    for _ in range(6):
        client.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": "a wrong passphrase here"})
    client.post("/staff/accounts/login/", {"email": "unknown.person@example.org", "passphrase": "whatever it is"})
    client.post("/staff/accounts/login/code/", {"code": "123456"})
    client.get("/staff/accounts/invitation/forged-token/")
    client.post(
        "/staff/accounts/recover/",
        {"email": member.staff.email, "recovery_code": "X", "passphrase": "p", "confirm": "p"},
    )
    admin_client = login(Client(), admin.staff.email, TEST_PASSPHRASE, admin.totp_secret)
    admin_client.post("/staff/accounts/staff/", {"email": "new.person@example.org", "roles": ["caseworker"]})
    admin_client.get("/staff/accounts/nothing-here/")

    written = caplog.text + "\n".join(
        " ".join(str(v) for v in row)
        for row in AuditEntry.objects.values_list("actor_id", "action", "object_type", "object_id")
    )
    assert AuditEntry.objects.filter(action="staff.duress").exists()
    assert AuditEntry.objects.filter(action="staff.lockout").exists()
    for secret in (
        "olga.ivanova",
        "ruslan.k",
        "unknown.person",
        "new.person",
        TEST_PASSPHRASE,
        "a wrong passphrase",
        "plum orchard",
        "203.0.113.77",
        "CanaryAgent",
    ):
        assert secret not in written
    # The alert e-mails say nothing but "new activity".
    alerts = [m for m in mail.outbox if m.subject == "New activity"]
    assert alerts
    for message in alerts:
        assert "ruslan" not in message.body
        assert "duress" not in (message.subject + message.body).lower()
