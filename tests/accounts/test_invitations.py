"""Invitations: an administrator invites, the e-mail says nothing of the purpose, the link works once for 72 hours."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from ferry.accounts.models import Invitation, Staff
from tests.accounts.helpers import code_for, login, next_window
from tests.conftest import TEST_PASSPHRASE

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSPHRASE = "amber lighthouse quiet meadow 2024"


def _invite(admin: Any, email: str = "new@example.org", roles: tuple[str, ...] = ("caseworker",)) -> str:
    client = login(Client(), admin.staff.email, TEST_PASSPHRASE, admin.totp_secret)
    response = client.post("/staff/accounts/staff/", {"email": email, "roles": list(roles)})
    assert response.status_code == 302
    body = mail.outbox[-1].body
    match = re.search(r"http://testserver(/staff/accounts/invitation/[\w-]+/)", body)
    assert match, body
    return match.group(1)


def test_invited_caseworker_enrols_and_signs_in(make_staff: Any) -> None:
    admin = make_staff("administrator")
    link = _invite(admin)
    message = mail.outbox[-1]
    assert message.to == ["new@example.org"]
    for word in ("lgbt", "asylum", "evacuat", "persecut", "rescue", "case"):
        assert word not in (message.subject + message.body).lower()

    client = Client()
    page = client.get(link)
    assert "new@example.org" in page.content.decode()
    response = client.post(link, {"display_name": "Lev", "passphrase": NEW_PASSPHRASE, "confirm": NEW_PASSPHRASE})
    assert response["Location"] == "/staff/accounts/enrol/authenticator/"
    page = client.get("/staff/accounts/enrol/authenticator/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    with next_window():
        assert client.post("/staff/accounts/enrol/authenticator/", {"code": code_for(secret)}).status_code == 302
    page = client.get("/staff/accounts/enrol/recovery-code/")
    assert "recovery-code" in page.content.decode()
    final = client.post("/staff/accounts/enrol/recovery-code/", {"saved": "on"})
    assert final["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200

    lev = Staff.objects.get(email="new@example.org")
    assert lev.is_active
    assert lev.role_set() == {"caseworker"}
    # The link worked once.
    assert Client().get(link).status_code == 404
    login(Client(), "new@example.org", NEW_PASSPHRASE, secret)


def test_invitation_expires_after_72_hours(make_staff: Any) -> None:
    admin = make_staff("administrator")
    link = _invite(admin)
    created = Invitation.objects.get().created_at
    with time_machine.travel(created + timedelta(hours=71)):
        assert Client().get(link).status_code == 200
    with time_machine.travel(created + timedelta(hours=72, minutes=1)):
        assert Client().get(link).status_code == 404
        done = Client().post(link, {"display_name": "", "passphrase": NEW_PASSPHRASE, "confirm": NEW_PASSPHRASE})
        assert done.status_code == 404
    assert not Staff.objects.filter(email="new@example.org").exists()


def test_only_administrators_invite(make_staff: Any) -> None:
    coordinator = make_staff("coordinator")
    client = login(Client(), coordinator.staff.email, TEST_PASSPHRASE, coordinator.totp_secret)
    assert client.get("/staff/accounts/staff/").status_code == 403
    assert client.post("/staff/accounts/staff/", {"email": "x@example.org", "roles": ["caseworker"]}).status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_weak_passphrase_is_refused_and_nothing_is_created(make_staff: Any) -> None:
    admin = make_staff("administrator")
    link = _invite(admin)
    response = Client().post(link, {"display_name": "", "passphrase": "password1234", "confirm": "password1234"})
    assert response.status_code == 200
    assert "too easy to guess" in response.content.decode()
    assert not Staff.objects.filter(email="new@example.org").exists()
    assert Invitation.objects.get().accepted_at is None


def test_forged_or_reused_link_is_plainly_refused(make_staff: Any) -> None:
    with time_machine.travel(datetime.now(UTC)):
        assert Client().get("/staff/accounts/invitation/not-a-real-token/?lang=ru").status_code == 404
