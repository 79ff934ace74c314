"""A staff member's own security page (passphrase, duress passphrase, recovery code, time zone, sessions) and
recovery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ferry.accounts import forms, security_keys, services, sessions
from ferry.accounts.http import StaffRequest
from ferry.accounts.middleware import unlock_cookie_path
from ferry.accounts.views import client_id
from ferry.core.permissions import SIGNED_IN, roles
from ferry.vault import staffkeys


def _duress(request: StaffRequest) -> bool:
    return bool(request.staff_session and request.staff_session.duress)


def _page(request: StaffRequest, **bound: object) -> HttpResponse:
    context = {
        "passphrase_form": bound.get("passphrase_form") or forms.ChangePassphraseForm(prefix="change"),
        "duress_form": bound.get("duress_form") or forms.DuressForm(prefix="duress"),
        "recovery_form": bound.get("recovery_form") or forms.CurrentPassphraseForm(prefix="recovery"),
        "clear_form": forms.CurrentPassphraseForm(prefix="clear"),
        "zone_form": bound.get("zone_form")
        or forms.TimeZoneForm(prefix="zone", initial={"time_zone": request.user.time_zone}),
        # A duress session must not show that a duress passphrase exists.
        "has_duress": request.user.vault_key.duress_check is not None and not _duress(request),
        "new_recovery_code": bound.get("new_recovery_code"),
        "session_count": request.user.sessions.count(),
        "security_keys": security_keys.security_keys_of(request.user),
        # Read aloud to an administrator who confirms (or, after a duress login, confirms again) in person.
        "fingerprint": staffkeys.fingerprint(staff_id=request.user.pk),
    }
    return render(request, "accounts/security.html", context)


@require_GET
@roles(SIGNED_IN)
def security(request: StaffRequest) -> HttpResponse:
    return _page(request)


def _submit(
    request: StaffRequest,
    form: forms.PassphraseFields,
    bound_as: str,
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Run a security action from a valid form; on a refusal, show the page again with the form's errors."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return redirect("accounts:security")
    return _page(request, **{bound_as: form})


@require_POST
@roles(SIGNED_IN)
def change_passphrase(request: StaffRequest) -> HttpResponse:
    return _submit(
        request,
        forms.ChangePassphraseForm(request.POST, prefix="change"),
        "passphrase_form",
        lambda data: services.passphrase_change(
            staff=request.user,
            current=data["current"],
            new=data["passphrase"],
            duress=_duress(request),
        ),
        _("Your passphrase was changed."),
    )


@require_POST
@roles(SIGNED_IN)
def set_duress(request: StaffRequest) -> HttpResponse:
    return _submit(
        request,
        forms.DuressForm(request.POST, prefix="duress"),
        "duress_form",
        lambda data: services.duress_set(
            staff=request.user,
            current=data["current"],
            duress=data["passphrase"],
            in_duress_session=_duress(request),
        ),
        _("Your duress passphrase was saved."),
    )


@require_POST
@roles(SIGNED_IN)
def clear_duress(request: StaffRequest) -> HttpResponse:
    form = forms.CurrentPassphraseForm(request.POST, prefix="clear")
    if form.is_valid():
        try:
            services.duress_set(
                staff=request.user,
                current=form.cleaned_data["current"],
                duress=None,
                in_duress_session=_duress(request),
            )
        except services.AccountError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your duress passphrase was removed."))
    return redirect("accounts:security")


@require_POST
@roles(SIGNED_IN)
def renew_recovery_code(request: StaffRequest) -> HttpResponse:
    form = forms.CurrentPassphraseForm(request.POST, prefix="recovery")
    if form.is_valid():
        try:
            code = services.recovery_code_renew(
                staff=request.user,
                current=form.cleaned_data["current"],
                duress=_duress(request),
            )
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            return _page(request, new_recovery_code=code)
    return _page(request, recovery_form=form)


@require_POST
@roles(SIGNED_IN)
def set_time_zone(request: StaffRequest) -> HttpResponse:
    form = forms.TimeZoneForm(request.POST, prefix="zone")
    if form.is_valid():
        try:
            services.staff_time_zone_set(staff=request.user, time_zone=form.cleaned_data["time_zone"])
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your time zone was saved."))
            return redirect("accounts:security")
    return _page(request, zone_form=form)


@require_POST
@roles(SIGNED_IN)
def sign_out_everywhere(request: StaffRequest) -> HttpResponse:
    sessions.staff_sessions_end_all(staff=request.user)
    logout(request)
    response = redirect(settings.LOGIN_URL)
    response.delete_cookie(settings.FERRY_UNLOCK_COOKIE, path=unlock_cookie_path())
    return response


@login_not_required
def recover(request: HttpRequest) -> HttpResponse:
    form = forms.RecoverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code = services.account_recover(
                email=form.cleaned_data["email"],
                recovery_code=form.cleaned_data["recovery_code"],
                new_passphrase=form.cleaned_data["passphrase"],
                client=client_id(request),
            )
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "accounts/recovered.html", {"code": code})
    return render(request, "accounts/recover.html", {"form": form})
