"""The shape every staff action page shares: valid form → service → message and redirect; a refusal →
the same page again with the form's error (status 400); a missing or forbidden object → 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect


def form_action(
    request: HttpRequest,
    *,
    form: forms.Form,
    action: Callable[[dict[str, Any]], object],
    done: str,
    success_url: str,
    refused: tuple[type[Exception], ...],
    missing: tuple[type[Exception], ...],
    again: Callable[[forms.Form], HttpResponse],
) -> HttpResponse:
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except missing:
            raise Http404 from None
        except refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return HttpResponseRedirect(success_url)
    return again(form)
