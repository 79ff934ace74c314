"""Case pages: my cases, the coordinators' board, a case's page and its actions. Views stay thin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ferry.accounts.models import Role
from ferry.cases import forms, selectors, services
from ferry.cases.checkins import services as checkins
from ferry.cases.models import Case, Stage
from ferry.cases.referrals import services as referrals
from ferry.core.actions import form_action
from ferry.intake import places, triage
from ferry.intake.services import IntakeError


def _staff_only(request: HttpRequest) -> None:
    user = request.user
    if not (user.has_role(Role.CASEWORKER) or user.has_role(Role.COORDINATOR)):  # type: ignore[union-attr]
        raise PermissionDenied(_("You do not have the role needed for this."))


def _filters(request: HttpRequest) -> tuple[forms.FilterForm, selectors.Filters]:
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
def my_cases(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form, filters = _filters(request)
    rows = selectors.my_cases(ring=request.ring, staff=request.user, filters=filters)  # type: ignore[attr-defined,arg-type]
    return render(request, "cases/mine.html", {"rows": rows, "filter_form": form})


@require_http_methods(["GET", "POST"])
def board(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(Role.COORDINATOR):  # type: ignore[union-attr]
        raise PermissionDenied(_("You do not have the role needed for this."))
    form, filters = _filters(request)
    result = selectors.board(ring=request.ring, staff=request.user, filters=filters)  # type: ignore[attr-defined,arg-type]
    return render(request, "cases/board.html", {"board": result, "filter_form": form})


def _page(request: HttpRequest, reference: str, status: int = 200, **bound: Any) -> HttpResponse:
    _staff_only(request)
    try:
        view = selectors.case_page(ring=request.ring, staff=request.user, reference=reference)  # type: ignore[attr-defined,arg-type]
    except services.CaseNotFound:
        raise Http404 from None
    case = view.case
    version = {"version": case.version}
    coordinator = request.user.has_role(Role.COORDINATOR)  # type: ignore[union-attr]
    context = {
        "view": view,
        "case": case,
        "is_coordinator": coordinator,
        "stage_form": bound.get("stage_form") or forms.StageForm(initial={**version, "stage": case.stage.key}),
        "risk_form": bound.get("risk_form") or forms.RiskForm(initial={**version, "risk": case.risk}),
        "note_form": bound.get("note_form") or forms.NoteForm(),
        "need_form": bound.get("need_form") or forms.NeedForm(),
        "task_form": bound.get("task_form") or forms.TaskForm(owners=view.assignees),
        "message_form": bound.get("message_form") or forms.MessageForm(),
        "assign_form": bound.get("assign_form") or forms.StaffChoiceForm(staff=services.assignable(case)),
        "unassign_form": forms.StaffChoiceForm(staff=view.assignees),
        "stages": Stage.objects.filter(active=True),
        "place": places.place_label(view.contacts.get("country", ""), view.contacts.get("region", "")),
    }
    context.update(checkins.panel(request=request, case=case, bound=bound))
    context.update(referrals.panel(request=request, case=case, bound=bound))
    return render(request, "cases/detail.html", context, status=status)


@require_GET
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _page(request, reference)


def act(
    request: HttpRequest,
    reference: str,
    *,
    form: django_forms.Form,
    form_name: str,
    action: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Run a case action from a valid form; on a refusal, show the case again with the form's errors."""
    _staff_only(request)
    return form_action(
        request,
        form=form,
        action=action,
        done=done,
        success_url=reverse("cases:detail", kwargs={"reference": reference}),
        refused=(services.CaseError, IntakeError),
        missing=(services.CaseNotFound,),
        again=lambda bound: _page(request, reference, status=400, **{form_name: bound}),
    )


def _who(request: HttpRequest, reference: str) -> dict[str, Any]:
    return {"ring": request.ring, "staff": request.user, "reference": reference}  # type: ignore[attr-defined]


@require_POST
def stage(request: HttpRequest, reference: str) -> HttpResponse:
    return act(
        request,
        reference,
        form=forms.StageForm(request.POST),
        form_name="stage_form",
        action=lambda d: services.stage_change(
            **_who(request, reference),
            version=d["version"],
            stage_key=d["stage"],
            reason_key=d["reason"] or "",
            note=d["note"],
        ),
        done=_("Stage changed."),
    )


@require_POST
def risk(request: HttpRequest, reference: str) -> HttpResponse:
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
def note(request: HttpRequest, reference: str) -> HttpResponse:
    return act(
        request,
        reference,
        form=forms.NoteForm(request.POST),
        form_name="note_form",
        action=lambda d: services.note_add(**_who(request, reference), text=d["text"]),
        done=_("Note added."),
    )


def _case_or_404(reference: str) -> Case:
    case = Case.objects.filter(reference=reference).first()
    if case is None:
        raise Http404
    return case


@require_POST
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(reference)
    return act(
        request,
        reference,
        form=forms.StaffChoiceForm(request.POST, staff=services.assignable(case)),
        form_name="assign_form",
        action=lambda d: services.assign(**_who(request, reference), staff_id=d["staff"]),
        done=_("Added to the case."),
    )


@require_POST
def unassign(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(reference)
    people = [a.staff for a in case.assignments.select_related("staff")]
    return act(
        request,
        reference,
        form=forms.StaffChoiceForm(request.POST, staff=people),
        form_name="unassign_form",
        action=lambda d: services.unassign(**_who(request, reference), staff_id=d["staff"]),
        done=_("Removed from the case; the case was re-keyed."),
    )


@require_POST
def need(request: HttpRequest, reference: str) -> HttpResponse:
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
def task_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(reference)
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
def task_done(request: HttpRequest, reference: str, task_id: Any) -> HttpResponse:
    return act(
        request,
        reference,
        form=forms.EmptyForm(request.POST),
        form_name="done_form",
        action=lambda d: services.task_done(**_who(request, reference), task_id=task_id),
        done=_("Task done."),
    )


@require_POST
def message(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(reference)
    if case.request_id is None:
        raise Http404
    return act(
        request,
        reference,
        form=forms.MessageForm(request.POST),
        form_name="message_form",
        action=lambda d: triage.reply(**_who(request, reference), text=d["text"]),
        done=_("Your message is in the person's mailbox."),
    )
