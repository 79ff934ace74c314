"""Login: passphrase then one-time code, one answer for every failure, throttling, session lifetime."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from ferry.accounts.models import StaffAlert, StaffSession
from ferry.audit.models import AuditEntry
from tests.accounts.helpers import code_for, login
from tests.conftest import TEST_PASSPHRASE

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_with_passphrase_and_code_opens_the_dashboard(make_staff: Any) -> None:
    member = make_staff("caseworker")
    client = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    page = client.get("/staff/")
    assert page.status_code == 200
    assert "Dashboard" in page.content.decode()
    cookie = client.cookies[settings.FERRY_UNLOCK_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/staff/"
    assert not cookie["max-age"]  # dies with the browser session
    assert AuditEntry.objects.filter(action="staff.login", actor_id=member.staff.pk).exists()


def test_the_passphrase_alone_is_not_enough(make_staff: Any) -> None:
    member = make_staff("caseworker")
    client = Client()
    client.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE})
    assert client.get("/staff/").status_code == 302
    wrong = client.post("/staff/accounts/login/code/", {"code": "000000"})
    assert "That code did not work" in wrong.content.decode()
    assert client.get("/staff/").status_code == 302


def test_unknown_account_and_wrong_passphrase_get_the_same_answer(make_staff: Any) -> None:
    member = make_staff("caseworker")
    wrong = Client().post(
        "/staff/accounts/login/", {"email": member.staff.email, "passphrase": "not the right one at all"}
    )
    unknown = Client().post("/staff/accounts/login/", {"email": "nobody@example.org", "passphrase": TEST_PASSPHRASE})
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong e-mail address or passphrase" in wrong.content.decode()

    def normal(page: bytes, email: str) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.decode()).replace(email, "")

    assert normal(wrong.content, member.staff.email) == normal(unknown.content, "nobody@example.org")
    assert not StaffSession.objects.exists()


def test_repeated_failures_lock_the_account_temporarily_and_alert(make_staff: Any) -> None:
    admin = make_staff("administrator")
    member = make_staff("caseworker")
    client = Client()
    for _ in range(5):
        client.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": "wrong passphrase here"})
    # Locked: even the right passphrase is refused, with the same message.
    locked = client.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE})
    assert "Wrong e-mail address or passphrase" in locked.content.decode()
    assert AuditEntry.objects.filter(action="staff.lockout", object_id=str(member.staff.pk)).count() == 1
    assert StaffAlert.objects.filter(kind="lockout", about_staff=member.staff, recipient=admin.staff).exists()
    # Temporary: after the lockout period it works again.
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=True):
        again = Client().post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE})
        assert again.status_code == 302


def test_session_ends_after_idle_timeout_and_without_its_cookie(make_staff: Any) -> None:
    member = make_staff("caseworker")
    client = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    assert client.get("/staff/").status_code == 200
    last_seen = StaffSession.objects.get(staff=member.staff).last_seen_at
    with time_machine.travel(last_seen + timedelta(minutes=29)):
        assert client.get("/staff/").status_code == 200
    with time_machine.travel(last_seen + timedelta(minutes=29 + 31)):
        assert client.get("/staff/").status_code == 302
    assert not StaffSession.objects.filter(staff=member.staff).exists()

    other = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    del other.cookies[settings.FERRY_UNLOCK_COOKIE]
    assert other.get("/staff/").status_code == 302


def test_absolute_session_lifetime(make_staff: Any) -> None:
    member = make_staff("caseworker")
    client = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    start = StaffSession.objects.get(staff=member.staff).created_at
    for hour in range(1, 13):  # active every 20 minutes for 12 hours...
        for third in range(3):
            with time_machine.travel(start + timedelta(hours=hour - 1, minutes=20 * third)):
                assert client.get("/staff/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1)):  # ...then the lifetime is over
        assert client.get("/staff/").status_code == 302


def test_sign_out_everywhere(make_staff: Any) -> None:
    member = make_staff("caseworker")
    laptop = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    phone = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    assert phone.get("/staff/").status_code == 200
    laptop.post("/staff/accounts/security/sign-out-everywhere/")
    assert phone.get("/staff/").status_code == 302
    assert laptop.get("/staff/").status_code == 302
    assert not StaffSession.objects.filter(staff=member.staff).exists()


def test_code_is_checked_against_the_account(make_staff: Any) -> None:
    first = make_staff("caseworker")
    second = make_staff("caseworker")
    client = Client()
    client.post("/staff/accounts/login/", {"email": first.staff.email, "passphrase": TEST_PASSPHRASE})
    response = client.post("/staff/accounts/login/code/", {"code": code_for(second.totp_secret)})
    assert response.status_code == 200
    assert client.get("/staff/").status_code == 302


def test_security_key_answer_without_a_challenge_is_refused(make_staff: Any) -> None:
    from ferry.accounts.models import LoginThrottle

    member = make_staff("caseworker")
    client = Client()
    client.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE})
    # No key registered: no challenge is offered.
    assert client.post("/staff/accounts/login/key/options/").status_code == 400
    forged = client.post("/staff/accounts/login/key/", data='{"rawId": "AAAA"}', content_type="application/json")
    assert forged.status_code == 400
    assert client.get("/staff/").status_code == 302
    # Without a challenge issued the answer is not even checked: nothing to count.
    assert not LoginThrottle.objects.exists()


def test_bad_logins_behind_one_address_do_not_lock_out_a_colleague(make_staff: Any) -> None:
    """Issue 14: behind a reverse proxy or an onion service every client has one address; 20 bad logins with
    random e-mails locked out a coordinator who then typed the right passphrase."""
    coordinator = make_staff("coordinator")
    onion = {"REMOTE_ADDR": "127.0.0.1"}
    # Given 20 bad logins with random e-mail addresses, and 4 wrong passphrases on a colleague's account
    for n in range(20):
        Client(**onion).post("/staff/accounts/login/", {"email": f"x{n}@example.org", "passphrase": "a wrong guess"})
    colleague = make_staff("caseworker")
    for _ in range(4):
        Client(**onion).post("/staff/accounts/login/", {"email": colleague.staff.email, "passphrase": "wrong guess"})
    # When the coordinator, from the same address, types the right passphrase and code, they are in
    assert (
        login(Client(**onion), coordinator.staff.email, TEST_PASSPHRASE, coordinator.totp_secret)
        .get("/staff/")
        .status_code
        == 200
    )
    # And so is the colleague, whose account was four tries short of its own limit
    assert (
        login(Client(**onion), colleague.staff.email, TEST_PASSPHRASE, colleague.totp_secret).get("/staff/").status_code
        == 200
    )


def test_wrong_one_time_codes_lock_the_second_factor_from_any_address(make_staff: Any) -> None:
    member = make_staff("caseworker")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5), tick=False) as clock:
        # Given someone who has the passphrase and guesses codes, each time from another address
        for attempt in range(5):
            clock.shift(timedelta(seconds=2**attempt))  # past each pause django-otp makes after a failure
            guesser = Client(REMOTE_ADDR=f"198.51.100.{attempt}")
            guesser.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE})
            guesser.post("/staff/accounts/login/code/", {"code": "000000"})
        # Then the account's second factor is locked: even the right code is refused, from anywhere
        clock.shift(timedelta(seconds=40))
        late = Client(REMOTE_ADDR="192.0.2.4")
        late.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE})
        assert late.post("/staff/accounts/login/code/", {"code": code_for(member.totp_secret)}).status_code == 200
        assert late.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="staff.lockout", object_id=str(member.staff.pk)).count() == 1


def test_unlock_cookie_is_secure_behind_tls(make_staff: Any, settings: Any) -> None:
    settings.FERRY_TLS = True
    member = make_staff("caseworker")
    response = Client().post(
        "/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE}, secure=True
    )
    cookie = response.cookies[settings.FERRY_UNLOCK_COOKIE]
    assert cookie["secure"]
    assert cookie["httponly"]


def test_the_empty_sign_in_page_is_served_whole_with_a_fresh_token_each_time(make_staff: Any) -> None:
    """The empty page is rendered once per language; each answer still carries its own CSRF token, which works."""
    member = make_staff("caseworker")
    token_re = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    browser = Client(enforce_csrf_checks=True)
    pages = [browser.get("/staff/accounts/login/?lang=en").content.decode() for _ in range(2)]
    tokens = [token_re.findall(page) for page in pages]
    assert len(tokens[0]) == len(tokens[1]) == 1
    assert tokens[0] != tokens[1], "each page masks the token afresh"
    assert "ferry-csrf-token-goes-here" not in pages[1]
    assert 'lang="ru"' in browser.get("/staff/accounts/login/?lang=ru").content.decode()
    answer = browser.post(
        "/staff/accounts/login/",
        {"email": member.staff.email, "passphrase": TEST_PASSPHRASE, "csrfmiddlewaretoken": tokens[1][0]},
    )
    assert answer.status_code == 302
    assert answer["Location"].endswith("/staff/accounts/login/code/")


def test_every_cookie_stays_on_the_staff_path(make_staff: Any) -> None:
    """A staff browser that also opens the intake sends it none of the staff cookies."""
    member = make_staff("caseworker")
    browser = login(Client(), member.staff.email, TEST_PASSPHRASE, member.totp_secret)
    browser.get("/staff/")
    assert set(browser.cookies) >= {
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.FERRY_UNLOCK_COOKIE,
    }
    for name, morsel in browser.cookies.items():
        assert morsel["path"] == f"/{settings.FERRY_STAFF_PATH}/", name


# --- a right code at the wrong moment is told so -----------------------------------------------------------


def _at_code_step(member: Any) -> Client:
    client = Client()
    assert (
        client.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": TEST_PASSPHRASE}).status_code
        == 302
    )
    return client


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_right_code_just_after_a_wrong_one_is_told_to_wait_and_then_works(make_staff: Any) -> None:
    member = make_staff("caseworker")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5), tick=False) as clock:
        client = _at_code_step(member)
        right = code_for(member.totp_secret)
        # Given a wrong code
        assert (
            "That code did not work"
            in client.post("/staff/accounts/login/code/", {"code": _wrong(right)}).content.decode()
        )
        # When the right one follows at once, it is not checked, and the answer says to wait (not "wrong")
        soon = client.post("/staff/accounts/login/code/", {"code": right}).content.decode()
        assert "Too soon after a code that did not work. Wait 1 second, then type the code your app shows." in soon
        assert "did not work. Check" not in soon
        # And the same answer comes whatever was typed: it tells nothing about the code
        other = client.post("/staff/accounts/login/code/", {"code": _wrong(right)}).content.decode()
        assert normal_code_page(other) == normal_code_page(soon)
        # Then, a moment later, the right code works
        clock.shift(timedelta(seconds=2))
        done = client.post("/staff/accounts/login/code/", {"code": code_for(member.totp_secret)})
        assert done.status_code == 302


def normal_code_page(page: str) -> str:
    """The page without its token and without the code typed (the form shows it again)."""
    return re.sub(r'(name="csrfmiddlewaretoken"|name="code") value="[^"]+"', "", page)


def test_a_code_already_used_is_told_apart_and_still_refused(make_staff: Any) -> None:
    member = make_staff("caseworker")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5), tick=False) as clock:
        # Given a code just used to sign in on one device
        first = _at_code_step(member)
        used = code_for(member.totp_secret)
        assert first.post("/staff/accounts/login/code/", {"code": used}).status_code == 302
        # When the same code is typed on another device a second later
        clock.shift(timedelta(seconds=1))
        second = _at_code_step(member)
        page = second.post("/staff/accounts/login/code/", {"code": used})
        # Then it is refused, and the person is told to wait for the next code
        assert page.status_code == 200
        assert (
            "This code was just used. Wait for the next one (about 30 seconds) and type that." in page.content.decode()
        )
        assert second.get("/staff/").status_code == 302
        # And the next code works
        clock.shift(timedelta(seconds=31))
        assert second.post("/staff/accounts/login/code/", {"code": code_for(member.totp_secret)}).status_code == 302


def test_a_used_code_counts_against_the_lockout_like_a_wrong_one(make_staff: Any) -> None:
    member = make_staff("caseworker")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5), tick=False) as clock:
        used = code_for(member.totp_secret)
        assert _at_code_step(member).post("/staff/accounts/login/code/", {"code": used}).status_code == 302
        client = _at_code_step(member)
        for attempt in range(5):
            clock.shift(timedelta(seconds=2**attempt))  # past each pause django-otp makes after a failure
            page = client.post("/staff/accounts/login/code/", {"code": used})
            assert page.status_code == 200
    assert AuditEntry.objects.filter(action="staff.lockout", object_id=str(member.staff.pk)).count() == 1
