"""Forms of the check-in panel: the plan, a check-in heard by staff, and acknowledging alerts with a note.

Numbers are checked by the service (ferry.cases.checkins.services.check_plan), so a page and the API give the same
clear refusals; the forms only turn text into values."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ferry.cases.checkins.schedule import UNITS, time_zones
from ferry.cases.forms import VersionForm
from ferry.cases.models import CheckInRecord
from ferry.core.forms import choices_set

UNIT_CHOICES = [("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))]


class PlanForm(VersionForm):
    every = forms.IntegerField(label=_("Check in every"))
    every_unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES)
    grace = forms.IntegerField(
        label=_("Grace period"), help_text=_("How long after the due time before the caseworkers are alerted.")
    )
    grace_unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES)
    lost_after_missed = forms.IntegerField(
        label=_("Lost contact after this many missed check-ins"),
        help_text=_("Each grace period after the first alert widens it: coordinators, then all administrators."),
    )
    quiet_start = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Optional. When the person sleeps: alerts that would fall in these hours wait until they end."),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    time_zone = forms.ChoiceField(label=_("The person's time zone"))
    active = forms.BooleanField(label=_("Check-ins are on"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "time_zone", [(z, z) for z in time_zones()])

    def minutes(self, name: str) -> int:
        return int(self.cleaned_data[name]) * UNITS[self.cleaned_data[f"{name}_unit"]]


class RecordForm(forms.Form):
    at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Your local time."),
    )
    channel = forms.ChoiceField(label=_("How"), choices=CheckInRecord.Channel.choices)
    duress = forms.BooleanField(
        label=_("The person is under duress or in danger: this is an emergency, not a safe check-in"),
        required=False,
    )
    note = forms.CharField(
        label=_("Note (kept encrypted)"), max_length=5_000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("What was done (kept encrypted)"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: who called whom, and what you know now."),
    )
