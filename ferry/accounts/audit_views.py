"""The audit page for administrators and auditors: whether the chain verifies, its signed heads, signing the
head now, and exporting the latest signed head to keep outside the server (paper, a second system)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.audit.models import AuditHead
from ferry.audit.services import AuditChainBroken, audit_head_sign, audit_head_text, audit_verify
from ferry.core.permissions import roles

AUDIT_ROLES = (Role.ADMINISTRATOR, Role.AUDITOR)
HEADS_SHOWN = 10


@require_http_methods(["GET", "POST"])
@roles(*AUDIT_ROLES)
def audit_page(request: StaffRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            audit_head_sign(actor_id=request.user.pk)
        except AuditChainBroken:
            messages.error(request, _("The chain does not verify: nothing was signed. Tell the other administrators."))
        else:
            messages.success(request, _("The head is signed. Export it and keep it outside the server."))
        return redirect("accounts:audit")
    heads = list(AuditHead.objects.order_by("-seq")[:HEADS_SHOWN])
    verdict = audit_verify()
    context = {
        "verdict": verdict,
        "problem": _(verdict.problem) if verdict.problem else "",
        "heads": [(head, audit_head_text(head)) for head in heads],
    }
    return render(request, "accounts/audit.html", context)


@require_GET
@roles(*AUDIT_ROLES)
def audit_export(request: StaffRequest) -> HttpResponse:
    """The latest signed head as a text file: what `audit_verify --expect-head` is later given."""
    head = AuditHead.objects.order_by("-seq").first()
    body = audit_head_text(head) + "\n" if head is not None else ""
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-head.txt"'
    return response
