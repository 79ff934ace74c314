"""The hotline: the triage queue, a request's page, and the actions on it (coordinators only)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from ferry.accounts.models import Role
from ferry.core.actions import form_action
from ferry.intake import forms, limits, places, services, triage
from ferry.intake.models import Request


def coordinator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_role(Role.COORDINATOR):  # type: ignore[union-attr]
            raise PermissionDenied(_("You do not have the role needed for this."))
        return view(request, *args, **kwargs)

    return wrapped


def holder(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Coordinators, and caseworkers a request was shared with: the grant check in the service decides (404)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.has_role(Role.COORDINATOR) or user.has_role(Role.CASEWORKER)):  # type: ignore[union-attr]
            raise PermissionDenied(_("You do not have the role needed for this."))
        return view(request, *args, **kwargs)

    return wrapped


STATUS_FILTERS = ["active", *Request.Status.values]


@require_GET
@coordinator
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    if status not in STATUS_FILTERS:
        status = "active"
    services.index_share(ring=request.ring, staff=request.user)  # type: ignore[attr-defined,arg-type]
    rows = triage.queue(ring=request.ring, staff=request.user, status=status)  # type: ignore[attr-defined,arg-type]
    visible = [r for r in rows if r.can_open]
    context = {
        "rows": visible,
        "sealed_count": len(rows) - len(visible),
        "status": status,
        "filters": [("open", pgettext("requests filter", "Open"))]
        + [(value, label) for value, label in Request.Status.choices],
        "load": limits.intake_load(),
    }
    return render(request, "intake/staff/queue.html", context)


def _view_or_404(request: HttpRequest, reference: str) -> triage.RequestView:
    try:
        return triage.request_open(ring=request.ring, staff=request.user, reference=reference)  # type: ignore[attr-defined,arg-type]
    except Request.DoesNotExist:
        raise Http404 from None


def _detail(request: HttpRequest, reference: str, status: int = 200, **bound: Any) -> HttpResponse:
    view = _view_or_404(request, reference)
    version = {"version": view.request.version}
    details = view.details
    context = {
        "view": view,
        "req": view.request,
        "details": details,
        "received_at": datetime.fromisoformat(details["received_at"]) if details.get("received_at") else None,
        "place": places.place_label(details.get("country", ""), details.get("region", "")),
        "reply_form": bound.get("reply_form") or forms.ReplyForm(),
        "duplicate_form": bound.get("duplicate_form") or forms.DuplicateForm(initial=version),
        "flag_form": bound.get("flag_form")
        or forms.FlagForm(initial={**version, "flagged": view.request.entrapment_flag, "note": view.entrapment_note}),
        "decline_form": bound.get("decline_form") or forms.DeclineForm(initial=version),
        "accept_form": bound.get("accept_form") or forms.AcceptForm(initial=version, caseworkers=triage.caseworkers()),
        "reopen_form": forms.VersionForm(initial=version),
        "share_form": bound.get("share_form") or forms.ShareForm(colleagues=triage.share_candidates(view.request)),
        "can_decide": request.user.has_role(Role.COORDINATOR),  # type: ignore[union-attr]
    }
    return render(request, "intake/staff/detail.html", context, status=status)


@require_GET
@holder
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _detail(request, reference)


def _act(
    request: HttpRequest,
    reference: str,
    *,
    form: Any,
    form_name: str,
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Run a triage action from a valid form; on a refusal, show the request again with the form's errors."""
    return form_action(
        request,
        form=form,
        action=act,
        done=done,
        success_url=reverse("triage:detail", kwargs={"reference": reference}),
        refused=(services.IntakeError,),
        missing=(Request.DoesNotExist,),
        again=lambda bound: _detail(request, reference, status=400, **{form_name: bound}),
    )


def _common(request: HttpRequest, reference: str) -> dict[str, Any]:
    return {"ring": request.ring, "staff": request.user, "reference": reference}  # type: ignore[attr-defined]


@require_POST
@holder
def reply(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.ReplyForm(request.POST),
        form_name="reply_form",
        act=lambda d: triage.reply(**_common(request, reference), text=d["text"]),
        done=_("Your reply is in the person's mailbox."),
    )


@require_POST
@coordinator
def duplicate(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.DuplicateForm(request.POST),
        form_name="duplicate_form",
        act=lambda d: triage.mark_duplicate(
            **_common(request, reference), version=d["version"], of_reference=d["of_reference"]
        ),
        done=_("Marked as a duplicate."),
    )


@require_POST
@coordinator
def flag(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.FlagForm(request.POST),
        form_name="flag_form",
        act=lambda d: triage.flag_entrapment(
            **_common(request, reference), version=d["version"], flagged=d["flagged"], note=d["note"]
        ),
        done=_("Saved."),
    )


@require_POST
@coordinator
def decline(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.DeclineForm(request.POST),
        form_name="decline_form",
        act=lambda d: triage.decline(
            **_common(request, reference), version=d["version"], reason=d["reason"], note=d["note"]
        ),
        done=_("The request was declined."),
    )


@require_POST
@coordinator
def reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.VersionForm(request.POST),
        form_name="reopen_form",
        act=lambda d: triage.reopen(**_common(request, reference), version=d["version"]),
        done=_("The request is open again."),
    )


@require_POST
@coordinator
def accept(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.AcceptForm(request.POST, caseworkers=triage.caseworkers()),
        form_name="accept_form",
        act=lambda d: triage.accept(**_common(request, reference), version=d["version"], caseworker_id=d["caseworker"]),
        done=_("Accepted into a case. The caseworker can now open it."),
    )


@require_GET
@holder
def attachment(request: HttpRequest, reference: str, attachment_id: uuid.UUID) -> HttpResponse:
    from ferry.intake.models import Attachment

    try:
        meta, content = triage.attachment_open(
            ring=request.ring,  # type: ignore[attr-defined]
            staff=request.user,  # type: ignore[arg-type]
            reference=reference,
            attachment_id=attachment_id,
        )
    except (Request.DoesNotExist, Attachment.DoesNotExist):
        raise Http404 from None
    response = HttpResponse(content, content_type=meta.get("type", "application/octet-stream"))
    # Always a download, never rendered in the staff page's origin.
    name = "".join(ch for ch in meta.get("name", "file") if ch.isascii() and (ch.isalnum() or ch in "._-")) or "file"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
@coordinator
def share(request: HttpRequest, reference: str) -> HttpResponse:
    found = Request.objects.filter(reference=reference).first()
    return _act(
        request,
        reference,
        form=forms.ShareForm(request.POST, colleagues=triage.share_candidates(found) if found else []),
        form_name="share_form",
        act=lambda d: triage.share(**_common(request, reference), colleague_id=d["colleague"]),
        done=_("Shared. Your colleague can now open this request."),
    )
