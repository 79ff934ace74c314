"""Case pages: my cases, the coordinators' board, a case's page and its actions. Views stay thin.

Every view declares its roles; every view that names a case opens it through its door (access_case)
before anything else is looked up, so a case one may not open answers exactly like one that is missing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ferry.accounts import dashboard as account_dashboard
from ferry.accounts.alerts import duress_alerts_open
from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.cases import forms, selectors, services, staff_duress
from ferry.cases.models import Case
from ferry.cases.page import act, case_page_response
from ferry.core.actions import form_action
from ferry.core.errors import NotFound
from ferry.core.permissions import roles
from ferry.intake import triage

CASE_ROLES = services.CASE_ROLES


def _filters(request: StaffRequest) -> tuple[forms.FilterForm, selectors.Filters]:
    # Sent by POST: a name typed into search must not end up in the address bar or the browser's history.
    form = forms.FilterForm(request.POST or request.GET or None)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        return form, selectors.Filters(
            stage=d["stage"] or "",
            risk=d["risk"] or "",
            overdue=bool(d["overdue"]),
            assignee=d["assignee"] or None,
            query=d["q"] or "",
        )
    return form, selectors.Filters()


@require_http_methods(["GET", "POST"])
@roles(*CASE_ROLES)
def my_cases(request: StaffRequest) -> HttpResponse:
    form, filters = _filters(request)
    rows = selectors.my_cases(ring=request.ring, staff=request.user, filters=filters)
    return render(request, "cases/mine.html", {"rows": rows, "filter_form": form})


@require_http_methods(["GET", "POST"])
@roles(Role.COORDINATOR)
def board(request: StaffRequest) -> HttpResponse:
    form, filters = _filters(request)
    result = selectors.board(ring=request.ring, staff=request.user, filters=filters)
    return render(request, "cases/board.html", {"board": result, "filter_form": form})


@require_GET
@roles(*CASE_ROLES)
def detail(request: StaffRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    if case.request is not None:
        # Messages sealed before the conversation was split off move into it, so the person sees them again.
        triage.conversation_settle(ring=request.ring, staff=request.user, request=case.request)
    return case_page_response(request, reference)


def _who(request: StaffRequest, reference: str) -> dict[str, Any]:
    return {"ring": request.ring, "staff": request.user, "reference": reference}


def _case(request: StaffRequest, reference: str) -> Case:
    """The case through its door, for a form that needs to know who is on it."""
    return services.access_case(ring=request.ring, staff=request.user, reference=reference).record


@require_POST
@roles(*CASE_ROLES)
def stage(request: StaffRequest, reference: str) -> HttpResponse:
    moves: list[services.StageMoved] = []
    response = act(
        request,
        reference,
        form=forms.StageForm(request.POST),
        form_name="stage_form",
        action=lambda d: moves.append(
            services.stage_change(
                **_who(request, reference),
                version=d["version"],
                stage_key=d["stage"],
                reason_key=d["reason"] or "",
                note=d["note"],
            )
        ),
        done=_("Stage changed."),
    )
    # Said after "Stage changed.": what the move did to the check-ins, which nobody should have to guess.
    for moved in moves:
        if moved.plan_ended:
            messages.warning(
                request,
                _(
                    "The case is closed, so its check-in plan has ended: nobody is alerted any more if the "
                    "person goes silent."
                ),
            )
        if moved.plan_stopped:
            messages.warning(
                request,
                _(
                    "The case is open again. Its check-in plan is still stopped: set it again under Check-ins "
                    "if the person should check in."
                ),
            )
    return response


@require_POST
@roles(*CASE_ROLES)
def risk(request: StaffRequest, reference: str) -> HttpResponse:
    return act(
        request,
        reference,
        form=forms.RiskForm(request.POST),
        form_name="risk_form",
        action=lambda d: services.risk_change(
            **_who(request, reference), version=d["version"], risk=d["risk"], reason=d["reason"]
        ),
        done=_("Risk level saved."),
    )


@require_POST
@roles(*CASE_ROLES)
def note(request: StaffRequest, reference: str) -> HttpResponse:
    return act(
        request,
        reference,
        form=forms.NoteForm(request.POST),
        form_name="note_form",
        action=lambda d: services.note_add(**_who(request, reference), text=d["text"]),
        done=_("Note added."),
    )


@require_POST
@roles(Role.COORDINATOR)
def assign(request: StaffRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    return act(
        request,
        reference,
        form=forms.StaffChoiceForm(request.POST, staff=services.assignable(case)),
        form_name="assign_form",
        action=lambda d: services.case_assign(**_who(request, reference), staff_id=d["staff"]),
        done=_("Added to the case."),
    )


@require_POST
@roles(Role.COORDINATOR)
def unassign(request: StaffRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    people = services.case_holders(case)
    return act(
        request,
        reference,
        form=forms.StaffChoiceForm(request.POST, staff=people),
        form_name="unassign_form",
        action=lambda d: services.case_unassign(**_who(request, reference), staff_id=d["staff"]),
        done=_("Their access is removed; the case was re-keyed."),
    )


@require_POST
@roles(*CASE_ROLES)
def need(request: StaffRequest, reference: str) -> HttpResponse:
    return act(
        request,
        reference,
        form=forms.NeedForm(request.POST),
        form_name="need_form",
        action=lambda d: services.need_set(
            **_who(request, reference), kind=d["kind"], status=d["status"], detail=d["detail"]
        ),
        done=_("Need saved."),
    )


@require_POST
@roles(*CASE_ROLES)
def task_add(request: StaffRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    owners = [a.staff for a in case.assignments.select_related("staff")]
    return act(
        request,
        reference,
        form=forms.TaskForm(request.POST, owners=owners),
        form_name="task_form",
        action=lambda d: services.task_add(
            **_who(request, reference), title=d["title"], due_on=d["due_on"], owner_id=d["owner"]
        ),
        done=_("Task added."),
    )


@require_POST
@roles(*CASE_ROLES)
def task_done(request: StaffRequest, reference: str, task_id: Any) -> HttpResponse:
    return act(
        request,
        reference,
        form=forms.EmptyForm(request.POST),
        form_name="done_form",
        action=lambda d: services.task_done(**_who(request, reference), task_id=task_id),
        done=_("Task done."),
    )


@require_POST
@roles(*CASE_ROLES)
def message(request: StaffRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    if case.request_id is None:
        raise NotFound(_("No such case."))
    return act(
        request,
        reference,
        form=forms.MessageForm(request.POST),
        form_name="message_form",
        action=lambda d: triage.request_reply(**_who(request, reference), text=d["text"]),
        done=_("Your message is in the person's mailbox."),
    )


@require_POST
@roles(Role.COORDINATOR, Role.ADMINISTRATOR)
def duress_acknowledge(request: StaffRequest, staff_id: int) -> HttpResponse:
    """Acknowledge a colleague's duress login with a note. Only someone it was sent to, in a real session (a
    duress session holds no alerts), and the same 404 whether the colleague exists or not."""
    if request.staff_session.duress or not duress_alerts_open(recipient=request.user, about_id=staff_id):
        raise NotFound(_("No such alert."))

    def again(bound: Any) -> HttpResponse:
        error = " ".join(str(e) for errors in bound.errors.values() for e in errors)
        entry = account_dashboard.duress_entry_of(request, staff_id, error=error)
        if entry is None:
            raise NotFound(_("No such alert."))
        return render(request, "cases/duress_acknowledge.html", {"entry": entry}, status=400)

    return form_action(
        request,
        form=forms.DuressAcknowledgeForm(request.POST),
        action=lambda d: staff_duress.duress_acknowledge(
            ring=request.ring, staff=request.user, about_id=staff_id, note=d["note"]
        ),
        done=_("Acknowledged for everyone who was alerted."),
        success_url=reverse("core:dashboard"),
        again=again,
    )
