"""Fuzzing the public endpoints: whatever arrives, the answer is a page or a clear error, never a server error."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

PUBLIC_FORMS = [
    ("/staff/accounts/login/", ["email", "passphrase"]),
    ("/staff/accounts/login/code/", ["code"]),
    ("/staff/accounts/recover/", ["email", "recovery_code", "passphrase", "confirm"]),
    ("/staff/accounts/setup/not-a-token/", ["email", "display_name", "passphrase", "confirm"]),
    ("/staff/accounts/invitation/not-a-token/", ["display_name", "passphrase", "confirm"]),
]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=3000)


@FUZZ
@given(index=st.integers(0, len(PUBLIC_FORMS) - 1), values=st.lists(text, min_size=4, max_size=4), extra=text)
def test_public_forms_never_fail(index: int, values: list[str], extra: str, insecure_fast_kdf: None) -> None:
    path, fields = PUBLIC_FORMS[index]
    data: dict[str, Any] = dict(zip(fields, values, strict=False))
    data[extra[:40] or "x"] = extra
    response = Client().post(path, data)
    assert response.status_code < 500
    assert b"Traceback" not in response.content


@FUZZ
@given(
    body=st.binary(max_size=4000),
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
)
def test_raw_bodies_never_fail(body: bytes, content_type: str) -> None:
    for path in ("/staff/accounts/login/", "/staff/accounts/login/key/", "/staff/accounts/login/key/options/"):
        response = Client().post(path, data=body, content_type=content_type)
        assert response.status_code < 500


@FUZZ
@given(
    query=st.dictionaries(text.filter(bool), text, max_size=4),
    path=st.sampled_from(["/healthz", "/staff/accounts/login/"]),
)
def test_query_strings_never_fail(query: dict[str, str], path: str) -> None:
    response = Client().get(path, query)
    # /healthz answers 503 on purpose here: no worker runs in this test.
    assert response.status_code < 500 or (path == "/healthz" and response.status_code == 503)


def test_missing_csrf_token_is_a_plain_translated_page() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/staff/accounts/login/?lang=ru", {"email": "a@example.org", "passphrase": "x"})
    assert response.status_code == 403
    assert "Срок действия формы истёк" in response.content.decode()


def test_oversized_post_is_refused_cleanly() -> None:
    response = Client().post("/staff/accounts/login/", {"email": "a@example.org", "passphrase": "x" * 3_000_000})
    assert response.status_code == 400
