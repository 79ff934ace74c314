"""Attaches the signed-in staff member's key ring to each request; a session without its unlock key ends."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from ferry.accounts import sessions
from ferry.vault.session import VaultLocked

STAFF_SESSION_KEY = "ferry_staff_session"


class StaffUnlockMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.ring = None  # type: ignore[attr-defined]
        request.staff_session = None  # type: ignore[attr-defined]
        if request.path.startswith(unlock_cookie_path()) and request.user.is_authenticated:
            try:
                row, ring = sessions.staff_session_ring(
                    session_id=request.session.get(STAFF_SESSION_KEY, ""),
                    client_key=request.COOKIES.get(settings.FERRY_UNLOCK_COOKIE, ""),
                )
                if not row.second_factor_done or row.staff_id != request.user.pk:
                    raise VaultLocked("session not complete")
            except VaultLocked:
                logout(request)
                response = redirect(settings.LOGIN_URL)
                response.delete_cookie(settings.FERRY_UNLOCK_COOKIE, path=unlock_cookie_path())
                return response
            request.ring = ring  # type: ignore[attr-defined]
            request.staff_session = row  # type: ignore[attr-defined]
        return self.get_response(request)


def unlock_cookie_path() -> str:
    return f"/{settings.FERRY_STAFF_PATH}/"


def set_unlock_cookie(response: HttpResponse, client_key: str) -> None:
    """The only place the session key lives: a browser-session cookie the page scripts cannot read."""
    response.set_cookie(
        settings.FERRY_UNLOCK_COOKIE,
        client_key,
        path=unlock_cookie_path(),
        httponly=True,
        secure=settings.FERRY_TLS,
        samesite="Strict",
    )
