"""Forms of the evidence pages: adding a file, a working copy, a hand-over to a partner."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from ferry.incidents.models import Evidence


def _text(label: Any, *, rows: int = 0, required: bool = True, max_length: int = 2_000) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(attrs={"autocomplete": "off"})
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget)


class EvidenceForm(forms.Form):
    # Empty files reach the service, which refuses them with its own message (one rule, one wording).
    file = forms.FileField(label=gettext_lazy("File"), allow_empty_file=True)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Evidence.Kind.choices)
    how = _text(
        gettext_lazy("How it was acquired (from whom, on what device, how it reached us)"), rows=3, max_length=5_000
    )
    description = _text(gettext_lazy("What it shows"), rows=3, required=False, max_length=5_000)
    source = forms.CharField(
        label=gettext_lazy("Source reference (optional)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class CopyForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"), allow_empty_file=True)
    copy_kind = forms.ChoiceField(label=gettext_lazy("Kind of working copy"), choices=Evidence.CopyKind.choices)
    description = _text(gettext_lazy("What was changed or left out"), rows=2, required=False, max_length=5_000)


class HandoverForm(forms.Form):
    recipient = _text(gettext_lazy("Handed to (organisation, office, person)"), max_length=300)
    method = _text(gettext_lazy("How (in person, encrypted transfer, courier...)"), max_length=300)
    note = _text(gettext_lazy("Note"), rows=2, required=False)
