"""API tokens: made after the passphrase, never stored, refused when revoked, expired, duress-made or in a URL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ferry.accounts.services import AccountError
from ferry.api import tokens
from ferry.api.models import ApiToken
from tests.accounts.helpers import login
from tests.api.conftest import API, token_for
from tests.cases.conftest import staff_client
from tests.conftest import TEST_PASSPHRASE

pytestmark = pytest.mark.django_db


def _refused(answer: Any) -> None:
    assert answer.status_code == 401, answer.content[:300]
    assert answer["Content-Type"] == "application/problem+json"
    assert answer["WWW-Authenticate"].startswith("Bearer")


def test_the_database_keeps_neither_the_token_nor_its_secret(roles_team: dict[str, Any]) -> None:
    raw = token_for(roles_team["caseworker"])
    row = ApiToken.objects.get()
    stored = b"|".join(
        [str(getattr(row, f.attname)).encode() for f in ApiToken._meta.fields] + [bytes(row.wrapped_key)]
    )
    assert raw.encode() not in stored
    assert raw.rsplit(".", 1)[1].encode() not in stored
    assert raw.split(".")[0].encode() not in stored


def test_a_wrong_passphrase_makes_no_token(roles_team: dict[str, Any]) -> None:
    with pytest.raises(AccountError):
        tokens.token_create(staff=roles_team["caseworker"].staff, passphrase="wrong", label="x", scope="read", days=1)
    assert not ApiToken.objects.exists()


def test_expiry_is_required_and_bounded(roles_team: dict[str, Any]) -> None:
    for days in (0, 91):
        with pytest.raises(AccountError):
            token_for(roles_team["caseworker"], days=days)


def test_no_token_a_wrong_scheme_or_a_wrong_token_is_401(accepted: Any, roles_team: dict[str, Any], call: Any) -> None:
    raw = token_for(roles_team["caseworker"])
    _refused(call(None, "get", f"{API}/cases/"))
    _refused(call(None, "get", f"{API}/cases/", HTTP_AUTHORIZATION=f"Token {raw}"))
    _refused(call(raw[:-2] + "AA", "get", f"{API}/cases/"))
    assert call(raw, "get", f"{API}/cases/").status_code == 200


def test_revoked_and_expired_tokens_are_refused(accepted: Any, roles_team: dict[str, Any], call: Any) -> None:
    person = roles_team["caseworker"]
    revoked, expired = token_for(person), token_for(person)
    assert call(revoked, "get", f"{API}/cases/").status_code == 200
    tokens.token_revoke(staff=person.staff, token_id=ApiToken.objects.get(lookup=tokens.token_lookup(revoked)).pk)
    ApiToken.objects.filter(lookup=tokens.token_lookup(expired)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    _refused(call(revoked, "get", f"{API}/cases/"))
    _refused(call(expired, "get", f"{API}/cases/"))


def test_someone_elses_token_cannot_be_revoked(roles_team: dict[str, Any]) -> None:
    from ferry.core.errors import NotFound

    token_for(roles_team["caseworker"])
    with pytest.raises(NotFound):
        tokens.token_revoke(staff=roles_team["outsider"].staff, token_id=ApiToken.objects.get().pk)


def test_a_token_in_the_address_is_refused_and_revoked(accepted: Any, roles_team: dict[str, Any], call: Any) -> None:
    raw = token_for(roles_team["caseworker"])
    # Given a live token, when it is sent in a query string (even beside a good header)
    _refused(call(raw, "get", f"{API}/cases/?access_token={raw}"))
    _refused(call(None, "get", f"{API}/cases/?x={raw}"))
    # Then it is refused, and revoked: the address may sit in a log already
    assert ApiToken.objects.get().revoked_at is not None
    _refused(call(raw, "get", f"{API}/cases/"))


def test_last_use_is_kept_by_the_day(accepted: Any, roles_team: dict[str, Any], call: Any) -> None:
    raw = token_for(roles_team["caseworker"])
    call(raw, "get", f"{API}/cases/")
    assert ApiToken.objects.get().last_used_on == timezone.now().date()


def test_a_duress_login_kills_the_tokens_made_before(accepted: Any, roles_team: dict[str, Any], call: Any) -> None:
    person = roles_team["caseworker"]
    raw = token_for(person)
    from ferry.vault import staffkeys

    staffkeys.staff_key_set_duress(staff_id=person.staff.pk, duress_passphrase="a duress passphrase 77 words")
    login(Client(), person.staff.email, "a duress passphrase 77 words", person.totp_secret)
    _refused(call(raw, "get", f"{API}/cases/"))


def test_a_duress_session_seems_to_make_a_token_that_opens_nothing(
    accepted: Any, roles_team: dict[str, Any], call: Any
) -> None:
    from ferry.vault import staffkeys

    person = roles_team["caseworker"]
    duress = "a duress passphrase 77 words"
    staffkeys.staff_key_set_duress(staff_id=person.staff.pk, duress_passphrase=duress)
    browser = login(Client(), person.staff.email, duress, person.totp_secret)
    # When the coerced person makes a token with the duress passphrase, as the Security page accepts it
    page = browser.post("/staff/api/tokens/new/", {"label": "script", "scope": "write", "days": 30, "current": duress})
    # Then the page looks like a real success: the token is shown once
    assert page.status_code == 200
    shown = page.content.decode()
    assert 'data-testid="api-token"' in shown
    raw = shown.split('data-testid="api-token">', 1)[1].split("<", 1)[0]
    # And it opens nothing
    assert ApiToken.objects.get().duress is True
    _refused(call(raw, "get", f"{API}/cases/"))


def test_the_token_page_makes_shows_once_and_revokes(roles_team: dict[str, Any]) -> None:
    browser = staff_client(roles_team["caseworker"])
    assert "/staff/api/tokens/" in browser.get("/staff/accounts/security/").content.decode()
    wrong = browser.post("/staff/api/tokens/new/", {"label": "s", "scope": "read", "days": 5, "current": "nope"})
    assert wrong.status_code == 400
    assert not ApiToken.objects.exists()
    made = browser.post(
        "/staff/api/tokens/new/", {"label": "s", "scope": "read", "days": 5, "current": TEST_PASSPHRASE}
    )
    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    assert 'data-testid="api-token"' not in browser.get("/staff/api/tokens/").content.decode()
    row = ApiToken.objects.get()
    assert browser.post(f"/staff/api/tokens/{row.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert browser.get("/staff/api/").status_code == 200
