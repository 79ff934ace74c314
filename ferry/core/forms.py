"""Small typed helpers for forms whose choices are known only when the form is made."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms


def choices_set(form: forms.BaseForm, name: str, choices: Iterable[tuple[Any, Any]]) -> None:
    """Give a choice field its choices (the field's class says it has them; django-stubs types only Field)."""
    cast(forms.ChoiceField, form.fields[name]).choices = list(choices)
