"""Forms of the administrators' case settings: pipeline names, the retention period, shredding a case."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ferry.cases.retention import MAX_DAYS, due_cases


class NamesForm(forms.Form):
    name_en = forms.CharField(label=_("Name in English"), max_length=80)
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=80)


class RetentionForm(forms.Form):
    days = forms.IntegerField(
        label=_("Days a closed case keeps its personal data"),
        help_text=_("Leave empty to keep it until an administrator shreds the case by hand."),
        min_value=1,
        max_value=MAX_DAYS,
        required=False,
    )
    understood = forms.BooleanField(
        label=_("I understand that shredded cases cannot be recovered by anyone, including us."),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        days = data.get("days")
        if days is not None and not data.get("understood"):
            message = gettext("Tick the box to confirm that you understand shredding cannot be undone.")
            due = due_cases(days).count()
            if due:
                consequence = ngettext(
                    "With this period, %(n)d closed case will be shredded within the hour.",
                    "With this period, %(n)d closed cases will be shredded within the hour.",
                    due,
                ) % {"n": due}
                message = f"{consequence} {message}"
            self.add_error("understood", message)
        return data


class ShredForm(forms.Form):
    """Typing the reference again is the confirmation: a slip of the mouse cannot shred a case."""

    reference = forms.CharField(label=_("Type the case reference to confirm"), max_length=20)

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_reference(self) -> str:
        typed = self.cleaned_data["reference"].strip().upper()
        if typed != self.expected.upper():
            raise forms.ValidationError(_("This is not the reference of this case. Nothing was shredded."))
        return typed
