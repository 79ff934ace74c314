"""Pages of the government response tracker: the governments and bodies, one government's timeline and
scorecard with its forms, the overview across all of them, and the scorecards handed on as releases. Views
stay thin: writes go through tracker.services, reads through tracker.selectors."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.advocacy.models import Government
from ferry.advocacy.tracker import forms, outputs, selectors, services
from ferry.advocacy.views import release_made
from ferry.core.actions import form_action
from ferry.core.errors import NotFound
from ferry.core.permissions import roles

ANALYSTS = (Role.ANALYST,)


def _government(government_id: int) -> Government:
    government = Government.objects.filter(pk=government_id).first()
    if government is None:
        raise NotFound(_("No such government or body."))
    return government


def _days_form(request: StaffRequest) -> forms.DaysForm:
    return forms.DaysForm(request.GET if "after" in request.GET else None)


# ---------------------------------------------------------------------------------------------- governments


@require_http_methods(["GET", "POST"])
@roles(*ANALYSTS)
def government_list(request: StaffRequest) -> HttpResponse:
    form = forms.GovernmentForm(request.POST or None)
    if request.method == "POST":
        return form_action(
            request,
            form=form,
            action=lambda d: services.government_create(staff=request.user, **d),
            done=_("Government or body added."),
            success_url=reverse("advocacy:tracker:governments"),
            again=lambda f: _list_page(request, f, status=400),
        )
    return _list_page(request, form)


def _list_page(request: StaffRequest, form: django_forms.Form, status: int = 200) -> HttpResponse:
    rows = list(selectors.governments_listed())
    return render(request, "advocacy/tracker/governments.html", {"rows": rows, "form": form}, status=status)


@require_POST
@roles(*ANALYSTS)
def governments_seed(request: StaffRequest) -> HttpResponse:
    added = services.governments_seed(staff=request.user)
    done = ngettext("%(count)d government or body added.", "%(count)d governments and bodies added.", len(added))
    messages.success(request, done % {"count": len(added)})
    return HttpResponseRedirect(reverse("advocacy:tracker:governments"))


@require_http_methods(["GET", "POST"])
@roles(*ANALYSTS)
def government_edit(request: StaffRequest, government_id: int) -> HttpResponse:
    government = _government(government_id)
    initial = {f: getattr(government, f) for f in ("kind", "name_en", "name_ru", "country")}
    form = forms.GovernmentForm(request.POST or None, initial=initial)

    def again(f: django_forms.Form, status: int = 400) -> HttpResponse:
        context = {"government": government, "form": f}
        return render(request, "advocacy/tracker/government_edit.html", context, status=status)

    if request.method == "GET":
        return again(form, status=200)
    return form_action(
        request,
        form=form,
        action=lambda d: services.government_update(staff=request.user, government=government, **d),
        done=_("Saved."),
        success_url=reverse("advocacy:tracker:government", args=[government.pk]),
        again=again,
    )


# ------------------------------------------------------------------------------------------ one government


def _government_page(
    request: StaffRequest, government: Government, status: int = 200, error: str = "", **forms_: Any
) -> HttpResponse:
    days = forms_.get("days_form") or _days_form(request)
    after = days.days()
    context = {
        "government": government,
        "timeline": selectors.timeline(government),
        "card": selectors.scorecard(government, after_days=after),
        "days_form": days,
        # Each form its own ids: two "kind" fields on one page must not share one label's target.
        "ask_form": forms_.get("ask_form") or forms.AskForm(auto_id="ask_%s"),
        "response_form": forms_.get("response_form")
        or forms.ResponseForm(government=government, auto_id="response_%s"),
        "release_form": forms_.get("release_form") or forms.ReleaseForm(initial={"after": after}, prefix="release"),
        "error": error,
    }
    return render(request, "advocacy/tracker/government.html", context, status=status)


@require_GET
@roles(*ANALYSTS)
def government_detail(request: StaffRequest, government_id: int) -> HttpResponse:
    return _government_page(request, _government(government_id))


@require_POST
@roles(*ANALYSTS)
def ask_add(request: StaffRequest, government_id: int) -> HttpResponse:
    government = _government(government_id)
    form = forms.AskForm(request.POST, auto_id="ask_%s")
    return form_action(
        request,
        form=form,
        action=lambda _d: services.ask_create(staff=request.user, government=government, **form.service_arguments()),
        done=_("Ask recorded."),
        success_url=reverse("advocacy:tracker:government", args=[government.pk]),
        again=lambda f: _government_page(request, government, status=400, ask_form=f),
    )


@require_POST
@roles(*ANALYSTS)
def response_add(request: StaffRequest, government_id: int) -> HttpResponse:
    government = _government(government_id)
    form = forms.ResponseForm(request.POST, government=government, auto_id="response_%s")
    return form_action(
        request,
        form=form,
        action=lambda d: services.response_record(staff=request.user, government=government, **d),
        done=_("Response recorded."),
        success_url=reverse("advocacy:tracker:government", args=[government.pk]),
        again=lambda f: _government_page(request, government, status=400, response_form=f),
    )


@require_POST
@roles(*ANALYSTS)
def scorecard_release(request: StaffRequest, government_id: int) -> HttpResponse:
    """The scorecard as a CSV, handed on as a release (small incident counts suppressed)."""
    government = _government(government_id)
    form = forms.ReleaseForm(request.POST, prefix="release")
    if not form.is_valid():
        return _government_page(request, government, status=400, release_form=form)
    after, threshold = form.cleaned_data["after"], form.cleaned_data["threshold"]
    made = release_made(
        request,
        lambda: outputs.scorecard_output(selectors.scorecard(government, after_days=after), threshold=threshold),
    )
    if isinstance(made, str):
        return _government_page(request, government, status=400, error=made, release_form=form)
    return made


# ------------------------------------------------------------------------------------------------ overview


def _overview_page(
    request: StaffRequest, days: forms.DaysForm, status: int = 200, error: str = "", release_form: Any = None
) -> HttpResponse:
    after = days.days()
    context = {
        "view": selectors.overview(after_days=after),
        "days_form": days,
        "release_form": release_form or forms.DaysForm(initial={"after": after}, prefix="release"),
        "error": error,
    }
    return render(request, "advocacy/tracker/overview.html", context, status=status)


@require_GET
@roles(*ANALYSTS)
def overview(request: StaffRequest) -> HttpResponse:
    return _overview_page(request, _days_form(request))


@require_POST
@roles(*ANALYSTS)
def overview_release(request: StaffRequest) -> HttpResponse:
    form = forms.DaysForm(request.POST, prefix="release")
    if not form.is_valid():
        return _overview_page(request, forms.DaysForm(), status=400, release_form=form)
    after = form.cleaned_data["after"]
    made = release_made(request, lambda: outputs.overview_output(selectors.overview(after_days=after)))
    if isinstance(made, str):
        return _overview_page(request, forms.DaysForm(), status=400, error=made, release_form=form)
    return made
