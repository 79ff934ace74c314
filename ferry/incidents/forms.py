"""Forms of the documentation pages. A date is entered as it is known: year, month and day, and how
precise it is; the services check that the parts agree (incidents.services.date_from_parts)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ferry.accounts.models import Staff
from ferry.core.forms import choices_set
from ferry.incidents import selectors, vocabulary
from ferry.incidents.models import (
    Degree,
    Information,
    Intervention,
    Perpetrator,
    PerpetratorLink,
    Place,
    PlacePrecision,
    Precision,
    Source,
    Verification,
    Vocabulary,
)
from ferry.incidents.services import (
    IncidentData,
    InvolvementData,
    PartialDate,
    PerpetratorData,
    SourceData,
    VictimData,
)
from ferry.intake.forms import PlainSelect
from ferry.intake.places import country_choices, region_choices


class RegisterField(forms.CharField):
    """A perpetrator of the register, typed rather than picked from a list that could not hold twenty thousand
    names: a whole name (in either script) or the register number shown as "#123". A whole name one entry has
    is taken. A part of a name is never taken, even when one entry matches (a surname typed for somebody else
    would name that official): the entries it matches are offered with their kinds and numbers, so the next
    try can name one, as are several entries with the same name. No script needed. Cleans to the perpetrator's
    id, or None when left empty."""

    def __init__(self, *, units_only: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("A whole name, or the register number, as #123."))
        super().__init__(**kwargs)
        self.units_only = units_only

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        named = selectors.register_named(text, units_only=self.units_only)
        if named.whole and len(named.found) == 1:
            return named.found[0].pk
        if not named.found:
            raise forms.ValidationError(_("Nobody in the register matches this. Check the spelling or add them first."))
        shown = named.found[: selectors.REGISTER_MATCHES]
        names = ", ".join(f"{p.name_original} ({p.get_kind_display()}, #{p.pk})" for p in shown)
        more = "…" if len(named.found) > selectors.REGISTER_MATCHES else ""
        if not named.whole:
            raise forms.ValidationError(
                _("In the register, this is part of: %(names)s%(more)s. Type the whole name, or the number, as #123.")
                % {"names": names, "more": more}
            )
        raise forms.ValidationError(
            _("Several in the register match: %(names)s%(more)s. Type the number of the one you mean, as #123.")
            % {"names": names, "more": more}
        )


def _text(label: Any, max_length: int, rows: int = 3, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


def _line(label: Any, max_length: int = 200, required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=required)


def _optional_int(label: Any, low: int, high: int) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=low, max_value=high, required=False)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DatesMixin(forms.Form):
    """Start and end dates as they are known."""

    start_year = forms.IntegerField(label=_("Start: year"), min_value=1900, max_value=2200)
    start_month = _optional_int(_("Start: month"), 1, 12)
    start_day = _optional_int(_("Start: day"), 1, 31)
    start_precision = forms.ChoiceField(label=_("Start: how precise"), choices=Precision.choices)
    end_year = _optional_int(_("End: year"), 1900, 2200)
    end_month = _optional_int(_("End: month"), 1, 12)
    end_day = _optional_int(_("End: day"), 1, 31)
    end_precision = forms.ChoiceField(
        label=_("End: how precise"), choices=[("", "—"), *Precision.choices], required=False
    )

    def start(self) -> PartialDate:
        d = self.cleaned_data
        return PartialDate(d["start_year"], d["start_month"], d["start_day"], d["start_precision"])

    def end(self) -> PartialDate | None:
        d = self.cleaned_data
        if d.get("end_year") is None:
            return None
        return PartialDate(d["end_year"], d["end_month"], d["end_day"], d["end_precision"] or Precision.DAY)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("end_year") is None and (data.get("end_month") or data.get("end_day")):
            self.add_error("end_year", _("Give the end's year, or leave the whole end date empty."))
        return data


def dates_initial(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "start_year": record.start_date.year,
        "start_precision": record.start_precision,
    }
    if record.start_precision in (Precision.DAY, Precision.MONTH):
        out["start_month"] = record.start_date.month
    if record.start_precision == Precision.DAY:
        out["start_day"] = record.start_date.day
    if record.end_date is not None:
        out |= {"end_year": record.end_date.year, "end_precision": record.end_precision}
        if record.end_precision in (Precision.DAY, Precision.MONTH):
            out["end_month"] = record.end_date.month
        if record.end_precision == Precision.DAY:
            out["end_day"] = record.end_date.day
    return out


class IncidentForm(DatesMixin):
    field_order = ["title", *DatesMixin.base_fields]
    title = _line(_("Title"), 200, required=True)
    country = forms.ChoiceField(label=_("Country"), widget=PlainSelect)
    subdivision = forms.ChoiceField(label=_("Region"), required=False, widget=PlainSelect)
    place_precision = forms.TypedChoiceField(
        label=_("How exactly the place is known"), coerce=int, choices=PlacePrecision.choices, initial=3
    )
    place = forms.TypedChoiceField(
        label=_("Known place (e.g. a place of detention)"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=PlainSelect,
    )
    victim_count = forms.IntegerField(label=_("Number of victims"), min_value=0, max_value=100_000, initial=1)
    narrative = _text(_("What happened"), 50_000, rows=8)
    location = _text(_("Exact location"), 2_000, rows=2)
    notes = _text(_("Notes"), 20_000, rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "country", [("", "—"), *country_choices()])
        choices_set(self, "subdivision", [("", "—"), *region_choices()])
        places = [(p.pk, f"{p.name} ({p.country})") for p in Place.objects.order_by("name")]
        choices_set(self, "place", [("", "—"), *places])
        self.fields["location"].help_text = _("Sealed: only those who can open the incident read it.")

    def data_object(self) -> IncidentData:
        d = self.cleaned_data
        return IncidentData(
            title=d["title"],
            start=self.start(),
            end=self.end(),
            country=d["country"],
            subdivision=d["subdivision"] or "",
            place_precision=d["place_precision"],
            place_id=d["place"],
            victim_count=d["victim_count"],
            narrative=d["narrative"],
            location=d["location"],
            notes=d["notes"],
        )


class IncidentEditForm(IncidentForm, VersionForm):
    field_order = ["title", *DatesMixin.base_fields]


class VictimFieldsMixin(forms.Form):
    name = _line(_("Name"), 200)
    age = _line(_("Age"), 20)
    sexual_orientation = _line(_("Sexual orientation"), 100)
    gender_identity = _line(_("Gender identity"), 100)
    gender_expression = _line(_("Gender expression"), 100)
    sex_characteristics = _line(_("Sex characteristics"), 100)
    case_reference = _line(_("Linked case (reference, optional)"), 8)

    def victim(self) -> VictimData:
        d = self.cleaned_data
        return VictimData(**{name: d.get(name) or "" for name in VictimData.__dataclass_fields__})


class VictimForm(VictimFieldsMixin):
    pass


class InterviewForm(IncidentForm, VictimFieldsMixin):
    """One screen after a phone interview: the incident, the first victim and what was done to them."""

    field_order = [
        "title",
        *DatesMixin.base_fields,
        "country",
        "subdivision",
        "place_precision",
        "place",
        "victim_count",
        "narrative",
        "location",
        "notes",
        *VictimFieldsMixin.base_fields,
        "act_type",
        "method",
        "perpetrator_type",
        "restricted",
        "share_with",
    ]

    act_type = forms.TypedChoiceField(label=_("What was done"), coerce=int, required=False, empty_value=None)
    method = forms.TypedChoiceField(label=_("Method"), coerce=int, required=False, empty_value=None)
    perpetrator_type = forms.TypedChoiceField(label=_("Who did it"), coerce=int, required=False, empty_value=None)
    restricted = forms.BooleanField(
        label=_("Restricted: only the people I name can open it"),
        required=False,
    )
    share_with = forms.TypedMultipleChoiceField(label=_("Also share with"), coerce=int, required=False)

    def __init__(self, *args: Any, colleagues: list[Staff] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "act_type", [("", "—"), *vocabulary.choices(Vocabulary.ACT_TYPE)])
        choices_set(self, "method", [("", "—"), *vocabulary.choices(Vocabulary.METHOD)])
        choices_set(self, "perpetrator_type", [("", "—"), *vocabulary.choices(Vocabulary.PERPETRATOR_TYPE)])
        choices_set(self, "share_with", [(s.pk, s.name) for s in colleagues or []])


class ActForm(DatesMixin):
    victim = forms.ChoiceField(label=_("Victim"))
    act_type = forms.TypedChoiceField(label=_("What was done"), coerce=int)
    method = forms.TypedChoiceField(label=_("Method"), coerce=int, required=False, empty_value=None)
    consequence = forms.TypedChoiceField(label=_("Consequence"), coerce=int, required=False, empty_value=None)
    notes = _text(_("Notes"), 20_000)
    perpetrator = RegisterField(label=_("Perpetrator from the register"))
    perpetrator_type = forms.TypedChoiceField(
        label=_("Or only the kind of perpetrator"), coerce=int, required=False, empty_value=None
    )
    degree = forms.ChoiceField(label=_("Their part"), choices=Degree.choices, initial=Degree.UNKNOWN)
    detail = _text(_("About the perpetrator (sealed)"), 5_000, rows=2)

    def __init__(self, *args: Any, victims: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "victim", victims or [])
        choices_set(self, "act_type", vocabulary.choices(Vocabulary.ACT_TYPE))
        choices_set(self, "method", [("", "—"), *vocabulary.choices(Vocabulary.METHOD)])
        choices_set(self, "consequence", [("", "—"), *vocabulary.choices(Vocabulary.CONSEQUENCE)])
        choices_set(self, "perpetrator_type", [("", "—"), *vocabulary.choices(Vocabulary.PERPETRATOR_TYPE)])

    def involvements(self) -> tuple[InvolvementData, ...]:
        d = self.cleaned_data
        if d["perpetrator"] is None and d["perpetrator_type"] is None:
            return ()
        return (
            InvolvementData(
                perpetrator_id=d["perpetrator"],
                perpetrator_type=d["perpetrator_type"],
                degree=d["degree"],
                detail=d["detail"],
            ),
        )


class VerifyForm(VersionForm):
    status = forms.ChoiceField(label=_("Verification"), choices=Verification.choices)


class ShareForm(forms.Form):
    colleague = forms.TypedChoiceField(label=_("Colleague"), coerce=int)

    def __init__(self, *args: Any, colleagues: list[Staff] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "colleague", [(s.pk, s.name) for s in colleagues or []])


class UnshareForm(forms.Form):
    staff_id = forms.IntegerField(widget=forms.HiddenInput)


class SourceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of source"), choices=Source.Kind.choices)
    reliability = forms.ChoiceField(label=_("Reliability"), choices=Source.Reliability.choices, initial="F")
    name = _line(_("Name or title"), 200)
    contact = _line(_("Contact or address"), 500)
    description = _text(_("Description"), 5_000)

    def data_object(self) -> SourceData:
        return SourceData(**{k: self.cleaned_data[k] for k in SourceData.__dataclass_fields__})


class InformationForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"))
    credibility = forms.TypedChoiceField(
        label=_("Credibility"), coerce=int, choices=Information.Credibility.choices, initial=6
    )
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    summary = _text(_("What the source said"), 20_000, rows=4)

    def __init__(self, *args: Any, sources: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "source", sources or [])


class InterventionForm(forms.Form):
    kind = forms.ChoiceField(label=_("What was done"), choices=Intervention.Kind.choices)
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    detail = _text(_("Detail"), 10_000)


class PerpetratorForm(forms.Form):
    kind = forms.ChoiceField(label=_("Person, unit or institution"), choices=Perpetrator.Kind.choices)
    perpetrator_type = forms.TypedChoiceField(label=_("Kind of perpetrator"), coerce=int)
    name_original = _line(_("Name in the original script"), 200, required=True)
    name_translit = _line(_("Transliteration"), 200)
    country = forms.ChoiceField(label=_("Country"), required=False, widget=PlainSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        public = [(pk, label) for pk, label in vocabulary.choices(Vocabulary.PERPETRATOR_TYPE)]
        choices_set(self, "perpetrator_type", public)
        choices_set(self, "country", [("", "—"), *country_choices()])

    def data_object(self) -> PerpetratorData:
        return PerpetratorData(**{k: self.cleaned_data[k] for k in PerpetratorData.__dataclass_fields__})


class PositionForm(forms.Form):
    unit = RegisterField(label=_("Unit or institution"), units_only=True)
    title = _line(_("Position"), 160)
    rank = _line(_("Rank"), 80)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("Link"), choices=PerpetratorLink.Kind.choices)
    target = RegisterField(label=_("To"), required=True)


class PlaceForm(forms.Form):
    name = _line(_("Name"), 160, required=True)
    name_translit = _line(_("Transliteration"), 160)
    kind = forms.ChoiceField(label=_("Kind of place"), choices=Place.Kind.choices)
    country = forms.ChoiceField(label=_("Country"), widget=PlainSelect)
    subdivision = forms.ChoiceField(label=_("Region"), required=False, widget=PlainSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "country", [("", "—"), *country_choices()])
        choices_set(self, "subdivision", [("", "—"), *region_choices()])


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    verification = forms.ChoiceField(
        label=_("Verification"), choices=[("", "—"), *Verification.choices], required=False
    )
    country = forms.ChoiceField(label=_("Country"), required=False, widget=PlainSelect)
    subdivision = forms.ChoiceField(label=_("Region"), required=False, widget=PlainSelect)
    act_type = forms.TypedChoiceField(label=_("Act type"), coerce=int, required=False, empty_value=None)
    method = forms.TypedChoiceField(label=_("Method"), coerce=int, required=False, empty_value=None)
    perpetrator_type = forms.TypedChoiceField(
        label=_("Kind of perpetrator"), coerce=int, required=False, empty_value=None
    )
    perpetrator = RegisterField(label=_("Perpetrator"))
    place = forms.TypedChoiceField(label=_("Place"), coerce=int, required=False, empty_value=None, widget=PlainSelect)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "country", [("", "—"), *country_choices()])
        choices_set(self, "subdivision", [("", "—"), *region_choices()])
        choices_set(self, "act_type", [("", "—"), *vocabulary.choices(Vocabulary.ACT_TYPE)])
        choices_set(self, "method", [("", "—"), *vocabulary.choices(Vocabulary.METHOD)])
        choices_set(self, "perpetrator_type", [("", "—"), *vocabulary.choices(Vocabulary.PERPETRATOR_TYPE)])
        choices_set(self, "place", [("", "—"), *[(p.pk, p.name) for p in Place.objects.order_by("name")]])


class TermForm(forms.Form):
    code = forms.SlugField(label=_("Code (never changes)"), max_length=60)
    label_en = _line(_("Label in English"), 120, required=True)
    label_ru = _line(_("Label in Russian"), 120, required=True)
    parent = forms.TypedChoiceField(label=_("Under"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, vocabulary_name: str = Vocabulary.ACT_TYPE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = vocabulary.tree(vocabulary_name)
        choices_set(self, "parent", [("", "—"), *[(r.term.pk, "\u2003" * r.depth + r.term.label) for r in rows]])


class TermRenameForm(forms.Form):
    label_en = _line(_("Label in English"), 120, required=True)
    label_ru = _line(_("Label in Russian"), 120, required=True)
