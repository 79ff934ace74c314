"""Check-in pages: the "missed check-ins" list, and the case page's plan, check-in and acknowledgement forms.

Times are shown, and typed, in the viewer's own time zone; the database keeps UTC."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.cases.checkins import forms as checkin_forms
from ferry.cases.checkins import selectors as checkin_selectors
from ferry.cases.checkins import services as checkins
from ferry.cases.page import act
from ferry.cases.services import CASE_ROLES
from ferry.core.errors import NotFound
from ferry.core.permissions import roles


def _zone(request: StaffRequest) -> timezone.override:
    return timezone.override(checkin_selectors.staff_zone(request.user))


@require_GET
@roles(Role.COORDINATOR, Role.CASEWORKER, Role.ADMINISTRATOR)
def missed(request: StaffRequest) -> HttpResponse:
    staff = request.user
    result = checkin_selectors.missed(
        ring=request.ring, staff=staff, with_due=True, duress=request.staff_session.duress
    )
    context = {"missed": result, "checkin_tz": checkin_selectors.staff_zone(staff), "now": timezone.now()}
    return render(request, "cases/checkins/missed.html", context)


@require_POST
@roles(*CASE_ROLES)
def plan(request: StaffRequest, reference: str) -> HttpResponse:
    form = checkin_forms.PlanForm(request.POST)
    with _zone(request):
        return act(
            request,
            reference,
            form=form,
            form_name="checkin_plan_form",
            action=lambda d: checkins.plan_set(
                ring=request.ring,
                staff=request.user,
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
@roles(*CASE_ROLES)
def record(request: StaffRequest, reference: str) -> HttpResponse:
    form = checkin_forms.RecordForm(request.POST)
    duress = request.POST.get("duress") == "on"
    with _zone(request):
        return act(
            request,
            reference,
            form=form,
            form_name="checkin_record_form",
            action=lambda d: checkins.checkin_record(
                ring=request.ring,
                staff=request.user,
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
@roles(*CASE_ROLES)
def acknowledge(request: StaffRequest, reference: str, family: str) -> HttpResponse:
    if family not in checkins.FAMILIES:
        raise NotFound(_("No such case."))
    form = checkin_forms.AcknowledgeForm(request.POST, prefix=family)
    with _zone(request):
        return act(
            request,
            reference,
            form=form,
            form_name=f"checkin_ack_{family}_form",
            action=lambda d: checkins.alerts_acknowledge(
                ring=request.ring,
                staff=request.user,
                reference=reference,
                family=family,
                note=d["note"],
            ),
            done=_("Acknowledged for everyone who was alerted. Your note is in the timeline."),
        )
