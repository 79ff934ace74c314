"""Advocacy pages: the statistics builder and the releases (prepared, approved by a second analyst,
downloaded, withdrawn). Views stay thin; every output for outsiders is served by `release_download` only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.advocacy import noise, outputs, pathway, releases, reports, statistics
from ferry.advocacy.door import release_door
from ferry.advocacy.forms import PathwayForm, ReportForm, StatisticsForm
from ferry.advocacy.models import Release
from ferry.advocacy.releases import Output
from ferry.core.errors import FerryError, NotFound
from ferry.core.permissions import roles
from ferry.incidents import tallies
from ferry.incidents.tasks import tallies_refresh

ANALYSTS = (Role.ANALYST,)
# Outputs larger than this are streamed (an export of a million rows); smaller ones are sent in one piece.
STREAM_FROM = 4 * 1024 * 1024


def release_made(request: StaffRequest, make: Callable[[], Output]) -> HttpResponse | str:
    """Make an output and prepare it as a release, then show the release; or the person's error message
    (the caller shows its page again with it). The one way a builder hands an output on."""
    try:
        release = releases.release_prepare(ring=request.ring, staff=request.user, output=make())
    except NotFound:
        raise
    except FerryError as exc:
        return str(exc)
    messages.success(request, _("Release prepared. Another analyst must look at it and approve it."))
    return HttpResponseRedirect(reverse("advocacy:release", args=[release.reference]))


@require_http_methods(["GET", "POST"])
@roles(*ANALYSTS)
def statistics_page(request: StaffRequest) -> HttpResponse:
    """Ask a question, see the protected table (what would be published, never the raw counts), and prepare
    it as a release: a table, a chart or a map."""
    if request.POST.get("action") == "recount":
        tallies_refresh.enqueue()
        messages.success(request, _("Counting again. New figures are used as soon as the count is done."))
        return HttpResponseRedirect(reverse("advocacy:statistics"))
    form = StatisticsForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "budget": noise.budget(), "tallies": tallies.state()}
    if not form.is_bound:
        return render(request, "advocacy/statistics.html", context)
    if not form.is_valid():
        return render(request, "advocacy/statistics.html", context, status=400)
    language = form.cleaned_data["language"]
    try:
        table = statistics.answer(form.question(), form.settings(), language=language, title=form.cleaned_data["title"])
        context["table"] = table
        if request.POST.get("action") == "release":
            made = release_made(request, lambda: outputs.table_output(table, form.cleaned_data["output"], language))
            if not isinstance(made, str):
                return made
            form.add_error(None, made)
    except FerryError as exc:
        form.add_error(None, str(exc))
    status = 400 if form.errors else 200
    return render(request, "advocacy/statistics.html", context, status=status)


@require_http_methods(["GET", "POST"])
@roles(*ANALYSTS)
def pathway_page(request: StaffRequest) -> HttpResponse:
    """Days from a case's opening to safety, by year, as a protected table and a release."""
    form = PathwayForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        table = pathway.pathway_table(
            year_from=d["year_from"], year_to=d["year_to"], threshold=d["threshold"], language=d["language"]
        )
        context["table"] = table
        if request.POST.get("action") == "release":
            made = release_made(request, lambda: outputs.table_output(table, d["output"] or "csv", d["language"]))
            if not isinstance(made, str):
                return made
            form.add_error(None, made)
    return render(request, "advocacy/pathway.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@roles(*ANALYSTS)
def report_page(request: StaffRequest) -> HttpResponse:
    """Assemble a PDF report from approved tables, charts and maps, with text; it becomes a release."""
    form = ReportForm(request.POST or None)
    listed = reports.components()
    keys = request.ring.keys_for([r.key_set for r in listed]) if request.ring else {}
    rows = [(r, releases.release_card(r, keys[r.key_set_id])["title"]) for r in listed if r.key_set_id in keys]
    chosen = request.POST.getlist("part")
    # What was typed comes back with the page when something is wrong.
    shown = [
        (r, title, request.POST.get(f"caption-{r.reference}", ""), request.POST.get(f"position-{r.reference}", ""))
        for r, title in rows
    ]
    context: dict[str, Any] = {"form": form, "rows": shown, "chosen": chosen}
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        order = {r.reference: n for n, (r, _title) in enumerate(rows)}
        picked = sorted((ref for ref in chosen if ref in order), key=lambda ref: (_position(request, ref), order[ref]))
        parts = [(ref, request.POST.get(f"caption-{ref}", "")[:2000]) for ref in picked]

        def make() -> Output:
            return reports.report_output(
                ring=request.ring,
                staff=request.user,
                title=d["title"],
                language=d["language"],
                introduction=d["introduction"],
                conclusion=d["conclusion"],
                parts=parts,
            )

        made = release_made(request, make)
        if not isinstance(made, str):
            return made
        form.add_error(None, made)
    return render(request, "advocacy/report.html", context, status=400 if form.errors else 200)


def _position(request: StaffRequest, reference: str) -> int:
    try:
        return int(request.POST.get(f"position-{reference}", "") or 999)
    except ValueError:
        return 999


@require_GET
@roles(*ANALYSTS)
def release_list(request: StaffRequest) -> HttpResponse:
    listed = list(releases.releases_listed()[:500])
    keys = request.ring.keys_for([r.key_set for r in listed]) if request.ring else {}
    rows = [(r, releases.release_card(r, keys[r.key_set_id]) if r.key_set_id in keys else None) for r in listed]
    return render(request, "advocacy/releases.html", {"rows": rows})


def _release_page(request: StaffRequest, reference: str, status: int = 200, error: str = "") -> HttpResponse:
    release, key = releases.access_release(ring=request.ring, staff=request.user, reference=reference)
    context = {
        "release": release,
        "asked": _words(release.question),
        "settings": _words(release.disclosure),
        "hidden": _words(release.suppressed),
        "card": releases.release_card(release, key),
        "may_approve": release.state == Release.State.PENDING and release.prepared_by_id != request.user.pk,
        "error": error,
    }
    return render(request, "advocacy/release.html", context, status=status)


def _words(record: dict[str, Any]) -> list[tuple[str, str]]:
    """A release's clear record as short lines ("rows: subdivision, period"), leaving out what is empty."""
    lines = []
    for name, value in record.items():
        if value in ("", None, [], {}, 0.0) and value is not False:
            continue
        if isinstance(value, list):
            shown = "; ".join(" / ".join(map(str, v)) if isinstance(v, list) else str(v) for v in value)
        elif isinstance(value, dict):
            shown = "; ".join(f"{k}: {v}" for k, v in value.items() if v not in ("", None, [], {}))
        else:
            shown = str(value)
        lines.append((name.replace("_", " "), shown))
    return lines


@require_GET
@roles(*ANALYSTS)
def release_detail(request: StaffRequest, reference: str) -> HttpResponse:
    return _release_page(request, reference)


def _change(request: StaffRequest, reference: str, change: Callable[..., Release], done: str) -> HttpResponse:
    try:
        change(ring=request.ring, staff=request.user, reference=reference)
    except NotFound:
        raise
    except FerryError as exc:
        return _release_page(request, reference, status=400, error=str(exc))
    messages.success(request, done)
    return HttpResponseRedirect(reverse("advocacy:release", args=[reference]))


@require_POST
@roles(*ANALYSTS)
def release_approve(request: StaffRequest, reference: str) -> HttpResponse:
    return _change(request, reference, releases.release_approve, _("Release approved. It can now be published."))


@require_POST
@roles(*ANALYSTS)
def release_withdraw(request: StaffRequest, reference: str) -> HttpResponse:
    done = _("Release withdrawn. Its output is no longer served.")
    return _change(request, reference, releases.release_withdraw, done)


@require_GET
@roles(*ANALYSTS)
@release_door
def release_download(request: StaffRequest, reference: str) -> HttpResponse:
    """The one route by which an output leaves Ferry (tests/advocacy/test_release_door.py walks the others)."""
    try:
        served = releases.release_stream(ring=request.ring, staff=request.user, reference=reference)
        small = b"".join(served.chunks) if served.release.size <= STREAM_FROM else None
    except NotFound:
        raise
    except FerryError as exc:
        return _release_page(request, reference, status=400, error=str(exc))
    response: HttpResponseBase
    if small is not None:
        response = HttpResponse(small, content_type=served.content_type)
    else:
        # Checked again as it goes: a mismatch breaks the response off short of its Content-Length.
        response = StreamingHttpResponse(served.chunks, content_type=served.content_type)
        response["Content-Length"] = str(served.release.size)
    shown = request.GET.get("view") == "1" and served.release.format in {"png", "svg"}
    disposition = "inline" if shown else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{served.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response["X-Release-SHA256"] = served.release.sha256
    # core.permissions' View is bound to HttpResponse; a streamed one is an HttpResponseBase all the same.
    return cast(HttpResponse, response)
