"""The shape every staff action page shares: valid form → service → message and redirect; a refusal →
the same page again with the form's error (status 400). A missing or forbidden record is not caught here:
its NotFound reaches core.middleware.ErrorPagesMiddleware, which answers with the one 404 page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from ferry.core.errors import FerryError, NotFound


def form_action(
    request: HttpRequest,
    *,
    form: forms.Form,
    action: Callable[[dict[str, Any]], object],
    done: str,
    success_url: str,
    again: Callable[[forms.Form], HttpResponse],
) -> HttpResponse:
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except NotFound:
            raise
        except FerryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return HttpResponseRedirect(success_url)
    return again(form)
