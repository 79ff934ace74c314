"""Every API route declares its roles; staff ones live under the staff path and authenticate by token, public
ones are the release door's."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from ferry.api.base import PUBLIC
from ferry.core.permissions import declared_roles
from tests.test_doors import routes

pytestmark = pytest.mark.django_db


def _api_routes() -> list[Any]:
    return [r for r in routes() if r.name.startswith(("api:", "api_public:", "api_pages:"))]


def test_every_api_route_declares_its_roles() -> None:
    found = _api_routes()
    assert len(found) > 15
    assert [r.route for r in found if not declared_roles(r.callback)] == []


def test_staff_api_routes_sit_under_the_staff_path_and_public_ones_are_the_release_door() -> None:
    for route in _api_routes():
        roles = declared_roles(route.callback) or frozenset()
        if PUBLIC in roles:
            assert route.name.startswith("api_public:"), route.name
            assert route.route.startswith("api/v1/public/")
            assert getattr(route.callback, "ferry_release_door", False)
        else:
            assert route.route.startswith(f"{settings.FERRY_STAFF_PATH}/api/"), route.route


def test_the_schema_is_served_to_staff_only(make_staff: Any, call: Any) -> None:
    from tests.api.conftest import API, token_for

    assert call(None, "get", f"{API}/schema/").status_code == 401
    answer = call(token_for(make_staff("auditor")), "get", f"{API}/schema/")
    assert answer.status_code == 200
    assert answer.json()["openapi"].startswith("3.")
