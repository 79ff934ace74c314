"""JSON endpoints behind the security-key buttons (the only pages that need JavaScript, and only for keys)."""

from __future__ import annotations

import base64
import json

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ferry.accounts import security_keys, services, sessions
from ferry.accounts.http import StaffRequest
from ferry.accounts.middleware import STAFF_SESSION_KEY
from ferry.accounts.views import PENDING_KEY, client_id
from ferry.core.permissions import SIGNED_IN, roles
from ferry.vault.session import VaultLocked

REGISTER_CHALLENGE = "ferry_key_register_challenge"
LOGIN_CHALLENGE = "ferry_key_login_challenge"
MAX_ANSWER_BYTES = 16_384


def _rp(request: HttpRequest) -> tuple[str, str]:
    """The relying party id (host without port) and the origin, as the browser sees them."""
    host = request.get_host()
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host, f"{request.scheme}://{host}"


def _answer(request: HttpRequest) -> str:
    body = request.body[: MAX_ANSWER_BYTES + 1]
    if len(body) > MAX_ANSWER_BYTES:
        return ""
    return body.decode("utf-8", errors="replace")


def _keep(request: HttpRequest, name: str, challenge: bytes) -> None:
    request.session[name] = base64.b64encode(challenge).decode("ascii")


def _take(request: HttpRequest, name: str) -> bytes:
    """A challenge is used once, whatever the answer."""
    stored = request.session.pop(name, "")
    return base64.b64decode(stored) if stored else b""


@require_POST
@roles(SIGNED_IN)
def register_options(request: StaffRequest) -> HttpResponse:
    rp_id, _origin = _rp(request)
    challenge = security_keys.registration_begin(staff=request.user, rp_id=rp_id)
    _keep(request, REGISTER_CHALLENGE, challenge.challenge)
    return HttpResponse(challenge.options_json, content_type="application/json")


@require_POST
@roles(SIGNED_IN)
def register(request: StaffRequest) -> JsonResponse:
    rp_id, origin = _rp(request)
    challenge = _take(request, REGISTER_CHALLENGE)
    # A duress session changes nothing real; it fails like a key the browser could not use.
    if not challenge or request.staff_session.duress:
        return JsonResponse({"error": _("This page has expired. Reload it and try again.")}, status=400)
    try:
        sent = json.loads(_answer(request) or "{}")
        credential, name = json.dumps(sent["credential"]), str(sent.get("name", ""))
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("The security key could not be registered. Try again.")}, status=400)
    try:
        security_keys.registration_finish(
            staff=request.user,
            answer=credential,
            challenge=challenge,
            rp_id=rp_id,
            origin=origin,
            name=name,
        )
    except services.AccountError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"ok": True})


@require_POST
@roles(SIGNED_IN)
def remove(request: StaffRequest, key_id: int) -> HttpResponse:
    if request.staff_session.duress:
        return redirect("accounts:security")
    security_keys.security_key_remove(staff=request.user, key_id=key_id)
    return redirect("accounts:security")


def _pending(request: HttpRequest) -> str | None:
    session_id = request.session.get(PENDING_KEY, "")
    try:
        sessions.staff_session_ring(
            session_id=session_id, client_key=request.COOKIES.get(settings.FERRY_UNLOCK_COOKIE, "")
        )
    except VaultLocked:
        return None
    return str(session_id)


@login_not_required
@require_POST
def login_options(request: HttpRequest) -> HttpResponse:
    session_id = _pending(request)
    if session_id is None:
        return JsonResponse({"error": _("Sign in again.")}, status=400)
    rp_id, _origin = _rp(request)
    challenge = security_keys.login_begin(session_id=session_id, rp_id=rp_id)
    if challenge is None:
        return JsonResponse({"error": _("No security key is registered for this account.")}, status=400)
    _keep(request, LOGIN_CHALLENGE, challenge.challenge)
    return HttpResponse(challenge.options_json, content_type="application/json")


@login_not_required
@require_POST
def login_with_key(request: HttpRequest) -> JsonResponse:
    session_id = _pending(request)
    challenge = _take(request, LOGIN_CHALLENGE)
    if session_id is None or not challenge:
        return JsonResponse({"error": _("Sign in again.")}, status=400)
    rp_id, origin = _rp(request)
    try:
        row = security_keys.login_finish(
            session_id=session_id,
            answer=_answer(request),
            challenge=challenge,
            rp_id=rp_id,
            origin=origin,
            client=client_id(request),
        )
    except sessions.LoginFailed as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    del request.session[PENDING_KEY]
    login(request, row.staff, backend="ferry.accounts.backends.VaultBackend")
    request.session[STAFF_SESSION_KEY] = row.pk
    return JsonResponse({"ok": True, "next": "/" + settings.FERRY_STAFF_PATH + "/"})
