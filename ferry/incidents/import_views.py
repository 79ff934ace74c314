"""Import and export pages. Views stay thin: the work is in incidents.imports and incidents.exports.

The import's page does one chunk of the running phase each time it is opened, then refreshes itself
(<meta http-equiv="refresh">): the importer's own browser drives the import, so no background job ever
holds a key, and no script is needed. Closing the page pauses it; opening it again goes on."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.core.errors import FerryError, NotFound
from ferry.core.permissions import roles
from ferry.core.uploads import refused_uploads
from ferry.incidents import exports, imports
from ferry.incidents.import_forms import ExportForm, MappingForm, UploadForm
from ferry.incidents.import_models import ImportJob
from ferry.incidents.import_rows import FIELDS, NAME_SEPARATOR
from ferry.incidents.selectors import Filters

State = ImportJob.State
RUNNING = (State.CHECKING, State.IMPORTING, State.UNDOING)
# How long the running page waits before asking for the next chunk: none. The page already shows the progress
# each chunk made; a wait here would be added to every chunk (a second each was 400 s of waiting for 100,000 rows).
REFRESH_SECONDS = 0


@require_http_methods(["GET", "POST"])
@roles(Role.DOCUMENTER)
def import_start(request: StaffRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if refused_uploads(request):
            form.add_error(None, _("The file is too large: split it into several files."))
        elif form.is_valid():
            upload = form.cleaned_data["sheet"]
            try:
                job = imports.import_start(staff=request.user, handle=upload.file, name=upload.name or "")
            except FerryError as exc:
                form.add_error(None, str(exc))
            else:
                return HttpResponseRedirect(reverse("incidents:import_mapping", args=[job.pk]))
    context = {"form": form, "jobs": imports.imports_of(request.user), "fields": FIELDS, "separator": NAME_SEPARATOR}
    return render(request, "incidents/imports/start.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@roles(Role.DOCUMENTER)
def import_mapping(request: StaffRequest, job_id: str) -> HttpResponse:
    job, key = imports.access_import(ring=request.ring, staff=request.user, job_id=job_id)
    head = imports.import_head(job, key)
    form = MappingForm(request.POST or None, headings=head["headings"])
    if request.method == "POST" and form.is_valid():
        try:
            imports.import_map(ring=request.ring, staff=request.user, job_id=job.pk, mapping=form.mapping())
        except NotFound:
            raise
        except FerryError as exc:
            form.add_error(None, str(exc))
        else:
            return HttpResponseRedirect(reverse("incidents:import_page", args=[job.pk]))
    context = {"job": job, "form": form, "head": head}
    return render(request, "incidents/imports/mapping.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET"])
@roles(Role.DOCUMENTER)
def import_page(request: StaffRequest, job_id: str) -> HttpResponse:
    job = imports.import_of(staff=request.user, job_id=job_id)
    error = ""
    if job.state in RUNNING:
        try:
            job = imports.import_step(ring=request.ring, staff=request.user, job_id=job.pk)
        except NotFound:
            raise
        except FerryError as exc:
            error = str(exc)
    report = []
    if job.state in (State.CHECKED, State.STOPPED) and job.report_files:
        opened, key = imports.access_import(ring=request.ring, staff=request.user, job_id=job.pk)
        report = imports.import_report(opened, key)
    total = len(job.segments)
    context = {
        "job": job,
        "running": job.state in RUNNING and not error,
        "error": error,
        "report": report,
        "report_more": max(0, job.rows_failed - len({r.row for r in report})),
        "done_segments": min(job.cursor, total) if job.state != State.UNDOING else 0,
        "total_segments": total,
        "refresh": REFRESH_SECONDS,
    }
    return render(request, "incidents/imports/page.html", context)


DECISIONS = {
    "run": (imports.import_run, gettext_lazy("The import has begun. Keep this page open until it is done.")),
    "resume": (imports.import_resume, gettext_lazy("The import goes on from where it stopped.")),
    "undo": (imports.import_undo, gettext_lazy("Undoing the import. Keep this page open until it is done.")),
    "confirm": (
        imports.import_confirm,
        gettext_lazy("The import is confirmed; the uploaded sheet has been destroyed."),
    ),
}


@require_POST
@roles(Role.DOCUMENTER)
def import_decide(request: StaffRequest, job_id: str, action: str) -> HttpResponse:
    if action not in DECISIONS:
        raise NotFound(_("No such import."))
    decide, done = DECISIONS[action]
    try:
        decide(ring=request.ring, staff=request.user, job_id=job_id)
    except NotFound:
        raise
    except FerryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, str(done))
    return HttpResponseRedirect(reverse("incidents:import_page", args=[job_id]))


@require_http_methods(["GET", "POST"])
@roles(Role.DOCUMENTER, Role.ANALYST)
def export(request: StaffRequest) -> HttpResponse:
    """The team's export of what the clear filters select: sealed columns only where the reader holds the key."""
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        filters = Filters(
            verification=d["verification"] or "",
            country=d["country"] or "",
            subdivision=d["subdivision"] or "",
            act_type=d["act_type"],
            method=d["method"],
            perpetrator_type=d["perpetrator_type"],
            perpetrator=d["perpetrator"],
            place=d["place"],
            since=d["since"],
            until=d["until"],
        )
        made = exports.export_incidents(ring=request.ring, staff=request.user, filters=filters, kind=d["file_format"])
        response = HttpResponse(made.content, content_type=made.content_type)
        response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
        return response
    return render(request, "incidents/imports/export.html", {"form": form}, status=400 if form.errors else 200)
