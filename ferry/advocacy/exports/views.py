"""The export page: an analyst chooses the format, the settings and the filters, and prepares a release."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.advocacy.exports import services
from ferry.advocacy.exports.forms import ExportForm
from ferry.advocacy.views import release_made
from ferry.core.permissions import roles


@require_http_methods(["GET", "POST"])
@roles(Role.ANALYST)
def export_page(request: StaffRequest) -> HttpResponse:
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        question = form.question()
        made = release_made(request, lambda: services.export_output(staff=request.user, question=question))
        if not isinstance(made, str):
            return made
        form.add_error(None, made)
    status = 400 if request.method == "POST" else 200
    return render(request, "advocacy/exports/export.html", {"form": form}, status=status)
