"""Views of the shell: health, the staff dashboard, and the CSRF failure page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ferry.accounts import alerts
from ferry.accounts.ceremony import escrow_status
from ferry.accounts.models import Role
from ferry.cases.checkins import selectors as checkin_selectors
from ferry.core import health
from ferry.intake import services as intake_services

# Missed check-ins shown on the dashboard before anything else; the full list has the rest.
DASHBOARD_MISSED_ROWS = 15


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    state = health.check()
    return JsonResponse(state.as_json(), status=200 if state.ok else 503)


def dashboard(request: HttpRequest) -> HttpResponse:
    staff = request.user
    is_admin = staff.has_role(Role.ADMINISTRATOR)  # type: ignore[union-attr]
    status = escrow_status() if is_admin else None
    if request.ring is not None:  # type: ignore[attr-defined]
        intake_services.index_share(ring=request.ring, staff=staff)  # type: ignore[attr-defined,arg-type]
    open_alerts = alerts.alerts_open(recipient=staff)  # type: ignore[arg-type]
    checkin_refs = {a.reference for a in open_alerts if a.kind in alerts.CHECKIN_KINDS}
    context = {
        "alerts": open_alerts,
        "checkin_kinds": alerts.CHECKIN_KINDS,
        # Alerts a person caused carry the day only: showing "midnight" would mislead.
        "day_only_kinds": ["new_request", "new_message"],
        # Someone gone silent is the first thing a coordinator sees, whenever there is one.
        "missed": checkin_selectors.missed(ring=request.ring, staff=staff, limit=DASHBOARD_MISSED_ROWS),  # type: ignore[attr-defined,arg-type]
        "openable": checkin_selectors.openable(ring=request.ring, references=checkin_refs),  # type: ignore[attr-defined]
        "checkin_tz": checkin_selectors.staff_zone(staff),
        "now": timezone.now(),
        "escrow_unsplit": status is not None and status.exists and not status.split,
        "no_coordinators": is_admin and not intake_services.intake_coordinators(),
    }
    return render(request, "core/dashboard.html", context)


@require_POST
def alert_ack(request: HttpRequest, alert_id: int) -> HttpResponse:
    alerts.alert_acknowledge(recipient=request.user, alert_id=alert_id)  # type: ignore[arg-type]
    return redirect("core:dashboard")


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The reason is for developers; the person sees a plain, translated explanation.
    return render(request, "core/csrf_failure.html", status=403)
