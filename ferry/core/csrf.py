"""CSRF protection that works with Referrer-Policy: no-referrer.

With that policy browsers send `Origin: null` on form posts and no Referer, which Django's checks reject.
A null origin is accepted only when the browser says the request is same-origin (Sec-Fetch-Site) or says
nothing (older browsers, where the SameSite=Strict CSRF cookie is still required); the token is always checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware


class CsrfViewMiddleware(DjangoCsrfViewMiddleware):
    def process_view(
        self, request: HttpRequest, callback: Callable[..., Any], callback_args: Any, callback_kwargs: Any
    ) -> HttpResponseForbidden | None:
        if request.META.get("HTTP_ORIGIN") == "null" and request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") in {
            "same-origin",
            "none",
        }:
            request.META["HTTP_ORIGIN"] = f"{request.scheme}://{request.get_host()}"
        return super().process_view(request, callback, callback_args, callback_kwargs)
