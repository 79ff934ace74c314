"""Staff account pages: first set-up, invitation, enrolment (authenticator, recovery code), login, logout, and
acknowledging one's own alerts."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ferry.accounts import alerts, forms, invitations, services, sessions, totp
from ferry.accounts.http import StaffRequest
from ferry.accounts.middleware import STAFF_SESSION_KEY, set_unlock_cookie, unlock_cookie_path
from ferry.accounts.models import Staff, StaffSession
from ferry.core.permissions import SIGNED_IN, roles
from ferry.vault.keyring import KeyRing
from ferry.vault.session import VaultLocked

ENROL_KEY = "ferry_enrol_session"
PENDING_KEY = "ferry_pending_session"


def client_id(request: HttpRequest) -> str:
    """Who is knocking, for throttling only (it is stored only as a keyed hash)."""
    if settings.FERRY_TRUSTED_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def _begin_enrolment(request: HttpRequest, staff: Staff, private: bytes) -> HttpResponse:
    unlocked = sessions.staff_session_start(staff=staff, private_key=private)
    request.session.cycle_key()
    request.session[ENROL_KEY] = unlocked.session.pk
    response = redirect("accounts:enrol_totp")
    set_unlock_cookie(response, unlocked.client_key)
    return response


def _enrolment(request: HttpRequest) -> tuple[StaffSession, KeyRing] | None:
    try:
        row, ring = sessions.staff_session_ring(
            session_id=request.session.get(ENROL_KEY, ""),
            client_key=request.COOKIES.get(settings.FERRY_UNLOCK_COOKIE, ""),
        )
    except VaultLocked:
        return None
    return (row, ring) if not row.staff.is_active else None


def _passphrase_errors(form: forms.PassphraseFields, *, email: str, display_name: str) -> bool:
    problems = services.passphrase_problems(
        passphrase=form.cleaned_data["passphrase"],
        confirm=form.cleaned_data["confirm"],
        email=email,
        display_name=display_name,
    )
    for problem in problems:
        form.add_error("passphrase", problem)
    return bool(problems)


@login_not_required
def setup(request: HttpRequest, token: str) -> HttpResponse:
    if not services.setup_token_valid(token):
        return render(request, "accounts/link_invalid.html", status=404)
    form = forms.FirstAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email, name = form.cleaned_data["email"], form.cleaned_data["display_name"]
        if not _passphrase_errors(form, email=email, display_name=name):
            try:
                staff, private = services.first_admin_create(
                    token=token, email=email, display_name=name, passphrase=form.cleaned_data["passphrase"]
                )
            except services.AccountError as exc:
                form.add_error(None, str(exc))
            else:
                return _begin_enrolment(request, staff, private)
    return render(request, "accounts/setup.html", {"form": form, "step": 1})


@login_not_required
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitations.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/link_invalid.html", status=404)
    form = forms.AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["display_name"]
        if not _passphrase_errors(form, email=invitation.email, display_name=name):
            try:
                staff, private = invitations.invitation_accept(
                    token=token, display_name=name, passphrase=form.cleaned_data["passphrase"]
                )
            except services.AccountError as exc:
                form.add_error(None, str(exc))
            else:
                return _begin_enrolment(request, staff, private)
    return render(request, "accounts/accept.html", {"form": form, "email": invitation.email, "step": 1})


@login_not_required
def enrol_totp(request: HttpRequest) -> HttpResponse:
    enrolment = _enrolment(request)
    if enrolment is None:
        return redirect(settings.LOGIN_URL)
    row, _ring = enrolment
    device = totp.totp_device_for_enrolment(row.staff)
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        answer = totp.totp_confirm(staff=row.staff, code=form.cleaned_data["code"])
        if answer.ok:
            return redirect("accounts:enrol_recovery")
        if answer.check == totp.CodeCheck.WRONG:
            form.add_error("code", _("That code did not work. Check the time on your phone and try the newest code."))
        else:
            form.add_error("code", answer.refusal())
    secret = device.config_url.split("secret=")[1].split("&")[0]
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return render(
        request,
        "accounts/enrol_totp.html",
        {
            "form": form,
            "qr_svg": qr_svg,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "step": 2,
        },
    )


@login_not_required
def enrol_recovery(request: HttpRequest) -> HttpResponse:
    enrolment = _enrolment(request)
    if enrolment is None:
        return redirect(settings.LOGIN_URL)
    row, ring = enrolment
    form = forms.RecoverySavedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_activate(staff=row.staff)
        except services.AccountError as exc:
            messages.error(request, str(exc))
            return redirect("accounts:enrol_totp")
        row.second_factor_done = True
        row.save(update_fields=["second_factor_done"])
        del request.session[ENROL_KEY]
        login(request, row.staff, backend="ferry.accounts.backends.VaultBackend")
        request.session[STAFF_SESSION_KEY] = row.pk
        return redirect("core:dashboard")
    # Each visit issues a new code and retires the last, so a code shown once is the only valid one.
    code = services.recovery_code_issue(staff=row.staff, ring=ring)
    return render(request, "accounts/enrol_recovery.html", {"form": form, "code": code, "step": 3})


# The empty sign-in page is the same for everyone who reads it in one language: rendered once, and served
# with only its CSRF token put in. (Everything on it comes from settings and the catalogue; a page with a
# message or a form sent back with errors is rendered afresh.)
_EMPTY_LOGIN_PAGES: dict[str, str] = {}
_TOKEN_MARK = "ferry-csrf-token-goes-here"  # noqa: S105 - a placeholder, not a secret


def _empty_login_page(request: HttpRequest) -> HttpResponse:
    if len(messages.get_messages(request)):
        return render(request, "accounts/login.html", {"form": forms.LoginForm()})
    language = translation.get_language() or settings.LANGUAGE_CODE
    page = _EMPTY_LOGIN_PAGES.get(language)
    if page is None:
        page = render_to_string(
            "accounts/login.html", {"form": forms.LoginForm(), "csrf_token": _TOKEN_MARK}, request=request
        )
        if page.count(_TOKEN_MARK) != 1:  # pragma: no cover - the template holds exactly one form
            raise RuntimeError("the sign-in page must hold exactly one CSRF token")
        _EMPTY_LOGIN_PAGES[language] = page
    return HttpResponse(page.replace(_TOKEN_MARK, get_token(request)))


@login_not_required
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    if request.method != "POST":
        return _empty_login_page(request)
    form = forms.LoginForm(request.POST)
    if form.is_valid():
        try:
            ok = sessions.login_passphrase(
                email=form.cleaned_data["email"], passphrase=form.cleaned_data["passphrase"], client=client_id(request)
            )
        except sessions.LoginFailed as exc:
            form.add_error(None, str(exc))
        else:
            request.session.cycle_key()
            request.session[PENDING_KEY] = ok.unlocked.session.pk
            response = redirect("accounts:login_code")
            set_unlock_cookie(response, ok.unlocked.client_key)
            return response
    return render(request, "accounts/login.html", {"form": form})


@login_not_required
def login_code(request: HttpRequest) -> HttpResponse:
    session_id = request.session.get(PENDING_KEY, "")
    try:
        row, _ring = sessions.staff_session_ring(
            session_id=session_id, client_key=request.COOKIES.get(settings.FERRY_UNLOCK_COOKIE, "")
        )
    except VaultLocked:
        return redirect(settings.LOGIN_URL)
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sessions.login_second_factor(session_id=row.pk, code=form.cleaned_data["code"], client=client_id(request))
        except sessions.LoginFailed as exc:
            form.add_error("code", str(exc))
        else:
            del request.session[PENDING_KEY]
            login(request, row.staff, backend="ferry.accounts.backends.VaultBackend")
            request.session[STAFF_SESSION_KEY] = row.pk
            return redirect("core:dashboard")
    has_keys = row.staff.security_keys.exists()
    return render(request, "accounts/login_code.html", {"form": form, "has_keys": has_keys})


@require_POST
@roles(SIGNED_IN)
def logout_view(request: HttpRequest) -> HttpResponse:
    session_id = request.session.get(STAFF_SESSION_KEY)
    if session_id:
        sessions.staff_session_end(session_id=session_id)
    logout(request)
    response = redirect(settings.LOGIN_URL)
    response.delete_cookie(settings.FERRY_UNLOCK_COOKIE, path=unlock_cookie_path())
    return response


@require_POST
@roles(SIGNED_IN)
def alert_ack(request: StaffRequest, alert_id: int) -> HttpResponse:
    """Acknowledge one of one's own alerts (check-in alerts need a note on the case instead)."""
    alerts.alert_acknowledge(recipient=request.user, alert_id=alert_id)
    return redirect("core:dashboard")
