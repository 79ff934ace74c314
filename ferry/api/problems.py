"""Errors as RFC 9457 problem details (application/problem+json): a type, a translated title, the status and a
detail that is the refusal's own message (translated, never personal data). Ferry's refusals map as pages do:
NotFound 404 (missing and forbidden alike), Refused 403, Conflict 409, any other FerryError 400."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from ferry.core.errors import Conflict, FerryError, NotFound, Refused

PROBLEM_TYPE = "application/problem+json"

TITLES: dict[int, Any] = {
    400: gettext_lazy("The request was refused"),
    401: gettext_lazy("A valid token is needed"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Changed by someone else"),
    415: gettext_lazy("Unsupported media type"),
    429: gettext_lazy("Too many requests"),
}


class ProblemSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {
        "type": f"https://ferry.invalid/problems/{status}",
        "title": str(TITLES.get(status, _("Error"))),
        "status": status,
        "detail": detail,
        **extra,
    }
    return Response(body, status=status, headers=headers, content_type=PROBLEM_TYPE)


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for name, value in detail.items():
            out.update(_field_errors(value, f"{prefix}{name}."))
    elif isinstance(detail, list):
        for value in detail:
            if isinstance(value, dict | list):
                out.update(_field_errors(value, prefix))
            else:
                out.setdefault(prefix.rstrip(".") or "request", []).append(str(value))
    else:
        out.setdefault(prefix.rstrip(".") or "request", []).append(str(detail))
    return out


# Ferry's refusals, most specific first: NotFound, Refused and Conflict are FerryErrors too.
REFUSALS: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (Refused, 403),
    (Conflict, 409),
    (FerryError, 400),
)


def _django_problem(exc: Exception) -> Response | None:
    for kind, status in REFUSALS:
        if isinstance(exc, kind):
            return problem(status, str(exc))
    if isinstance(exc, Http404):
        return problem(404, _("Not found."))
    if isinstance(exc, PermissionDenied):
        return problem(403, _("You do not have the role needed for this."))
    return None


def problem_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler: every refusal becomes a problem; anything else is a 500 as usual."""
    if not isinstance(exc, exceptions.APIException):
        return _django_problem(exc)
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = str(exc.auth_header)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait) + 1)
    if isinstance(exc, exceptions.ValidationError):
        return problem(400, _("Some fields are not right."), headers=headers, errors=_field_errors(exc.detail))
    detail = exc.detail if isinstance(exc.detail, str) else _("The request was refused.")
    return problem(exc.status_code, str(detail), headers=headers)
