"""Fixtures of the API tests: a case made through the intake and accepted (tests.cases.conftest), people of
every role, and tokens made through the real service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from ferry.api import tokens
from tests.cases.conftest import accepted, team  # noqa: F401 - fixtures shared with the case tests
from tests.conftest import TEST_PASSPHRASE

API = "/staff/api/v1"


def token_for(person: Any, scope: str = "write", days: int = 30) -> str:
    return tokens.token_create(
        staff=person.staff, passphrase=TEST_PASSPHRASE, label="test", scope=scope, days=days
    ).secret


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def call() -> Callable[..., Any]:
    """call(token, method, path, json=None): one API request with a fresh client (no cookies)."""

    def go(token: str | None, method: str, path: str, json: Any = None, **headers: str) -> Any:
        client = Client()
        extra = {**(bearer(token) if token else {}), **headers}
        if json is None:
            return getattr(client, method)(path, **extra)
        return getattr(client, method)(path, data=json, content_type="application/json", **extra)

    return go


@pytest.fixture
def roles_team(team: dict[str, Any], make_staff: Any) -> dict[str, Any]:  # noqa: F811 - the shared fixture
    return {
        **team,
        "outsider": make_staff("caseworker"),
        "auditor": make_staff("auditor"),
        "documenter": make_staff("documenter"),
        "analyst": make_staff("analyst"),
        "analyst2": make_staff("analyst"),
    }
