"""The OpenAPI 3 schema, generated from the views by drf-spectacular: the token scheme, and the problem answers
every operation may give."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ferry.api.base import StaffApiView
from ferry.core.permissions import SIGNED_IN

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "ferry.api.auth.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")  # noqa: S106 - a scheme name, not a secret  # type: ignore[no-any-return]


def problems_everywhere(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: every operation may answer a problem (400, 401, 403, 404, 405, 406, 409, 415, 429)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    problem = {
        "description": "A problem (RFC 9457)",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            codes = ["400", "404", "405", "406", "415", "429"]
            if "/public/" not in path:
                codes += ["401", "403", "409"]
            for code in codes:
                operation.setdefault("responses", {}).setdefault(code, problem)
    return result


def schema_dict(*, public: bool = False) -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=public)


class Schema(StaffApiView):
    roles = (SIGNED_IN,)
    noun = "schema"
    verbs = {"get": "view"}

    @extend_schema(operation_id="schema", summary="This OpenAPI 3 schema", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        del request
        return Response(schema_dict(public=True))
