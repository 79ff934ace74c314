"""The schema-driven fuzz: schemathesis generates requests from the OpenAPI schema and sends them to a real
server (pytest-django's live_server) with a valid token. No answer may be a 5xx, and every answer must match
the schema (status, content type, body). Bounded, so it runs in well under two minutes."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as conformance

from ferry.api.schema import schema_dict
from tests.api.conftest import token_for

pytestmark = [pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = 8


def test_the_api_answers_every_generated_request_within_its_schema(
    live_server: Any, accepted: dict[str, Any], roles_team: dict[str, Any]
) -> None:
    token = token_for(roles_team["caseworker"])
    schema = schemathesis.openapi.from_dict(schema_dict(public=True))
    schema.config.update(base_url=live_server.url)
    failures: list[str] = []
    checks = [
        not_a_server_error,
        conformance.status_code_conformance,
        conformance.content_type_conformance,
        conformance.response_schema_conformance,
    ]
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            try:
                case.validate_response(response, checks=checks)
            except Exception as exc:  # every failed check is collected and reported at the end
                failures.append(f"{case.method} {case.path}: {str(exc)[:300]}")

        run()
    assert failures == []
