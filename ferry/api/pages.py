"""Staff pages of the API (browser session): one's own tokens (made after typing the passphrase again, shown
once, revoked) and the list of endpoints read from the schema."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ferry.accounts.forms import passphrase_field
from ferry.accounts.http import StaffRequest
from ferry.accounts.services import AccountError
from ferry.api import tokens
from ferry.api.models import ApiToken
from ferry.api.schema import schema_dict
from ferry.core.permissions import SIGNED_IN, roles


class TokenForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Name"), max_length=60, help_text=gettext_lazy("What will use it, e.g. “weekly report”.")
    )
    scope = forms.ChoiceField(label=gettext_lazy("It may"), choices=ApiToken.Scope.choices)
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=tokens.MAX_DAYS, initial=30
    )
    current = passphrase_field(gettext_lazy("Your passphrase"), autocomplete="current-password")


def _duress(request: StaffRequest) -> bool:
    return bool(request.staff_session and request.staff_session.duress)


def _page(request: StaffRequest, form: TokenForm | None = None, new_token: str = "", status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form or TokenForm(),
        "tokens": tokens.tokens_of(request.user),
        "new_token": new_token,
    }
    return render(request, "api/tokens.html", context, status=status)


@require_GET
@roles(SIGNED_IN)
def token_list(request: StaffRequest) -> HttpResponse:
    return _page(request)


@require_POST
@roles(SIGNED_IN)
def token_create(request: StaffRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            created = tokens.token_create(
                staff=request.user,
                passphrase=d["current"],
                label=d["label"],
                scope=d["scope"],
                days=d["days"],
                in_duress_session=_duress(request),
            )
        except AccountError as exc:
            form.add_error(None, str(exc))
        else:
            # Shown once, on this answer only (Cache-Control: no-store); never stored.
            return _page(request, new_token=created.secret)
    return _page(request, form=form, status=400)


@require_POST
@roles(SIGNED_IN)
def token_revoke(request: StaffRequest, token_id: int) -> HttpResponse:
    tokens.token_revoke(staff=request.user, token_id=token_id)
    messages.success(request, _("The token was revoked."))
    return redirect("api_pages:tokens")


@require_GET
@roles(SIGNED_IN)
def endpoints(request: StaffRequest) -> HttpResponse:
    schema = schema_dict(public=True)
    rows = [
        {"method": method.upper(), "path": path, "summary": op.get("summary", ""), "id": op.get("operationId", "")}
        for path, operations in schema.get("paths", {}).items()
        for method, op in operations.items()
    ]
    return render(request, "api/endpoints.html", {"rows": rows, "version": schema.get("info", {}).get("version", "")})
