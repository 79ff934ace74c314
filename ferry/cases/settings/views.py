"""Administrators' case settings: the pipeline (stages, closing reasons) and retention. Views stay thin.

Administrators see no case content here: names of stages, references, dates and counts only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.cases import retention
from ferry.cases.services import CaseError
from ferry.cases.settings import forms as admin_forms
from ferry.cases.settings import pipeline as pipeline_settings
from ferry.cases.settings.pipeline import REASON, STAGE, PipelineError
from ferry.core.errors import NotFound
from ferry.core.permissions import roles

# How the settings page names each audited change.
CHANGE_LABELS = {
    "pipeline.stage_add": gettext_lazy("Stage added"),
    "pipeline.stage_rename": gettext_lazy("Stage renamed"),
    "pipeline.stage_move": gettext_lazy("Stage moved"),
    "pipeline.stage_activate": gettext_lazy("Stage switched on"),
    "pipeline.stage_deactivate": gettext_lazy("Stage switched off"),
    "pipeline.reason_add": gettext_lazy("Closing reason added"),
    "pipeline.reason_rename": gettext_lazy("Closing reason renamed"),
    "pipeline.reason_move": gettext_lazy("Closing reason moved"),
    "pipeline.reason_activate": gettext_lazy("Closing reason switched on"),
    "pipeline.reason_deactivate": gettext_lazy("Closing reason switched off"),
    "retention.policy": gettext_lazy("Retention period changed"),
}
SHRED_LIST_LIMIT = 200


def _pipeline_page(request: StaffRequest, status: int = 200, **bound: Any) -> HttpResponse:
    counts = pipeline_settings.cases_per_stage()
    stages = pipeline_settings.pipeline_items(STAGE)
    context = {
        "stages": [(stage, counts.get(stage.pk, 0)) for stage in stages],
        "reasons": pipeline_settings.pipeline_items(REASON),
        "problems": pipeline_settings.pipeline_problems(),
        "changes": [(c, CHANGE_LABELS.get(c.action, c.action)) for c in pipeline_settings.pipeline_changes()],
        "stage_form": bound.get("stage_form") or admin_forms.NamesForm(prefix=STAGE),
        "reason_form": bound.get("reason_form") or admin_forms.NamesForm(prefix=REASON),
    }
    return render(request, "cases/settings/pipeline.html", context, status=status)


@require_GET
@roles(Role.ADMINISTRATOR)
def pipeline(request: StaffRequest) -> HttpResponse:
    return _pipeline_page(request)


@require_POST
@roles(Role.ADMINISTRATOR)
def item_add(request: StaffRequest, kind: str) -> HttpResponse:
    admin = request.user
    form = admin_forms.NamesForm(request.POST, prefix=kind)
    if form.is_valid():
        try:
            pipeline_settings.pipeline_item_add(by=admin, kind=kind, **form.cleaned_data)
        except PipelineError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Added. Move it up or down to where it belongs."))
            return redirect("cases:settings")
    return _pipeline_page(request, status=400, **{f"{kind}_form": form})


@require_http_methods(["GET", "POST"])
@roles(Role.ADMINISTRATOR)
def item_edit(request: StaffRequest, kind: str, pk: int) -> HttpResponse:
    admin = request.user
    item = pipeline_settings.pipeline_item(kind, pk)
    form = admin_forms.NamesForm(request.POST or None, initial={"name_en": item.name_en, "name_ru": item.name_ru})
    if request.method == "POST" and form.is_valid():
        try:
            pipeline_settings.pipeline_item_rename(by=admin, kind=kind, pk=pk, **form.cleaned_data)
        except PipelineError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Renamed. Cases at it show the new name at once."))
            return redirect("cases:settings")
    status = 400 if form.is_bound else 200
    return render(request, "cases/settings/edit.html", {"item": item, "kind": kind, "form": form}, status=status)


def _change(request: StaffRequest, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except NotFound:
        raise
    except PipelineError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("cases:settings")


@require_POST
@roles(Role.ADMINISTRATOR)
def item_move(request: StaffRequest, kind: str, pk: int) -> HttpResponse:
    admin = request.user
    up = request.POST.get("direction") == "up"
    return _change(
        request,
        lambda: pipeline_settings.pipeline_item_move(by=admin, kind=kind, pk=pk, up=up),
        _("Moved."),
    )


@require_POST
@roles(Role.ADMINISTRATOR)
def item_active(request: StaffRequest, kind: str, pk: int) -> HttpResponse:
    admin = request.user
    active = request.POST.get("active") == "1"
    return _change(
        request,
        lambda: pipeline_settings.pipeline_item_set_active(by=admin, kind=kind, pk=pk, active=active),
        _("Switched on.") if active else _("Switched off. Past cases keep it; it is no longer offered."),
    )


@require_http_methods(["GET", "POST"])
@roles(Role.ADMINISTRATOR)
def retention_settings(request: StaffRequest) -> HttpResponse:
    admin = request.user
    days = retention.retention_days()
    form = admin_forms.RetentionForm(request.POST or None, initial={"days": days})
    if request.method == "POST" and form.is_valid():
        try:
            retention.retention_policy_set(by=admin, days=form.cleaned_data["days"])
        except CaseError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The retention period was saved."))
            return redirect("cases:settings_retention")
    closed = retention.closed_cases()
    rows = [
        (case, case.closed_at + timedelta(days=days) if days and case.closed_at else None)
        for case in closed[:SHRED_LIST_LIMIT]
    ]
    context = {
        "form": form,
        "policy": retention.retention_policy(),
        "days": days,
        "rows": rows,
        "closed_count": closed.count(),
        "limit": SHRED_LIST_LIMIT,
    }
    return render(request, "cases/settings/retention.html", context, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@roles(Role.ADMINISTRATOR)
def shred_case(request: StaffRequest, reference: str) -> HttpResponse:
    admin = request.user
    case = retention.closed_case(reference)
    form = admin_forms.ShredForm(request.POST or None, expected=case.reference)
    if request.method == "POST" and form.is_valid():
        retention.case_shred(by=admin, reference=case.reference)
        messages.success(
            request,
            _("Case %(reference)s was shredded. Only its statistics remain.") % {"reference": case.reference},
        )
        return redirect("cases:settings_retention")
    return render(
        request, "cases/settings/shred.html", {"case": case, "form": form}, status=400 if form.is_bound else 200
    )
