"""Evidence pages: an incident's items and adding one, an item's page and its actions (download, working copy,
hand-over, re-check, custody report), and verifying every item. Thin: the services decide."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms as django_forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import decorator_from_middleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.core.actions import form_action
from ferry.core.csrf import CsrfViewMiddleware
from ferry.core.permissions import roles
from ferry.core.uploads import BoundedMemoryUploadHandler, refused_uploads
from ferry.incidents import custody_report, custody_runs
from ferry.incidents import evidence as services
from ferry.incidents.custody import chain_verify, custody_detail
from ferry.incidents.custody_report import detail_text
from ferry.incidents.evidence_forms import CopyForm, EvidenceForm, HandoverForm
from ferry.incidents.models import CustodyEvent, Evidence
from ferry.incidents.services import access_incident

csrf_protect = decorator_from_middleware(CsrfViewMiddleware)


class EvidenceUploadHandler(BoundedMemoryUploadHandler):
    """One evidence file per request, in memory, up to FERRY_EVIDENCE_MAX_FILE_BYTES (videos are large)."""

    def max_file_bytes(self) -> int:
        return int(settings.FERRY_EVIDENCE_MAX_FILE_BYTES)

    def max_total_bytes(self) -> int:
        return int(settings.FERRY_EVIDENCE_MAX_FILE_BYTES)


def evidence_upload(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Use the evidence upload limit for this view. The handlers must be set before the body is read, which the
    CSRF check does: so the check runs here, after them (the same check the middleware runs everywhere)."""
    protected = cast(Callable[..., HttpResponse], csrf_protect(view))

    @wraps(view)  # keeps the roles the view declared (core.permissions.declared_roles)
    def with_handlers(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers = [EvidenceUploadHandler(request)]
        return protected(request, *args, **kwargs)

    return csrf_exempt(with_handlers)


def _who(request: StaffRequest) -> dict[str, Any]:
    return {"ring": request.ring, "staff": request.user}


def _too_large(request: HttpRequest, form: django_forms.Form) -> None:
    if refused_uploads(request):
        mb = settings.FERRY_EVIDENCE_MAX_FILE_BYTES // (1024 * 1024)
        form.add_error("file", _("The file is larger than %(mb)d MB: nothing was saved.") % {"mb": mb})


def _content(form: django_forms.Form) -> tuple[bytes, str, str]:
    upload = form.cleaned_data["file"]
    return upload.read(), upload.name or "", upload.content_type or "application/octet-stream"


# ------------------------------------------------------------------------------------- an incident's items


def _incident_page(request: StaffRequest, reference: str, form: EvidenceForm | None = None) -> HttpResponse:
    incident, _key = access_incident(**_who(request), reference=reference)
    items = list(
        Evidence.objects.filter(incident=incident)
        .select_related("key_set", "original", "acquired_by")
        .order_by("acquired_at", "reference")
    )
    keys = request.ring.keys_for([item.key_set for item in items])
    rows = [
        (item, services.EvidenceRecord.of(keys[item.key_set_id], item) if item.key_set_id in keys else None)
        for item in items
    ]
    context = {
        "incident": incident,
        "rows": rows,
        "form": form or EvidenceForm(),
        "is_documenter": request.user.has_role(Role.DOCUMENTER),
        "max_mb": settings.FERRY_EVIDENCE_MAX_FILE_BYTES // (1024 * 1024),
    }
    return render(request, "incidents/evidence/incident.html", context, status=400 if form is not None else 200)


@require_GET
@roles(*services.EVIDENCE_ROLES)
def evidence_incident(request: StaffRequest, reference: str) -> HttpResponse:
    """An incident's evidence: every item (names only where the viewer can open them) and the form to add one."""
    return _incident_page(request, reference)


@evidence_upload
@require_http_methods(["GET", "POST"])
@roles(Role.DOCUMENTER)
def evidence_add(request: StaffRequest, reference: str) -> HttpResponse:
    if request.method != "POST":
        return _incident_page(request, reference)
    form = EvidenceForm(request.POST, request.FILES)
    _too_large(request, form)

    def add(data: dict[str, Any]) -> None:
        content, name, content_type = _content(form)
        services.evidence_add(
            **_who(request),
            reference=reference,
            content=content,
            data=services.EvidenceData(
                name=name,
                content_type=content_type,
                kind=data["kind"],
                how=data["how"],
                description=data["description"],
                source_reference=data["source"],
            ),
        )

    return form_action(
        request,
        form=form,
        action=add,
        done=_("Evidence saved. Its hash was taken and its custody log begun."),
        success_url=reverse("incidents:evidence_incident", kwargs={"reference": reference}),
        again=lambda bound: _incident_page(request, reference, bound),  # type: ignore[arg-type]
    )


@require_POST
@roles(Role.DOCUMENTER)
def evidence_incident_report(request: StaffRequest, reference: str) -> HttpResponse:
    """The incident's custody report as PDF; each item's export is recorded in its custody log."""
    return _pdf(custody_report.report_for_incident(**_who(request), reference=reference))


def _pdf(report: custody_report.CustodyReport) -> HttpResponse:
    response = HttpResponse(report.pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ----------------------------------------------------------------------------------------------- one item


def _detail_page(request: StaffRequest, reference: str, status: int = 200, **bound: Any) -> HttpResponse:
    evidence, record = services.evidence_record_open(**_who(request), reference=reference)
    key = request.ring.key_for(evidence.key_set)
    events = list(CustodyEvent.objects.filter(evidence=evidence).select_related("actor").order_by("sequence"))
    verdict = chain_verify(evidence, events=events)
    context = {
        "evidence": evidence,
        "record": record,
        "events": [(e, detail_text(e.action, custody_detail(key=key, event=e))) for e in events],
        "chain_ok": verdict.ok,
        "chain_problem": _(verdict.problem) if verdict.problem else "",  # a gettext_noop message
        "copies": list(evidence.copies.order_by("acquired_at")),
        "is_documenter": request.user.has_role(Role.DOCUMENTER),
        "copy_form": bound.get("copy_form") or CopyForm(),
        "handover_form": bound.get("handover_form") or HandoverForm(),
        "recheck": bound.get("recheck"),
        "max_mb": settings.FERRY_EVIDENCE_MAX_FILE_BYTES // (1024 * 1024),
    }
    return render(request, "incidents/evidence/detail.html", context, status=status)


def _act(
    request: StaffRequest,
    reference: str,
    *,
    form: django_forms.Form,
    form_name: str,
    action: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    return form_action(
        request,
        form=form,
        action=action,
        done=done,
        success_url=reverse("incidents:evidence_detail", kwargs={"reference": reference}),
        again=lambda bound: _detail_page(request, reference, status=400, **{form_name: bound}),
    )


@require_GET
@roles(*services.EVIDENCE_ROLES)
def evidence_detail(request: StaffRequest, reference: str) -> HttpResponse:
    return _detail_page(request, reference)


@require_GET
@roles(*services.EVIDENCE_ROLES)
def evidence_download(request: StaffRequest, reference: str) -> HttpResponse:
    """The file exactly as acquired, always a download; recorded as a view in its custody log."""
    evidence, record, content = services.evidence_content(**_who(request), reference=reference)
    response = HttpResponse(content, content_type="application/octet-stream")
    extension = "".join(ch for ch in record.name.rpartition(".")[2][:8] if ch.isascii() and ch.isalnum())
    filename = f"evidence-{evidence.reference}" + (f".{extension}" if "." in record.name and extension else "")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@evidence_upload
@require_POST
@roles(Role.DOCUMENTER)
def evidence_copy(request: StaffRequest, reference: str) -> HttpResponse:
    form = CopyForm(request.POST, request.FILES)
    _too_large(request, form)

    def copy(data: dict[str, Any]) -> None:
        content, name, content_type = _content(form)
        services.evidence_copy_add(
            **_who(request),
            reference=reference,
            content=content,
            copy_kind=data["copy_kind"],
            name=name,
            content_type=content_type,
            description=data["description"],
        )

    return _act(
        request,
        reference,
        form=form,
        form_name="copy_form",
        action=copy,
        done=_("Working copy saved, with its own hash; the original's custody log records it."),
    )


@require_POST
@roles(Role.DOCUMENTER)
def evidence_handover(request: StaffRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=HandoverForm(request.POST),
        form_name="handover_form",
        action=lambda d: services.evidence_handover(
            **_who(request), reference=reference, recipient=d["recipient"], method=d["method"], note=d["note"]
        ),
        done=_("The hand-over is recorded in the custody log."),
    )


@require_POST
@roles(Role.DOCUMENTER)
def evidence_recheck(request: StaffRequest, reference: str) -> HttpResponse:
    """Read the file, hash it, compare: the answer on the page, the result in the custody log."""
    result = services.evidence_recheck(**_who(request), reference=reference)
    return _detail_page(request, reference, recheck=result)


@require_POST
@roles(Role.DOCUMENTER)
def evidence_report(request: StaffRequest, reference: str) -> HttpResponse:
    return _pdf(custody_report.report_for_item(**_who(request), reference=reference))


# ------------------------------------------------------------------------------------------- every item


# How long a run's page waits before asking for the next chunk: long enough to read, short enough to finish.
REFRESH_SECONDS = 1


@require_http_methods(["GET", "POST"])
@roles(Role.DOCUMENTER)
def evidence_verify(request: StaffRequest) -> HttpResponse:
    """Verify every item: what is checked, the button that starts a run (a POST), and the viewer's own runs."""
    if request.method == "POST":
        run = custody_runs.verify_start(staff=request.user)
        return HttpResponseRedirect(reverse("incidents:evidence_verify_run", args=[run.pk]))
    runs = custody_runs.verify_runs_of(request.user)
    return render(request, "incidents/evidence/verify.html", {"runs": runs})


@require_GET
@roles(Role.DOCUMENTER)
def evidence_verify_run(request: StaffRequest, run_id: uuid.UUID) -> HttpResponse:
    """A run: each opening checks its next chunk with the viewer's keys, and the page refreshes itself (no script)
    until every item is checked, then shows the report. Closing the page pauses the run; opening it goes on."""
    run = custody_runs.verify_step(ring=request.ring, staff=request.user, run_id=run_id)
    done = run.state == run.State.DONE
    # The messages are untranslated (custody_check.MESSAGES and NOTES): translated here, for this viewer.
    problems = [(f.reference, _(f.message), f.entry) for f in custody_runs.verify_findings(run)] if done else []
    unopened = [(f.reference, _(f.message)) for f in custody_runs.verify_findings(run, notes=True)] if done else []
    context = {
        "run": run,
        "done": done,
        "problems": problems,
        "problems_more": max(0, run.problems - len(problems)),
        "unopened": unopened,
        "unopened_more": max(0, run.unopened - len(unopened)),
        "total": max(run.total, run.checked),
        "refresh": REFRESH_SECONDS,
    }
    return render(request, "incidents/evidence/verify_run.html", context)
