"""The public API: published, approved releases only, checked against their hash, cacheable, rate-limited."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client

from ferry.advocacy.releases import Output, release_approve, release_prepare, release_withdraw
from ferry.api.models import PublishedRelease
from ferry.vault.keyring import KeyRing
from tests.api.conftest import API, token_for

pytestmark = pytest.mark.django_db
CONTENT = b"month,count\n2017-04,12\n"


def _ring(person: Any) -> KeyRing:
    return KeyRing(staff_id=person.staff.pk, private_key=person.private_key)


@pytest.fixture
def approved(roles_team: dict[str, Any]) -> str:
    a, b = roles_team["analyst"], roles_team["analyst2"]
    output = Output(kind="table", format="csv", content=CONTENT, title="secret title", filename="t.csv")
    release = release_prepare(ring=_ring(a), staff=a.staff, output=output)
    release_approve(ring=_ring(b), staff=b.staff, reference=release.reference)
    return release.reference


def test_an_analyst_publishes_and_the_public_downloads(approved: str, roles_team: dict[str, Any], call: Any) -> None:
    analyst = token_for(roles_team["analyst"])
    assert call(None, "get", f"/api/v1/public/releases/{approved}/").status_code == 404
    published = call(analyst, "post", f"{API}/releases/{approved}/publish/")
    assert published.status_code == 201, published.content
    assert call(analyst, "post", f"{API}/releases/{approved}/publish/").status_code == 409
    listed = Client().get("/api/v1/public/releases/")
    assert listed.status_code == 200
    assert [r["reference"] for r in listed.json()["results"]] == [approved]
    assert "secret title" not in listed.content.decode()
    assert listed["Cache-Control"] == "public, max-age=300"
    content = Client().get(f"/api/v1/public/releases/{approved}/content/")
    assert content.status_code == 200
    assert content.content == CONTENT
    etag = f'"{hashlib.sha256(CONTENT).hexdigest()}"'
    assert content["ETag"] == etag
    assert Client().get(f"/api/v1/public/releases/{approved}/content/", HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("who", ["caseworker", "documenter", "auditor"])
def test_only_analysts_publish(approved: str, roles_team: dict[str, Any], call: Any, who: str) -> None:
    answer = call(token_for(roles_team[who]), "post", f"{API}/releases/{approved}/publish/")
    assert answer.status_code == 403
    assert not PublishedRelease.objects.exists()


def test_a_pending_release_cannot_be_published(roles_team: dict[str, Any], call: Any) -> None:
    a = roles_team["analyst"]
    output = Output(kind="table", format="csv", content=CONTENT, title="t", filename="t.csv")
    pending = release_prepare(ring=_ring(a), staff=a.staff, output=output)
    assert call(token_for(a), "post", f"{API}/releases/{pending.reference}/publish/").status_code == 400
    assert not PublishedRelease.objects.exists()


def test_withdrawn_or_altered_releases_are_no_longer_served(
    approved: str, roles_team: dict[str, Any], call: Any
) -> None:
    assert call(token_for(roles_team["analyst"]), "post", f"{API}/releases/{approved}/publish/").status_code == 201
    PublishedRelease.objects.update(content=b"month,count\n2017-04,2\n")
    assert Client().get(f"/api/v1/public/releases/{approved}/content/").status_code == 404
    PublishedRelease.objects.update(content=CONTENT)
    assert Client().get(f"/api/v1/public/releases/{approved}/content/").status_code == 200
    a = roles_team["analyst"]
    release_withdraw(ring=_ring(a), staff=a.staff, reference=approved)
    assert Client().get(f"/api/v1/public/releases/{approved}/content/").status_code == 404
    assert Client().get("/api/v1/public/releases/").json()["results"] == []


def test_the_public_api_is_rate_limited(settings: Any) -> None:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public": "3/min"}}
    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        answers = [Client().get("/api/v1/public/releases/").status_code for _ in range(5)]
        limited = Client().get("/api/v1/public/releases/")
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public": "120/min"}}
        api_settings.reload()
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert answers[:3] == [200, 200, 200]
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert "Retry-After" in limited


def test_a_public_answer_carries_no_session_and_sets_no_cookie() -> None:
    answer = Client().get("/api/v1/public/releases/")
    assert answer.cookies == {}
