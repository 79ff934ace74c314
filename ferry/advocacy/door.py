"""The release door, enforced: in the advocacy area a response that is not a page or a redirect must come
from a view marked as the door (`release_door`), which serves only approved or reviewable releases checked
against their hash. Anything else that tries to send a file out is stopped with a 500 and logged (without
personal data), so a view added later cannot bypass the release by returning a CSV or an image itself.
tests/advocacy/test_release_door.py walks every route and checks the rule holds and bites."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponseBase, HttpResponseServerError

logger = logging.getLogger("ferry.advocacy")

V = TypeVar("V", bound=Callable[..., Any])
OUTWARD_NAMESPACES = frozenset({"advocacy", "api_public"})  # api_public: the public API (ferry/api)
PAGE_TYPES = ("text/html",)


def release_door(view: V) -> V:
    """Mark the one view allowed to send an output out (after the release's own checks)."""
    view.ferry_release_door = True  # type: ignore[attr-defined]
    return view


def is_page(response: HttpResponseBase) -> bool:
    if 300 <= response.status_code < 400:
        return True
    disposition = response.get("Content-Disposition", "")
    return response.get("Content-Type", "").startswith(PAGE_TYPES) and "attachment" not in disposition


class ReleaseDoorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or not OUTWARD_NAMESPACES.intersection(match.namespaces):
            return response
        if is_page(response) or getattr(match.func, "ferry_release_door", False):
            return response
        logger.error("release door: %s answered a file outside the release door; it was stopped", match.view_name)
        return HttpResponseServerError("", content_type="text/plain")
