"""A case's page, with the parts that check-ins and referrals add, and the one shape of its action forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.cases import forms, selectors, services
from ferry.cases.checkins import panel as checkin_panel
from ferry.cases.models import Stage
from ferry.cases.referrals import panel as referral_panel
from ferry.core.actions import form_action
from ferry.core.hooks import Hook
from ferry.intake import places

# Apps above cases add to a case's page: each receiver (ring, staff, case) answers a dict for the template
# (documentation answers the victim records linked to the case that the viewer can open).
CASE_PAGE_PARTS = Hook("case_page_parts")


def case_page_response(request: StaffRequest, reference: str, status: int = 200, **bound: Any) -> HttpResponse:
    """The case's page, decrypted through its door; `bound` holds a form sent back with its errors."""
    view = selectors.case_page(ring=request.ring, staff=request.user, reference=reference)
    case = view.case
    holders = services.case_holders(case)
    version = {"version": case.version}
    context = {
        "view": view,
        "case": case,
        "is_coordinator": request.user.has_role(Role.COORDINATOR),
        "stage_form": bound.get("stage_form") or forms.StageForm(initial={**version, "stage": case.stage.key}),
        "risk_form": bound.get("risk_form") or forms.RiskForm(initial={**version, "risk": case.risk}),
        "note_form": bound.get("note_form") or forms.NoteForm(),
        "need_form": bound.get("need_form") or forms.NeedForm(),
        "task_form": bound.get("task_form") or forms.TaskForm(owners=view.assignees),
        "message_form": bound.get("message_form") or forms.MessageForm(),
        "assign_form": bound.get("assign_form") or forms.StaffChoiceForm(staff=services.assignable(case)),
        "holders": holders,
        "unassign_form": forms.StaffChoiceForm(staff=[h for h in holders if h.pk != request.user.pk]),
        "stages": Stage.objects.filter(active=True),
        "place": places.place_label(view.contacts.get("country", ""), view.contacts.get("region", "")),
    }
    context.update(checkin_panel.panel(staff=request.user, case=case, bound=bound))
    context.update(referral_panel.panel(staff=request.user, case=case, bound=bound))
    for part in CASE_PAGE_PARTS.send(ring=request.ring, staff=request.user, case=case):
        context.update(part)
    return render(request, "cases/detail.html", context, status=status)


def act(
    request: StaffRequest,
    reference: str,
    *,
    form: django_forms.Form,
    form_name: str,
    action: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Run a case action from a valid form; on a refusal, show the case again with the form's errors."""
    return form_action(
        request,
        form=form,
        action=action,
        done=done,
        success_url=reverse("cases:detail", kwargs={"reference": reference}),
        again=lambda bound: case_page_response(request, reference, status=400, **{form_name: bound}),
    )
