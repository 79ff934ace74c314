"""Forms of the dossier pages: search the register, mark evidence against a claim, prepare a dossier."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ferry.advocacy.models import ClaimEvidence


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), max_length=200, required=False)


class MarkForm(forms.Form):
    """An evidence item of the claim's incident, and whether it supports or contradicts the claim. The claims
    offered are the perpetrator's own involvements (set by the page)."""

    involvement = forms.ChoiceField(label=_("Claim"))
    evidence = forms.CharField(label=_("Evidence reference"), max_length=7)
    stance = forms.ChoiceField(label=_("It"), choices=ClaimEvidence.Stance.choices, required=False)

    def __init__(self, *args: object, involvements: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["involvement"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [(value, value) for value in involvements]


class PrepareForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=[("en", _("English")), ("ru", _("Russian"))])
    format = forms.ChoiceField(label=_("Format"), choices=[("pdf", "PDF"), ("json", "JSON")])
    dates = forms.ChoiceField(
        label=_("Dates"),
        choices=[("day", _("As precisely as known")), ("month", _("To the month at most"))],
        initial="day",
        required=False,
    )
