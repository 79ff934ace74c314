"""Views of the shell: health, the staff dashboard (parts registered by the apps), and the CSRF failure page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ferry.core import health
from ferry.core.dashboard import parts_render
from ferry.core.permissions import SIGNED_IN, roles


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    state = health.check()
    return JsonResponse(state.as_json(), status=200 if state.ok else 503)


@require_GET
@roles(SIGNED_IN)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "core/dashboard.html", {"parts": parts_render(request)})


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The reason is for developers; the person sees a plain, translated explanation.
    return render(request, "core/csrf_failure.html", status=403)
