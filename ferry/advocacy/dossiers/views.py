"""Dossier pages: the register with each entity's count of verified acts, a perpetrator's dossier previewed for
staff (claims, exhibits, flags) with the marks of evidence against each claim, and preparing the dossier as a
release (PDF or JSON, English or Russian). Nothing here serves a dossier: advocacy:release_download does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.advocacy.dossiers import build, claims
from ferry.advocacy.dossiers.forms import MarkForm, PrepareForm, SearchForm
from ferry.advocacy.dossiers.render import dossier_output, methodology
from ferry.advocacy.models import ClaimEvidence
from ferry.advocacy.views import release_made
from ferry.core.actions import form_action
from ferry.core.permissions import roles
from ferry.incidents.models import Involvement, Perpetrator
from ferry.incidents.services import name_key

ANALYSTS = (Role.ANALYST,)


@require_http_methods(["GET", "POST"])
@roles(*ANALYSTS)
def dossier_list(request: StaffRequest) -> HttpResponse:
    # Searched by POST: what is typed stays out of the address bar and the browser's history.
    form = SearchForm(request.POST or None)
    rows = build.verified_act_counts(Perpetrator.objects.select_related("perpetrator_type"))
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        typed = form.cleaned_data["q"].strip()
        rows = rows.filter(Q(name_key__contains=name_key(typed)) | Q(name_translit__icontains=typed))
    listed = list(rows.order_by("name_original")[:500])
    return render(request, "advocacy/dossiers/list.html", {"form": form, "rows": listed})


def _marking(dossier: build.Dossier) -> list[dict[str, Any]]:
    """For each claim: the exhibits of its incident (to mark) and the marks already made."""
    stance = dict(ClaimEvidence.Stance.choices)
    rows = []
    for claim in dossier.claims:
        marks = [(dossier.exhibit(n), stance[ClaimEvidence.Stance.SUPPORTS]) for n in claim.supported_by]
        marks += [(dossier.exhibit(n), stance[ClaimEvidence.Stance.CONTRADICTS]) for n in claim.contradicted_by]
        exhibits = [x for x in dossier.exhibits if x.event == claim.event]
        rows.append({"claim": claim, "exhibits": exhibits, "marks": marks})
    return rows


def _page(
    request: StaffRequest,
    perpetrator_id: int,
    *,
    status: int = 200,
    error: str = "",
    prepare: PrepareForm | None = None,
) -> HttpResponse:
    dossier = build.dossier_build(ring=request.ring, staff=request.user, perpetrator_id=perpetrator_id)
    language = (get_language() or "en").split("-")[0]
    context = {
        "dossier": dossier,
        "method": methodology(dossier),
        "marking": _marking(dossier),
        "stances": ClaimEvidence.Stance.choices,
        "prepare_form": prepare or PrepareForm(initial={"language": language if language in ("en", "ru") else "en"}),
        "error": error,
    }
    return render(request, "advocacy/dossiers/detail.html", context, status=status)


@require_http_methods(["GET"])
@roles(*ANALYSTS)
def dossier_detail(request: StaffRequest, perpetrator_id: int) -> HttpResponse:
    return _page(request, perpetrator_id)


def _errors(form: django_forms.Form) -> str:
    return " ".join(str(message) for messages in form.errors.values() for message in messages)


def _mark_action(
    request: StaffRequest, perpetrator_id: int, change: Callable[[dict[str, Any]], object], done: str
) -> HttpResponse:
    perpetrator = build.perpetrator_of(perpetrator_id)
    own = Involvement.objects.filter(perpetrator=perpetrator).values_list("pk", flat=True)
    form = MarkForm(request.POST, involvements=[str(pk) for pk in own])
    return form_action(
        request,
        form=form,
        action=change,
        done=done,
        success_url=reverse("advocacy:dossiers:detail", args=[perpetrator.pk]),
        again=lambda f: _page(request, perpetrator.pk, status=400, error=_errors(f)),
    )


@require_POST
@roles(*ANALYSTS)
def claim_mark(request: StaffRequest, perpetrator_id: int) -> HttpResponse:
    return _mark_action(
        request,
        perpetrator_id,
        lambda d: claims.claim_evidence_set(
            ring=request.ring,
            staff=request.user,
            involvement_id=d["involvement"],
            evidence_reference=d["evidence"],
            stance=d["stance"],
        ),
        _("Evidence marked against the claim."),
    )


@require_POST
@roles(*ANALYSTS)
def claim_unmark(request: StaffRequest, perpetrator_id: int) -> HttpResponse:
    return _mark_action(
        request,
        perpetrator_id,
        lambda d: claims.claim_evidence_remove(
            ring=request.ring, staff=request.user, involvement_id=d["involvement"], evidence_reference=d["evidence"]
        ),
        _("Mark removed."),
    )


@require_POST
@roles(*ANALYSTS)
def dossier_prepare(request: StaffRequest, perpetrator_id: int) -> HttpResponse:
    perpetrator = build.perpetrator_of(perpetrator_id)
    form = PrepareForm(request.POST)
    if not form.is_valid():
        return _page(request, perpetrator.pk, status=400, error=_errors(form), prepare=form)
    chosen = form.cleaned_data
    made = release_made(
        request,
        lambda: dossier_output(
            ring=request.ring,
            staff=request.user,
            perpetrator_id=perpetrator.pk,
            language=chosen["language"],
            format=chosen["format"],
            date_setting=chosen["dates"] or "day",
        ),
    )
    if isinstance(made, str):
        return _page(request, perpetrator.pk, status=400, error=made, prepare=form)
    return made
