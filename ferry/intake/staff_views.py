"""The hotline: the triage queue, a request's page, and the actions on it. Coordinators decide; a caseworker
a request was shared with may read it, reply and download its files."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.core.actions import form_action
from ferry.core.permissions import roles
from ferry.core.text import decimal_number
from ferry.intake import forms, limits, places, recipients, selectors, triage
from ferry.intake.models import Request

# Coordinators decide; caseworkers a request was shared with may read and reply (the grant decides which).
coordinator = roles(Role.COORDINATOR)
holder = roles(*triage.REQUEST_ROLES)


# "active" is every request still waiting for the hotline: new and in conversation alike. The status called
# "open" in the code is shown as "In conversation", so no filter is named "Open".
STATUS_FILTERS = ["active", *Request.Status.values]


def _filters() -> list[tuple[str, str, int]]:
    """Each filter: the status it shows, its name, and how many requests it holds (counts need no key)."""
    counts = selectors.status_counts()
    waiting = sum(counts.get(s, 0) for s in triage.OPEN_STATUSES)
    return [("active", _("Waiting for us (new or in conversation)"), waiting)] + [
        (value, str(label), counts.get(value, 0)) for value, label in Request.Status.choices
    ]


def _sorts() -> list[tuple[str, str]]:
    return [
        ("urgent", _("Most urgent first")),
        ("least", _("Least urgent first")),
        ("oldest", _("Oldest first")),
        ("newest", _("Newest first")),
        ("regular", _("Over the hourly limit last")),
    ]


@require_GET
@coordinator
def queue(request: StaffRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    if status not in STATUS_FILTERS:
        status = "active"
    sort = request.GET.get("sort", "urgent")
    if sort not in selectors.SORTS:
        sort = "urgent"
    page_text = request.GET.get("page", "1")
    page_number = decimal_number(page_text, most_digits=6) or 1
    search = request.GET.get("q", "")[:200]
    recipients.index_share(ring=request.ring, staff=request.user)
    page = selectors.queue(
        ring=request.ring, staff=request.user, status=status, sort=sort, page=page_number, search=search
    )
    visible = [r for r in page.rows if r.can_open]
    context = {
        "rows": visible,
        "page": page,
        "sealed_count": len(page.rows) - len(visible),
        "status": status,
        "sort": sort,
        "sorts": _sorts(),
        "search": search,
        "filters": _filters(),
        "load": limits.intake_load(),
        "can_dismiss": any(r.request.status == Request.Status.NEW for r in visible),
    }
    return render(request, "intake/staff/queue.html", context)


@require_POST
@coordinator
def dismiss(request: StaffRequest) -> HttpResponse:
    """Decline the ticked new requests as spam, in one go; back to the queue as it was."""
    picked = [ref for ref in request.POST.getlist("pick") if len(ref) <= 7]
    declined = triage.requests_dismiss(ring=request.ring, staff=request.user, references=picked)
    messages.success(
        request,
        ngettext("%(count)s request was declined as spam.", "%(count)s requests were declined as spam.", declined)
        % {"count": declined},
    )
    back = request.POST.get("back", "")
    return redirect(reverse("triage:queue") + (back if back.startswith("?") and len(back) < 300 else ""))


def _detail(request: StaffRequest, reference: str, status: int = 200, **bound: Any) -> HttpResponse:
    view = selectors.request_open(ring=request.ring, staff=request.user, reference=reference)
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
        "accept_form": bound.get("accept_form")
        or forms.AcceptForm(initial=version, caseworkers=recipients.caseworkers()),
        "reopen_form": forms.VersionForm(initial=version),
        "share_form": bound.get("share_form") or forms.ShareForm(colleagues=recipients.share_candidates(view.request)),
        "holders": recipients.holders_of(view.request),
        "revoke_form": bound.get("revoke_form")
        or forms.ShareForm(colleagues=[h for h in recipients.holders_of(view.request) if h.pk != request.user.pk]),
        "can_decide": request.user.has_role(Role.COORDINATOR),
    }
    return render(request, "intake/staff/detail.html", context, status=status)


@require_GET
@holder
def detail(request: StaffRequest, reference: str) -> HttpResponse:
    found, _key = triage.access_request(ring=request.ring, staff=request.user, reference=reference)
    # Messages sealed before the conversation was split off move into it, so the person sees them again.
    triage.conversation_settle(ring=request.ring, staff=request.user, request=found)
    return _detail(request, reference)


def _act(
    request: StaffRequest,
    reference: str,
    *,
    form: Any,
    form_name: str,
    act: Callable[[dict[str, Any]], object],
    done: str,
    success_url: str = "",
) -> HttpResponse:
    """Run a triage action from a valid form; on a refusal, show the request again with the form's errors."""
    return form_action(
        request,
        form=form,
        action=act,
        done=done,
        success_url=success_url or reverse("triage:detail", kwargs={"reference": reference}),
        again=lambda bound: _detail(request, reference, status=400, **{form_name: bound}),
    )


def _common(request: StaffRequest, reference: str) -> dict[str, Any]:
    return {"ring": request.ring, "staff": request.user, "reference": reference}


@require_POST
@holder
def reply(request: StaffRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.ReplyForm(request.POST),
        form_name="reply_form",
        act=lambda d: triage.request_reply(**_common(request, reference), text=d["text"]),
        done=_("Your reply is in the person's mailbox."),
    )


@require_POST
@coordinator
def duplicate(request: StaffRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.DuplicateForm(request.POST),
        form_name="duplicate_form",
        act=lambda d: triage.request_mark_duplicate(
            **_common(request, reference), version=d["version"], of_reference=d["of_reference"]
        ),
        done=_("Marked as a duplicate."),
    )


@require_POST
@coordinator
def flag(request: StaffRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.FlagForm(request.POST),
        form_name="flag_form",
        act=lambda d: triage.request_flag(
            **_common(request, reference), version=d["version"], flagged=d["flagged"], note=d["note"]
        ),
        done=_("Saved."),
    )


@require_POST
@coordinator
def decline(request: StaffRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.DeclineForm(request.POST),
        form_name="decline_form",
        act=lambda d: triage.request_decline(
            **_common(request, reference), version=d["version"], reason=d["reason"], note=d["note"]
        ),
        done=_("The request was declined."),
    )


@require_POST
@coordinator
def reopen(request: StaffRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.VersionForm(request.POST),
        form_name="reopen_form",
        act=lambda d: triage.request_reopen(**_common(request, reference), version=d["version"]),
        done=_("The request is open again."),
    )


@require_POST
@coordinator
def accept(request: StaffRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        form=forms.AcceptForm(request.POST, caseworkers=recipients.caseworkers()),
        form_name="accept_form",
        act=lambda d: triage.request_accept(
            **_common(request, reference), version=d["version"], caseworker_id=d["caseworker"]
        ),
        done=_("Accepted into a case. The caseworker can now open it."),
        # The case keeps the request's reference; cases' page is named, not imported (intake sits below cases).
        success_url=reverse("cases:detail", kwargs={"reference": reference}),
    )


@require_GET
@holder
def attachment(request: StaffRequest, reference: str, attachment_id: uuid.UUID) -> HttpResponse:
    meta, content = selectors.attachment_open(
        ring=request.ring, staff=request.user, reference=reference, attachment_id=attachment_id
    )
    response = HttpResponse(content, content_type=meta.get("type", "application/octet-stream"))
    # Always a download, never rendered in the staff page's origin.
    name = "".join(ch for ch in meta.get("name", "file") if ch.isascii() and (ch.isalnum() or ch in "._-")) or "file"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
@coordinator
def share(request: StaffRequest, reference: str) -> HttpResponse:
    found, _key = triage.access_request(ring=request.ring, staff=request.user, reference=reference)
    return _act(
        request,
        reference,
        form=forms.ShareForm(request.POST, colleagues=recipients.share_candidates(found)),
        form_name="share_form",
        act=lambda d: triage.request_share(**_common(request, reference), colleague_id=d["colleague"]),
        done=_("Shared. Your colleague can now open this request."),
    )


@require_POST
@coordinator
def revoke(request: StaffRequest, reference: str) -> HttpResponse:
    found, _key = triage.access_request(ring=request.ring, staff=request.user, reference=reference)
    colleagues = [h for h in recipients.holders_of(found) if h.pk != request.user.pk]
    return _act(
        request,
        reference,
        form=forms.ShareForm(request.POST, colleagues=colleagues),
        form_name="revoke_form",
        act=lambda d: triage.request_revoke(**_common(request, reference), staff_id=d["colleague"]),
        done=_("Their access is removed; the request was re-keyed."),
    )
