"""Invitations: an administrator invites, the e-mail says nothing of the purpose, the link works once for 72 hours."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client

from ferry.accounts.models import Invitation, Staff
from ferry.audit.models import AuditEntry
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


# --- where the link goes, and what an administrator can do with an open invitation ---------------------

CONSOLE = "django.core.mail.backends.console.EmailBackend"
LINK_RE = re.compile(r'data-testid="invitation-link">http://testserver(/staff/accounts/invitation/[\w-]+/)<')


class RefusingBackend(BaseEmailBackend):
    """A mail server that cannot be reached."""

    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("no mail server here")


def _admin_client(admin: Any) -> Client:
    return login(Client(), admin.staff.email, TEST_PASSPHRASE, admin.totp_secret)


def test_without_mail_the_link_is_shown_once_and_nothing_is_sent(
    make_staff: Any, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a server with no mail set up
    settings.EMAIL_BACKEND = CONSOLE
    client = _admin_client(make_staff("administrator"))
    assert "This server does not send e-mail" in client.get("/staff/accounts/staff/").content.decode()
    # When an administrator invites someone
    page = client.post("/staff/accounts/staff/", {"email": "new@example.org", "roles": ["caseworker"]})
    # Then the page says plainly that no e-mail was sent, and shows the link, which works
    body = page.content.decode()
    assert page.status_code == 200
    assert "No e-mail was sent: this server is not set up to send mail." in body
    assert "The invitation was sent" not in body
    link = LINK_RE.search(body).group(1)  # type: ignore[union-attr]
    assert Client().get(link).status_code == 200
    # And the link is printed nowhere (not in the server's output) and never shown again
    assert link.split("/")[-2] not in capsys.readouterr().out
    assert mail.outbox == []
    again = client.get("/staff/accounts/staff/").content.decode()
    assert link not in again
    assert "new@example.org" in again  # listed among the open invitations


def test_with_mail_the_page_says_the_link_was_e_mailed(make_staff: Any) -> None:
    client = _admin_client(make_staff("administrator"))
    answer = client.post("/staff/accounts/staff/", {"email": "new@example.org", "roles": ["caseworker"]}, follow=True)
    body = answer.content.decode()
    assert "The invitation was e-mailed. Its link works once, within 72 hours." in body
    assert "invitation-link" not in body
    assert len(mail.outbox) == 1


def test_when_the_mail_server_fails_the_link_is_shown_instead(make_staff: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    client = _admin_client(make_staff("administrator"))
    page = client.post("/staff/accounts/staff/", {"email": "new@example.org", "roles": ["caseworker"]})
    body = page.content.decode()
    assert page.status_code == 200
    assert "No e-mail was sent: the mail server could not be reached or refused the message." in body
    assert Client().get(LINK_RE.search(body).group(1)).status_code == 200  # type: ignore[union-attr]


def test_a_new_link_replaces_the_old_one(make_staff: Any, settings: Any) -> None:
    # Given an open invitation whose link was shown once and lost
    settings.EMAIL_BACKEND = CONSOLE
    client = _admin_client(make_staff("administrator"))
    first = client.post("/staff/accounts/staff/", {"email": "new@example.org", "roles": ["caseworker"]})
    old = LINK_RE.search(first.content.decode()).group(1)  # type: ignore[union-attr]
    invitation = Invitation.objects.get()
    # When the administrator makes a new link, twenty minutes later
    with time_machine.travel(invitation.created_at + timedelta(minutes=20)):
        page = client.post(f"/staff/accounts/invitations/{invitation.pk}/resend/")
        new = LINK_RE.search(page.content.decode()).group(1)  # type: ignore[union-attr]
        # Then the new link works and the old one does not
        assert new != old
        assert Client().get(new).status_code == 200
        assert Client().get(old).status_code == 404
    # And the new link runs 72 hours from when it was made, past the first link's end
    with time_machine.travel(invitation.created_at + timedelta(hours=72, minutes=10)):
        assert Client().get(new).status_code == 200
    assert AuditEntry.objects.filter(action="staff.invite_resend", object_id=str(invitation.pk)).exists()


def test_a_new_link_is_e_mailed_when_mail_is_set_up(make_staff: Any) -> None:
    admin = make_staff("administrator")
    old = _invite(admin)
    client = _admin_client(admin)
    answer = client.post(f"/staff/accounts/invitations/{Invitation.objects.get().pk}/resend/", follow=True)
    assert "The invitation was e-mailed." in answer.content.decode()
    assert len(mail.outbox) == 2
    assert old not in mail.outbox[-1].body
    assert Client().get(old).status_code == 404


def test_a_revoked_invitation_cannot_be_used(make_staff: Any) -> None:
    admin = make_staff("administrator")
    link = _invite(admin)
    invitation = Invitation.objects.get()
    client = _admin_client(admin)
    answer = client.post(f"/staff/accounts/invitations/{invitation.pk}/revoke/", follow=True)
    body = answer.content.decode()
    assert "The invitation was revoked. Its link no longer works." in body
    assert Client().get(link).status_code == 404
    assert "Open invitations" not in body
    assert AuditEntry.objects.filter(action="staff.invite_revoke", object_id=str(invitation.pk)).exists()
    # Revoking (or resending) it again is plainly refused
    again = client.post(f"/staff/accounts/invitations/{invitation.pk}/resend/", follow=True)
    assert "This invitation is no longer open" in again.content.decode()


def test_only_administrators_resend_or_revoke(make_staff: Any) -> None:
    admin, coordinator = make_staff("administrator"), make_staff("coordinator")
    link = _invite(admin)
    pk = Invitation.objects.get().pk
    client = login(Client(), coordinator.staff.email, TEST_PASSPHRASE, coordinator.totp_secret)
    assert client.post(f"/staff/accounts/invitations/{pk}/resend/").status_code == 403
    assert client.post(f"/staff/accounts/invitations/{pk}/revoke/").status_code == 403
    assert Client().get(link).status_code == 200
    assert len(mail.outbox) == 1
