"""Advocacy pages: the statistics builder and the releases (prepared, approved by a second analyst,
downloaded, withdrawn). Views stay thin; every output for outsiders is served by `release_download` only."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.advocacy import releases
from ferry.advocacy.models import Release
from ferry.advocacy.releases import Output
from ferry.core.errors import FerryError, NotFound
from ferry.core.permissions import roles

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
    return render(request, "advocacy/statistics.html", {})


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
        "card": releases.release_card(release, key),
        "may_approve": release.state == Release.State.PENDING and release.prepared_by_id != request.user.pk,
        "error": error,
    }
    return render(request, "advocacy/release.html", context, status=status)


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
