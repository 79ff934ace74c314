"""Security headers, language choice without cookies, and deny-by-default access to staff pages."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from ferry.core.errors import Conflict, FerryError, NotFound, Refused

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: CSP without inline script, and no caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # The public API's published releases ask to be cached (ferry/api/views/public.py); nothing else may.
        if not request.path.startswith(settings.STATIC_URL) and not getattr(response, "ferry_public_cache", False):
            # Pages may show decrypted content: keep them out of the browser's disk cache and history cache.
            response["Cache-Control"] = "no-store"
        return response


class LanguageMiddleware:
    """Language from ?lang=, then the session (staff), then Accept-Language; no language cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.codes = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.GET.get("lang", "")
        if chosen in self.codes:
            # Remember it only in a session that already exists (staff); never start one for it.
            if getattr(request, "session", None) is not None and request.session.session_key:
                request.session["lang"] = chosen
        else:
            session = getattr(request, "session", None)
            stored = session.get("lang", "") if session is not None and session.session_key else ""
            chosen = stored if stored in self.codes else translation.get_language_from_request(request)
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.setdefault("Content-Language", request.LANGUAGE_CODE)
        response.headers.setdefault("Vary", "Accept-Language")
        translation.deactivate()
        return response


class StaffTimezoneMiddleware:
    """Times are stored in UTC and shown in the signed-in staff member's own time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        timezone.deactivate()
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ErrorPagesMiddleware:
    """Services' refusals mapped to pages in one place: NotFound is the 404 page (the very page of an address
    that names nothing), Refused the 403 page, Conflict a 409 page, any other refusal a 400 page with its
    message. Action pages catch refusals themselves to show the form again (core.actions.form_action)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        """An address with a NUL character names nothing (and PostgreSQL refuses one in any text): the 404 page,
        before the view looks anything up. The API answers it in its own form (api.base)."""
        if hasattr(view, "cls"):
            return None
        if any("\x00" in str(value) for value in (*args, *kwargs.values())):
            raise Http404
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            raise Http404 from None
        if isinstance(exception, Refused):
            raise PermissionDenied from None
        if isinstance(exception, Conflict):
            return render(request, "409.html", {"message": str(exception)}, status=409)
        if isinstance(exception, FerryError):
            return render(request, "400.html", {"message": str(exception)}, status=400)
        return None
