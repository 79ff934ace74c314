"""Forms of the tracker's pages. They check shape and length; the services check the rest (dates not in the
future, references that exist, an ask of the same government)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ferry.advocacy import disclosure
from ferry.advocacy.models import Ask, Government, Response
from ferry.advocacy.tracker import services
from ferry.advocacy.tracker.selectors import NO_ANSWER_AFTER_DAYS
from ferry.core.forms import choices_set
from ferry.intake.forms import PlainSelect
from ferry.intake.places import country_choices


def _day(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


def _text(label: Any, max_length: int, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.Textarea(attrs={"rows": 3})
    )


class GovernmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Government.Kind.choices)
    name_en = forms.CharField(label=_("Name in English"), max_length=services.NAME_MAX)
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=services.NAME_MAX)
    country = forms.ChoiceField(label=_("Country (for a state)"), required=False, widget=PlainSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "country", [("", "—"), *country_choices()])


class AskForm(forms.Form):
    kind = forms.ChoiceField(label=_("What was asked"), choices=Ask.Kind.choices)
    asked_on = _day(_("Date of the ask"))
    summary = _text(_("Summary"), services.SUMMARY_MAX, required=True)
    incidents = forms.CharField(
        label=_("Incidents it rested on"),
        help_text=_("References, separated by commas or spaces."),
        max_length=2000,
        required=False,
    )
    releases = forms.CharField(
        label=_("Releases it rested on"),
        help_text=_("References, separated by commas or spaces."),
        max_length=2000,
        required=False,
    )

    def service_arguments(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "asked_on": d["asked_on"],
            "summary": d["summary"],
            "incidents": services.references_parsed(d["incidents"]),
            "releases": services.references_parsed(d["releases"]),
        }


class ResponseForm(forms.Form):
    ask = forms.TypedChoiceField(
        label=_("In answer to"), coerce=int, required=False, empty_value=None, widget=PlainSelect
    )
    kind = forms.ChoiceField(label=_("What the government did"), choices=Response.Kind.choices)
    on = _day(_("Date of the response"))
    source = forms.CharField(label=_("Source"), max_length=services.SOURCE_MAX, required=False)
    quote = _text(_("Quote"), services.QUOTE_MAX)

    def __init__(self, *args: Any, government: Government, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        asks = Ask.objects.filter(government=government).order_by("-asked_on", "-pk")[:500]
        options = [(a.pk, f"{date_format(a.asked_on, 'SHORT_DATE_FORMAT')} · {a.get_kind_display()}") for a in asks]
        choices_set(self, "ask", [("", _("Unprompted (no ask)")), *options])


class DaysForm(forms.Form):
    """How long an ask may wait before it counts as unanswered."""

    after = forms.IntegerField(
        label=_("No answer after (days)"), min_value=1, max_value=3650, initial=NO_ANSWER_AFTER_DAYS
    )

    def days(self) -> int:
        return int(self.cleaned_data["after"]) if self.is_valid() else NO_ANSWER_AFTER_DAYS


class ReleaseForm(DaysForm):
    threshold = forms.IntegerField(
        label=_("Suppress incident counts below"),
        min_value=disclosure.MINIMUM_THRESHOLD,
        max_value=1000,
        initial=disclosure.DEFAULT_THRESHOLD,
    )
