"""Token authentication for the staff API: `Authorization: Bearer <token>`, nowhere else.

A token in the address (a query parameter) is refused and, if it is a live token, revoked: an address ends up
in proxy logs, browser history and Referer headers. The request then carries the owner's key ring
(`request.ring`), as StaffUnlockMiddleware gives a page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from ferry.api import tokens

TOKEN_PARAMETERS = frozenset({"token", "access_token", "api_key", "apikey", "key", "bearer", "authorization"})


def _token_in_address(request: Request) -> bool:
    found = False
    for name, values in request.query_params.lists():
        if name.lower() in TOKEN_PARAMETERS:
            found = True
        for value in values:
            if tokens.PREFIX in value:
                tokens.token_exposed(value.strip())
                found = True
    return found


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, tokens.Principal] | None:
        if _token_in_address(request):
            raise AuthenticationFailed(
                _("A token must never be put in an address. Send it in the Authorization header.")
            )
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            raise AuthenticationFailed(_("Send the token as: Authorization: Bearer <token>."))
        try:
            principal = tokens.token_authenticate(raw.strip())
        except tokens.TokenRefused:
            raise AuthenticationFailed(_("This token is not valid: it may be wrong, expired or revoked.")) from None
        request._request.ring = principal.ring
        request._request.api_token = principal.token
        return principal.staff, principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="ferry"'
