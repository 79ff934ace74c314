"""Referral pages: the partner list for administrators, a referral's actions on the case page, its packet."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ferry.accounts.models import Role, Staff
from ferry.cases import views
from ferry.cases.models import Partner, Referral
from ferry.cases.referrals import services as referrals
from ferry.cases.services import CaseNotFound
from ferry.intake.places import country_choices

UNKNOWN_PARTNER = gettext_lazy("Choose a partner from the list; unknown or inactive partners cannot receive referrals.")


def _countries(blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank), *country_choices()]


class PartnerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _countries()  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", "—"), *referrals.PARTNER_KINDS]  # type: ignore[attr-defined]


class ReferralForm(forms.Form):
    partner = forms.TypedChoiceField(
        label=gettext_lazy("Partner"), coerce=int, error_messages={"invalid_choice": UNKNOWN_PARTNER}
    )
    destination_country = forms.ChoiceField(label=gettext_lazy("Destination country"))
    include = forms.MultipleChoiceField(
        label=gettext_lazy("The packet contains only what is ticked"),
        choices=referrals.CONTENT,
        initial=referrals.DEFAULT_CONTENT,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=gettext_lazy("A note for the partner (goes into the packet)"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent = forms.BooleanField(
        label=gettext_lazy("The person agreed to this referral and to what the packet contains"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partners = Partner.objects.filter(active=True).order_by("name")
        self.fields["partner"].choices = [(p.pk, p.name) for p in partners]  # type: ignore[attr-defined]
        self.fields["destination_country"].choices = _countries()  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Referral.Status.choices)
    consent = forms.BooleanField(
        label=gettext_lazy("The person agreed to this referral and to what the packet contains"), required=False
    )
    note = forms.CharField(label=gettext_lazy("Note (kept encrypted)"), max_length=2_000, required=False)

    referral_id: uuid.UUID | None = None


# --- the partner list ---------------------------------------------------------------------------------


def _admin(request: HttpRequest) -> Staff:
    staff: Staff = request.user  # type: ignore[assignment]
    if not staff.has_role(Role.ADMINISTRATOR):
        raise PermissionDenied(_("You do not have the role needed for this."))
    return staff


def _partner_form(partner: Partner, data: Any = None) -> PartnerForm:
    initial = {"name": partner.name, "country": partner.country, "kind": partner.kind}
    return PartnerForm(data, initial=initial, auto_id=f"p{partner.pk}_%s")


def _partner_page(
    request: HttpRequest, *, add_form: PartnerForm | None = None, bound: tuple[int, PartnerForm] | None = None
) -> HttpResponse:
    rows = []
    for partner in Partner.objects.order_by("-active", "name"):
        form = bound[1] if bound and bound[0] == partner.pk else _partner_form(partner)
        rows.append((partner, form, dict(referrals.PARTNER_KINDS).get(partner.kind, partner.kind)))
    context = {"rows": rows, "add_form": add_form or PartnerForm(auto_id="new_%s")}
    return render(request, "cases/referrals/partners.html", context, status=400 if (add_form or bound) else 200)


def partners(request: HttpRequest) -> HttpResponse:
    """The managed list: every partner, each with its rename form, and a form to add one."""
    admin = _admin(request)
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
def partner_update(request: HttpRequest, partner_id: int) -> HttpResponse:
    admin = _admin(request)
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        raise Http404
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
def partner_active(request: HttpRequest, partner_id: int) -> HttpResponse:
    admin = _admin(request)
    active = request.POST.get("active") == "1"
    try:
        referrals.partner_active_set(by=admin, partner_id=partner_id, active=active)
    except referrals.PartnerError:
        raise Http404 from None
    messages.success(request, _("Partner brought back.") if active else _("Partner deactivated."))
    return redirect("cases:referrals:partners")


# --- a case's referrals -------------------------------------------------------------------------------


def _who(request: HttpRequest) -> dict[str, Any]:
    return {"ring": request.ring, "staff": request.user}  # type: ignore[attr-defined]


@require_POST
def create(request: HttpRequest, reference: str) -> HttpResponse:
    return views.act(
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
def status(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    referral = Referral.objects.select_related("case").filter(pk=referral_id).first()
    if referral is None:
        raise Http404
    form = StatusForm(request.POST)
    form.referral_id = referral.pk
    return views.act(
        request,
        referral.case.reference,
        form=form,
        form_name="referral_status_form",
        action=lambda d: referrals.referral_status_change(
            **_who(request), referral_id=referral_id, status=d["status"], consent=d["consent"], note=d["note"]
        ),
        done=_("Referral status saved."),
    )


def _packet(request: HttpRequest, referral_id: uuid.UUID, purpose: str) -> referrals.Packet:
    staff: Staff = request.user  # type: ignore[assignment]
    if not (staff.has_role(Role.CASEWORKER) or staff.has_role(Role.COORDINATOR)):
        raise PermissionDenied(_("You do not have the role needed for this."))
    try:
        return referrals.referral_packet_open(**_who(request), referral_id=referral_id, purpose=purpose)
    except CaseNotFound:
        raise Http404 from None


@require_GET
def packet(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    """The packet as a page to read or print."""
    context = referrals.packet_context(_packet(request, referral_id, "view"))
    return render(request, "cases/referrals/packet.html", context)


@require_GET
def packet_pdf(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    """The packet as a PDF, always a download and never cached."""
    context = referrals.packet_context(_packet(request, referral_id, "pdf"))
    pdf = referrals.packet_pdf(render_to_string("cases/referrals/packet_pdf.html", context, request=request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="referral-{context["number"]}.pdf"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
