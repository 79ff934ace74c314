"""The export page's form: format, date setting, threshold and clear filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ferry.advocacy.disclosure import DEFAULT_THRESHOLD, MINIMUM_THRESHOLD
from ferry.advocacy.exports.services import ExportQuestion
from ferry.incidents.models import Incident
from ferry.intake.places import country_choices


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("acled_csv", _("CSV with ACLED's columns")),
            ("hxl_csv", _("CSV with ACLED's columns and a row of HXL hashtags")),
            ("xlsx", _("Spreadsheet (XLSX) with ACLED's columns")),
        ],
        initial="acled_csv",
        widget=forms.RadioSelect,
    )
    date_setting = forms.ChoiceField(
        label=_("Dates given to"),
        choices=[("month", _("The month")), ("year", _("The year"))],
        initial="month",
        widget=forms.RadioSelect,
    )
    threshold = forms.IntegerField(
        label=_("Smallest group published (k)"),
        help_text=_(
            "A row is withheld unless at least this many rows share its period, region and event type. "
            "10 is usual; never below 5."
        ),
        min_value=MINIMUM_THRESHOLD,
        max_value=1000,
        initial=DEFAULT_THRESHOLD,
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    since = forms.IntegerField(label=_("From the year"), required=False, min_value=1900, max_value=2200)
    until = forms.IntegerField(label=_("To the year"), required=False, min_value=1900, max_value=2200)
    verified_only = forms.BooleanField(label=_("Verified incidents only"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recorded = set(Incident.objects.order_by().values_list("country", flat=True).distinct())
        choices = [(code, name) for code, name in country_choices() if code in recorded]
        self.fields["country"].choices = [("", _("All countries")), *choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and since > until:
            self.add_error("until", _("The last year comes before the first."))
        return data

    def question(self) -> ExportQuestion:
        d = self.cleaned_data
        return ExportQuestion(
            format=d["format"],
            date_setting=d["date_setting"],
            threshold=d["threshold"],
            country=d["country"] or "",
            since=d["since"],
            until=d["until"],
            verified_only=bool(d["verified_only"]),
        )
