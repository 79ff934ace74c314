"""Check-in pages: the "missed check-ins" list, and the case page's plan, check-in and acknowledgement forms.

Times are shown, and typed, in the viewer's own time zone; the database keeps UTC."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ferry.accounts.models import Role
from ferry.cases.checkins import forms as checkin_forms
from ferry.cases.checkins import selectors as checkin_selectors
from ferry.cases.checkins import services as checkins
from ferry.cases.views import act


def _zone(request: HttpRequest) -> timezone.override:
    return timezone.override(checkin_selectors.staff_zone(request.user))


@require_GET
def missed(request: HttpRequest) -> HttpResponse:
    staff = request.user
    if not any(staff.has_role(r) for r in (Role.COORDINATOR, Role.CASEWORKER, Role.ADMINISTRATOR)):  # type: ignore[union-attr]
        raise PermissionDenied(_("You do not have the role needed for this."))
    result = checkin_selectors.missed(ring=request.ring, staff=staff, with_due=True)  # type: ignore[attr-defined,arg-type]
    context = {"missed": result, "checkin_tz": checkin_selectors.staff_zone(staff), "now": timezone.now()}
    return render(request, "cases/checkins/missed.html", context)


@require_POST
def plan(request: HttpRequest, reference: str) -> HttpResponse:
    form = checkin_forms.PlanForm(request.POST)
    with _zone(request):
        return act(
            request,
            reference,
            form=form,
            form_name="checkin_plan_form",
            action=lambda d: checkins.plan_set(
                ring=request.ring,  # type: ignore[attr-defined]
                staff=request.user,  # type: ignore[arg-type]
                reference=reference,
                version=d["version"],
                interval_minutes=form.minutes("every"),
                grace_minutes=form.minutes("grace"),
                lost_after_missed=d["lost_after_missed"],
                quiet_start=d["quiet_start"],
                quiet_end=d["quiet_end"],
                time_zone=d["time_zone"],
                active=d["active"],
            ),
            done=_("Check-in plan saved."),
        )


@require_POST
def record(request: HttpRequest, reference: str) -> HttpResponse:
    form = checkin_forms.RecordForm(request.POST)
    duress = request.POST.get("duress") == "on"
    with _zone(request):
        return act(
            request,
            reference,
            form=form,
            form_name="checkin_record_form",
            action=lambda d: checkins.checkin_record(
                ring=request.ring,  # type: ignore[attr-defined]
                staff=request.user,  # type: ignore[arg-type]
                reference=reference,
                at=d["at"],
                channel=d["channel"],
                duress=d["duress"],
                note=d["note"],
            ),
            done=_("Emergency recorded: your colleagues are being alerted now.")
            if duress
            else _("Check-in recorded. The next one is counted from it."),
        )


@require_POST
def acknowledge(request: HttpRequest, reference: str, family: str) -> HttpResponse:
    if family not in checkins.FAMILIES:
        raise Http404
    form = checkin_forms.AcknowledgeForm(request.POST, prefix=family)
    with _zone(request):
        return act(
            request,
            reference,
            form=form,
            form_name=f"checkin_ack_{family}_form",
            action=lambda d: checkins.alerts_acknowledge(
                ring=request.ring,  # type: ignore[attr-defined]
                staff=request.user,  # type: ignore[arg-type]
                reference=reference,
                family=family,
                note=d["note"],
            ),
            done=_("Acknowledged for everyone who was alerted. Your note is in the timeline."),
        )
