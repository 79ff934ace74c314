"""Forms of referrals: a partner (administrators), a referral from a case's page, a status change."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from ferry.cases.models import Partner, Referral
from ferry.cases.referrals.services import CONTENT, DEFAULT_CONTENT, PARTNER_KINDS
from ferry.core.forms import choices_set
from ferry.intake.places import country_choices

UNKNOWN_PARTNER = gettext_lazy("Choose a partner from the list; unknown or inactive partners cannot receive referrals.")


def _countries(blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank), *country_choices()]


class PartnerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "country", _countries())
        choices_set(self, "kind", [("", "—"), *PARTNER_KINDS])


class ReferralForm(forms.Form):
    partner = forms.TypedChoiceField(
        label=gettext_lazy("Partner"), coerce=int, error_messages={"invalid_choice": UNKNOWN_PARTNER}
    )
    destination_country = forms.ChoiceField(label=gettext_lazy("Destination country"))
    include = forms.MultipleChoiceField(
        label=gettext_lazy("The packet contains only what is ticked"),
        choices=CONTENT,
        initial=DEFAULT_CONTENT,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=gettext_lazy("A note for the partner (goes into the packet)"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent = forms.BooleanField(
        label=gettext_lazy("The person agreed to this referral and to what the packet contains"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partners = Partner.objects.filter(active=True).order_by("name")
        choices_set(self, "partner", [(p.pk, p.name) for p in partners])
        choices_set(self, "destination_country", _countries())


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Referral.Status.choices)
    consent = forms.BooleanField(
        label=gettext_lazy("The person agreed to this referral and to what the packet contains"), required=False
    )
    note = forms.CharField(label=gettext_lazy("Note (kept encrypted)"), max_length=2_000, required=False)

    referral_id: uuid.UUID | None = None
