"""Forms of the statistics builder: what to count, by what, over which records, and how to protect it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ferry.advocacy import disclosure, statistics
from ferry.core.forms import choices_set
from ferry.incidents.models import Verification
from ferry.intake.places import country_choices

MEASURE_CHOICES = [
    ("incidents", _("Incidents")),
    ("acts", _("Acts")),
    ("involvements", _("Perpetrators' parts in acts")),
    ("cases", _("Cases")),
    ("referrals", _("Referrals")),
]
PERIOD_CHOICES = [("year", _("Year")), ("quarter", _("Quarter")), ("month", _("Month"))]
ROUNDING_CHOICES = [
    ("", _("No rounding")),
    ("base5", _("Round to a multiple of 5")),
    ("random3", _("Random rounding to a multiple of 3")),
]
LANGUAGE_CHOICES = [("en", "English"), ("ru", "Русский")]
OUTPUT_CHOICES = [
    ("csv", _("Table, CSV")),
    ("xlsx", _("Table, XLSX")),
    ("series.png", _("Time series chart, PNG")),
    ("series.svg", _("Time series chart, SVG")),
    ("bars.png", _("Bar chart, PNG")),
    ("bars.svg", _("Bar chart, SVG")),
    ("stacked.png", _("Stacked bar chart, PNG")),
    ("stacked.svg", _("Stacked bar chart, SVG")),
    ("map.png", _("Map of subdivisions, PNG")),
    ("map.svg", _("Map of subdivisions, SVG")),
]
ALL_DIMENSIONS = [
    ("period", _("Period")),
    ("country", _("Country")),
    ("subdivision", _("Subdivision")),
    ("verification", _("Verification")),
    ("act_type", _("Act type")),
    ("method", _("Method")),
    ("consequence", _("Consequence")),
    ("perpetrator_type", _("Perpetrator type")),
    ("perpetrator", _("Perpetrator unit or institution")),
    ("degree", _("Degree of involvement")),
    ("stage", _("Stage")),
    ("outcome", _("Outcome")),
    ("destination", _("Destination country")),
    ("status", _("Referral status")),
]


class StatisticsForm(forms.Form):
    measure = forms.ChoiceField(label=_("What to count"), choices=MEASURE_CHOICES, initial="incidents")
    row1 = forms.ChoiceField(label=_("Rows by"), choices=ALL_DIMENSIONS, initial="period")
    row2 = forms.ChoiceField(label=_("and by"), choices=[("", "—"), *ALL_DIMENSIONS], required=False)
    column = forms.ChoiceField(label=_("Columns by"), choices=[("", "—"), *ALL_DIMENSIONS], required=False)
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, initial="year")
    country = forms.ChoiceField(label=_("Country"), required=False)
    verification = forms.ChoiceField(
        label=_("Verification"), choices=[("", "—"), *Verification.choices], required=False
    )
    year_from = forms.IntegerField(label=_("From the year"), min_value=1900, max_value=2200, required=False)
    year_to = forms.IntegerField(label=_("To the year"), min_value=1900, max_value=2200, required=False)
    threshold = forms.IntegerField(
        label=_("Suppress cells below"),
        min_value=disclosure.MINIMUM_THRESHOLD,
        max_value=1000,
        initial=disclosure.DEFAULT_THRESHOLD,
    )
    rounding = forms.ChoiceField(label=_("Rounding"), choices=ROUNDING_CHOICES, required=False)
    epsilon = forms.DecimalField(
        label=_("Noise (epsilon; empty for none)"),
        min_value=0.001,
        max_value=5,
        decimal_places=3,
        required=False,
        help_text=_("Counts of incidents or cases only. Each new noisy table spends this much of the budget."),
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language of the output"), choices=LANGUAGE_CHOICES, initial="en")
    output = forms.ChoiceField(label=_("Output"), choices=OUTPUT_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "country", [("", "—"), *country_choices()])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("year_from") and data.get("year_to") and data["year_from"] > data["year_to"]:
            self.add_error("year_to", _("The last year cannot be before the first."))
        return data

    def question(self) -> statistics.Question:
        return statistics.question_of(self.cleaned_data)

    def settings(self) -> statistics.Settings:
        d = self.cleaned_data
        epsilon = d.get("epsilon")
        return statistics.Settings(
            threshold=d["threshold"],
            rounding=d.get("rounding") or "",
            epsilon_milli=int(epsilon * 1000) if epsilon else 0,
        )


class PathwayForm(forms.Form):
    year_from = forms.IntegerField(label=_("From the year"), min_value=1900, max_value=2200, required=False)
    year_to = forms.IntegerField(label=_("To the year"), min_value=1900, max_value=2200, required=False)
    threshold = forms.IntegerField(
        label=_("Publish only with at least this many cases"),
        min_value=disclosure.MINIMUM_THRESHOLD,
        max_value=1000,
        initial=disclosure.DEFAULT_THRESHOLD,
    )
    language = forms.ChoiceField(label=_("Language of the output"), choices=LANGUAGE_CHOICES, initial="en")
    output = forms.ChoiceField(label=_("Output"), choices=OUTPUT_CHOICES[:2], required=False)


class ReportForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(label=_("Language of the report"), choices=LANGUAGE_CHOICES, initial="en")
    introduction = forms.CharField(label=_("Introduction"), max_length=20_000, required=False, widget=forms.Textarea)
    conclusion = forms.CharField(label=_("Conclusion"), max_length=20_000, required=False, widget=forms.Textarea)
