"""Referral pages: the partner list for administrators, a referral's actions on the case page, its packet."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.cases.models import Partner
from ferry.cases.page import act
from ferry.cases.referrals import services as referrals
from ferry.cases.referrals.forms import PartnerForm, ReferralForm, StatusForm
from ferry.cases.services import CASE_ROLES
from ferry.core.errors import NotFound
from ferry.core.permissions import roles

# --- the partner list ---------------------------------------------------------------------------------


def _partner_form(partner: Partner, data: Any = None) -> PartnerForm:
    initial = {"name": partner.name, "country": partner.country, "kind": partner.kind}
    return PartnerForm(data, initial=initial, auto_id=f"p{partner.pk}_%s")


def _partner_page(
    request: StaffRequest, *, add_form: PartnerForm | None = None, bound: tuple[int, PartnerForm] | None = None
) -> HttpResponse:
    rows = []
    for partner in Partner.objects.order_by("-active", "name"):
        form = bound[1] if bound and bound[0] == partner.pk else _partner_form(partner)
        rows.append((partner, form, dict(referrals.PARTNER_KINDS).get(partner.kind, partner.kind)))
    context = {"rows": rows, "add_form": add_form or PartnerForm(auto_id="new_%s")}
    return render(request, "cases/referrals/partners.html", context, status=400 if (add_form or bound) else 200)


@require_http_methods(["GET", "POST"])
@roles(Role.ADMINISTRATOR)
def partners(request: StaffRequest) -> HttpResponse:
    """The managed list: every partner, each with its rename form, and a form to add one."""
    admin = request.user
    if request.method != "POST":
        return _partner_page(request)
    form = PartnerForm(request.POST, auto_id="new_%s")
    if form.is_valid():
        try:
            referrals.partner_add(by=admin, **form.cleaned_data)
        except referrals.PartnerError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Partner added."))
            return redirect("cases:referrals:partners")
    return _partner_page(request, add_form=form)


@require_POST
@roles(Role.ADMINISTRATOR)
def partner_update(request: StaffRequest, partner_id: int) -> HttpResponse:
    admin = request.user
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        raise NotFound(_("There is no such partner."))
    form = _partner_form(partner, request.POST)
    if form.is_valid():
        try:
            referrals.partner_update(by=admin, partner_id=partner_id, **form.cleaned_data)
        except referrals.PartnerError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Partner saved."))
            return redirect("cases:referrals:partners")
    return _partner_page(request, bound=(partner_id, form))


@require_POST
@roles(Role.ADMINISTRATOR)
def partner_active(request: StaffRequest, partner_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    referrals.partner_active_set(by=request.user, partner_id=partner_id, active=active)
    messages.success(request, _("Partner brought back.") if active else _("Partner deactivated."))
    return redirect("cases:referrals:partners")


# --- a case's referrals -------------------------------------------------------------------------------


def _who(request: StaffRequest) -> dict[str, Any]:
    return {"ring": request.ring, "staff": request.user}


@require_POST
@roles(*CASE_ROLES)
def create(request: StaffRequest, reference: str) -> HttpResponse:
    return act(
        request,
        reference,
        form=ReferralForm(request.POST),
        form_name="referral_form",
        action=lambda d: referrals.referral_create(
            **_who(request),
            reference=reference,
            partner_id=d["partner"],
            destination_country=d["destination_country"],
            include=d["include"],
            note=d["note"],
            consent=d["consent"],
        ),
        done=_("Referral saved as a draft. Download its packet, send it, then mark it sent."),
    )


@require_POST
@roles(*CASE_ROLES)
def status(request: StaffRequest, referral_id: uuid.UUID) -> HttpResponse:
    referral, case, _key = referrals.access_referral(**_who(request), referral_id=referral_id)
    form = StatusForm(request.POST)
    form.referral_id = referral.pk
    return act(
        request,
        case.reference,
        form=form,
        form_name="referral_status_form",
        action=lambda d: referrals.referral_status_change(
            **_who(request), referral_id=referral_id, status=d["status"], consent=d["consent"], note=d["note"]
        ),
        done=_("Referral status saved."),
    )


@require_GET
@roles(*CASE_ROLES)
def packet(request: StaffRequest, referral_id: uuid.UUID) -> HttpResponse:
    """The packet as a page to read or print."""
    opened = referrals.referral_packet_open(**_who(request), referral_id=referral_id, purpose="view")
    context = referrals.packet_context(opened)
    return render(request, "cases/referrals/packet.html", context)


@require_GET
@roles(*CASE_ROLES)
def packet_pdf(request: StaffRequest, referral_id: uuid.UUID) -> HttpResponse:
    """The packet as a PDF, always a download and never cached."""
    opened = referrals.referral_packet_open(**_who(request), referral_id=referral_id, purpose="pdf")
    context = referrals.packet_context(opened)
    pdf = referrals.packet_pdf(render_to_string("cases/referrals/packet_pdf.html", context, request=request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="referral-{context["number"]}.pdf"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
