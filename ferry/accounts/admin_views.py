"""Administrators' pages: staff and invitations, and the escrow ceremonies (split, recover)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from ferry.accounts import ceremony, forms, invitations, services
from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role, Staff
from ferry.core.permissions import roles


def _accept_url(request: StaffRequest) -> Callable[[str], str]:
    return lambda token: request.build_absolute_uri(reverse("accounts:accept", args=[token]))


def _staff_page(
    request: StaffRequest, form: forms.InviteForm, issued: invitations.Issued | None = None
) -> HttpResponse:
    admin = request.user
    context = {
        "staff": services.staff_directory(by=admin),
        "pending": services.staff_pending(by=admin),
        "invitations": invitations.invitations_open(by=admin),
        "form": form,
        "mail_configured": invitations.mail_configured(),
        # A link that was not e-mailed is shown on this one page, once: only its hash is kept.
        "issued": issued if issued is not None and issued.delivery != invitations.Delivery.EMAILED else None,
    }
    return render(request, "accounts/staff_list.html", context)


def _after_issue(request: StaffRequest, issued: invitations.Issued) -> HttpResponse:
    if issued.delivery == invitations.Delivery.EMAILED:
        messages.success(request, _("The invitation was e-mailed. Its link works once, within 72 hours."))
        return redirect("accounts:staff")
    return _staff_page(request, forms.InviteForm(), issued)


@require_http_methods(["GET", "POST"])
@roles(Role.ADMINISTRATOR)
def staff_list(request: StaffRequest) -> HttpResponse:
    form = forms.InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = invitations.invitation_create(
                by=request.user,
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
                accept_url_for=_accept_url(request),
            )
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            return _after_issue(request, issued)
    return _staff_page(request, form)


@require_POST
@roles(Role.ADMINISTRATOR)
def invitation_resend(request: StaffRequest, invitation_id: int) -> HttpResponse:
    """A new link for an open invitation (the old one stops working), e-mailed or shown once."""
    try:
        issued = invitations.invitation_resend(
            by=request.user, invitation_id=invitation_id, accept_url_for=_accept_url(request)
        )
    except services.AccountError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:staff")
    return _after_issue(request, issued)


@require_POST
@roles(Role.ADMINISTRATOR)
def invitation_revoke(request: StaffRequest, invitation_id: int) -> HttpResponse:
    try:
        invitations.invitation_revoke(by=request.user, invitation_id=invitation_id)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The invitation was revoked. Its link no longer works."))
    return redirect("accounts:staff")


@require_POST
@roles(Role.ADMINISTRATOR)
def staff_confirm(request: StaffRequest, staff_id: int) -> HttpResponse:
    """Confirm in person that a new account is the person's: the fingerprint they read aloud, typed here."""
    try:
        done = services.staff_confirm(
            by=request.user, staff_id=staff_id, fingerprint=request.POST.get("fingerprint", ""), ring=request.ring
        )
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        if done:
            messages.success(request, _("Confirmed. Requests and cases can now be shared with this colleague."))
        else:
            messages.success(request, _("Your confirmation is recorded. Another administrator must confirm too."))
    return redirect("accounts:staff")


@require_POST
@roles(Role.ADMINISTRATOR)
def staff_deactivate(request: StaffRequest, staff_id: int) -> HttpResponse:
    admin = request.user
    try:
        services.staff_deactivate(by=admin, staff_id=staff_id)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    except Staff.DoesNotExist:
        messages.error(request, _("There is no such account."))
    else:
        messages.success(request, _("The account was deactivated and its keys to cases destroyed."))
    return redirect("accounts:staff")


@require_http_methods(["GET", "POST"])
@roles(Role.ADMINISTRATOR)
def escrow_page(request: StaffRequest) -> HttpResponse:
    admin = request.user
    status = ceremony.escrow_status()
    split_form = forms.SplitEscrowForm(request.POST or None)
    if request.method == "POST" and split_form.is_valid():
        try:
            shares = ceremony.escrow_split(
                by=admin,
                ring=request.ring,
                threshold=split_form.cleaned_data["threshold"],
                shares=split_form.cleaned_data["shares"],
            )
        except ceremony.CeremonyError as exc:
            split_form.add_error(None, str(exc))
        else:
            return render(
                request,
                "accounts/escrow_shares.html",
                {"shares": shares, "threshold": split_form.cleaned_data["threshold"]},
            )
    return render(
        request,
        "accounts/escrow.html",
        {"status": status, "split_form": split_form, "is_custodian": status.custodian_id == admin.pk},
    )


@require_http_methods(["GET", "POST"])
@roles(Role.ADMINISTRATOR)
def escrow_recover(request: StaffRequest) -> HttpResponse:
    admin = request.user
    status = ceremony.escrow_status()
    form = forms.RecoverKeySetsForm(request.POST or None, share_fields=status.threshold or 0, needs_shares=status.split)
    if request.method == "POST" and form.is_valid():
        try:
            count = ceremony.escrow_recover(
                by=admin,
                ring=request.ring,
                key_set_ids=form.cleaned_data["key_sets"],
                to_staff_id=form.cleaned_data["to_staff"].pk,
                share_codes=form.share_codes(),
            )
        except ceremony.CeremonyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, ngettext("%(n)d key set was granted.", "%(n)d key sets were granted.", count) % {"n": count}
            )
            return redirect("accounts:escrow")
    return render(request, "accounts/escrow_recover.html", {"form": form, "status": status})
