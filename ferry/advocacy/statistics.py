"""The statistics builder: a question (what to count, by which dimensions, over which records) answered as a
table that has passed disclosure control, ready for any renderer (advocacy.tables.Table).

Counts come from clear fields only: incidents' classification (dates with their precision, country and
subdivision, verification, act types, methods, consequences, perpetrator types and entities, degrees) and
cases' clear statistics (opening day, stage, outcome, destination country), shredded cases included (their
rows stay as tombstones with these fields). Nothing sealed is read, and no key is needed.

Each table counts one kind of record, so its margins are sums of its cells (what secondary suppression
assumes): incidents, acts (one violation of one victim) or involvements (one perpetrator's part in one act),
cases. A cell is suppressed when it counts fewer than k records, or when the records behind it come from
fewer than k incidents (ten acts suffered by one person in one incident are one person's story).

The same question with the same settings always gives the same table: random rounding draws from a
generator keyed by a server secret and the question; noisy answers are kept and served again (models.
NoisyAnswer), so asking twice neither averages noise away nor spends the budget twice."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Model, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from ferry.advocacy import disclosure, noise
from ferry.advocacy.counts import Counts, StatisticsError, check_size
from ferry.advocacy.tables import Table
from ferry.advocacy.tallied import tallied_counts
from ferry.cases.models import Case, ClosingReason, Referral, Stage
from ferry.incidents.models import Act, Degree, Incident, Involvement, Perpetrator, Precision, Term, Verification
from ferry.intake.places import place_label

PERIODS = ("month", "quarter", "year")
# A period finer than what a record's date is known to: its bucket says so instead of guessing.
_PRECISION_RANK = {Precision.DAY: 0, Precision.MONTH: 1, Precision.YEAR: 3, Precision.APPROXIMATE: 4}
_PERIOD_RANK = {"month": 1, "quarter": 2, "year": 3}


# ------------------------------------------------------------------------------------------- the question


@dataclass(frozen=True)
class Question:
    measure: str  # a key of MEASURES
    rows: tuple[str, ...]  # one or two dimension names
    column: str  # one dimension name, or "" for a single column of totals
    period: str = "year"  # month, quarter or year, for the "period" dimension
    country: str = ""
    verification: str = ""
    year_from: int | None = None
    year_to: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "rows": list(self.rows),
            "column": self.column,
            "period": self.period,
            "country": self.country,
            "verification": self.verification,
            "year_from": self.year_from,
            "year_to": self.year_to,
        }


@dataclass(frozen=True)
class Settings:
    threshold: int = disclosure.DEFAULT_THRESHOLD
    rounding: str = ""  # "", "base5" or "random3"
    epsilon_milli: int = 0  # calibrated noise: 0 for none

    def as_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "rounding": self.rounding, "epsilon": self.epsilon_milli / 1000}


def fingerprint(question: Question, settings_: Settings) -> str:
    canonical = json.dumps({"q": question.as_dict(), "s": settings_.as_dict()}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


# ------------------------------------------------------------------------------------------- dimensions


@dataclass(frozen=True)
class Dimension:
    """How one dimension reads from one measure's rows: the fields to group by and how to name a group."""

    heading: str | Promise
    fields: tuple[str, ...]
    key: Callable[[tuple[Any, ...]], str]
    label: Callable[[str], str]


@dataclass(frozen=True)
class Measure:
    label: str | Promise
    model: type[Model]
    incident: str  # the path to the incident ("" for incidents, None-like "-" where there is none)
    dimensions: dict[str, Callable[[Question], Dimension]]
    date_field: str
    country_field: str
    verification_field: str = ""
    noise: bool = False  # each record is in exactly one cell and one record is one event: sensitivity 1


def _terms() -> dict[int, Term]:
    return {t.pk: t for t in Term.objects.all()}


def _root_code(terms: dict[int, Term], term_id: int | None) -> str:
    """The top of a term's tree: tables count "detention", not each of its kinds."""
    if term_id is None:
        return ""
    term = terms.get(term_id)
    while term is not None and term.parent_id is not None and term.parent_id in terms:
        term = terms[term.parent_id]
    return term.code if term else ""


def _term_label(vocabulary: str) -> Callable[[str], str]:
    def label(code: str) -> str:
        if not code:
            return _("Not recorded")
        term = Term.objects.filter(vocabulary=vocabulary, code=code).first()
        return term.label if term else code

    return label


def _term_dimension(heading: str | Promise, path: str, vocabulary: str) -> Callable[[Question], Dimension]:
    def make(_question: Question) -> Dimension:
        terms = _terms()
        return Dimension(heading, (path,), lambda v: _root_code(terms, v[0]), _term_label(vocabulary))

    return make


def _period_key(period: str) -> Callable[[tuple[Any, ...]], str]:
    def key(values: tuple[Any, ...]) -> str:
        start, precision = values
        if isinstance(start, datetime):
            start = start.date()
        if start is None:
            return ""
        rank = _PRECISION_RANK.get(precision, 0)
        if rank > _PERIOD_RANK[period]:
            # Known only to the year, or approximately: a bucket of its own in that year.
            return f"{start.year}-?" if period != "year" or precision == Precision.APPROXIMATE else f"{start.year}"
        if period == "month":
            return f"{start.year}-{start.month:02d}"
        if period == "quarter":
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        return f"{start.year}"

    return key


def _period_label(code: str) -> str:
    if not code:
        return _("Date not known")
    if code.endswith("-?"):
        return _("%(year)s, date within the year not known") % {"year": code[:4]}
    return code


_TRUNC = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}


def _period_dimension(date_path: str, precision_path: str | None) -> Callable[[Question], Dimension]:
    def make(question: Question) -> Dimension:
        fields = (f"__period_{date_path}", precision_path or "__day")
        return Dimension(_("Period"), fields, _period_key(question.period), _period_label)

    return make


def _subdivision_label(code: str) -> str:
    return place_label("", code) if code else _("Subdivision not recorded")


def _country_label(code: str) -> str:
    return place_label(code, "") if code else _("Not recorded")


def _plain(heading: str | Promise, path: str, label: Callable[[str], str]) -> Callable[[Question], Dimension]:
    return lambda _q: Dimension(heading, (path,), lambda v: str(v[0] or ""), label)


def _choices_label(choices: Iterable[tuple[str, Any]]) -> Callable[[str], str]:
    names = dict(choices)
    return lambda code: str(names.get(code, code)) if code else _("Not recorded")


def _perpetrator_label(code: str) -> str:
    if not code:
        return _("No registered unit or institution")
    entity = Perpetrator.objects.filter(pk=int(code)).first()
    return entity.name_original if entity else code


def _perpetrator_dimension(path: str) -> Callable[[Question], Dimension]:
    # Units and institutions only: a person's name is never in a published table (dossiers name people).
    def make(_question: Question) -> Dimension:
        named = set(Perpetrator.objects.exclude(kind=Perpetrator.Kind.PERSON).values_list("pk", flat=True))
        return Dimension(
            _("Perpetrator unit or institution"),
            (path,),
            lambda v: str(v[0]) if v[0] in named else "",
            _perpetrator_label,
        )

    return make


def _named_label(model: type[Model]) -> Callable[[str], str]:
    def label(code: str) -> str:
        if not code:
            return _("Not recorded")
        found = model._default_manager.filter(key=code).first()
        return str(found) if found else code

    return label


def _incident_dimensions(prefix: str) -> dict[str, Callable[[Question], Dimension]]:
    return {
        "country": _plain(gettext_lazy("Country"), f"{prefix}country", _country_label),
        "subdivision": _plain(gettext_lazy("Subdivision"), f"{prefix}subdivision", _subdivision_label),
        "verification": _plain(
            gettext_lazy("Verification"), f"{prefix}verification", _choices_label(Verification.choices)
        ),
    }


MEASURES: dict[str, Measure] = {
    "incidents": Measure(
        label=gettext_lazy("Incidents"),
        model=Incident,
        incident="pk",
        dimensions={
            "period": _period_dimension("start_date", "start_precision"),
            **_incident_dimensions(""),
        },
        date_field="start_date",
        country_field="country",
        verification_field="verification",
        noise=True,
    ),
    "acts": Measure(
        label=gettext_lazy("Acts"),
        model=Act,
        incident="incident_id",
        dimensions={
            "period": _period_dimension("start_date", "start_precision"),
            **_incident_dimensions("incident__"),
            "act_type": _term_dimension(gettext_lazy("Act type"), "act_type_id", "act_type"),
            "method": _term_dimension(gettext_lazy("Method"), "method_id", "method"),
            "consequence": _term_dimension(gettext_lazy("Consequence"), "consequence_id", "consequence"),
        },
        date_field="start_date",
        country_field="incident__country",
        verification_field="incident__verification",
    ),
    "involvements": Measure(
        label=gettext_lazy("Perpetrators' parts in acts"),
        model=Involvement,
        incident="act__incident_id",
        dimensions={
            "period": _period_dimension("act__start_date", "act__start_precision"),
            **_incident_dimensions("act__incident__"),
            "act_type": _term_dimension(gettext_lazy("Act type"), "act__act_type_id", "act_type"),
            "perpetrator_type": _term_dimension(
                gettext_lazy("Perpetrator type"), "perpetrator_type_id", "perpetrator_type"
            ),
            "perpetrator": _perpetrator_dimension("perpetrator_id"),
            "degree": _plain(gettext_lazy("Degree of involvement"), "degree", _choices_label(Degree.choices)),
        },
        date_field="act__start_date",
        country_field="act__incident__country",
        verification_field="act__incident__verification",
    ),
    "cases": Measure(
        label=gettext_lazy("Cases"),
        model=Case,
        incident="",
        dimensions={
            "period": _period_dimension("created_at", None),
            "stage": _plain(gettext_lazy("Stage"), "stage__key", _named_label(Stage)),
            "outcome": _plain(gettext_lazy("Outcome"), "closing_reason__key", _named_label(ClosingReason)),
            "destination": _plain(gettext_lazy("Destination country"), "destination_country", _country_label),
        },
        date_field="created_at",
        country_field="",
        noise=True,
    ),
    # Referrals of live cases (a shred removes a case's referrals; its destination stays on the case).
    "referrals": Measure(
        label=gettext_lazy("Referrals"),
        model=Referral,
        incident="",
        dimensions={
            "period": _period_dimension("created_at", None),
            "status": _plain(gettext_lazy("Referral status"), "status", _choices_label(Referral.Status.choices)),
            "destination": _plain(gettext_lazy("Destination country"), "destination_country", _country_label),
        },
        date_field="created_at",
        country_field="",
    ),
}


def dimension_choices(measure: str) -> list[tuple[str, str]]:
    names = {
        "period": _("Period"),
        "country": _("Country"),
        "subdivision": _("Subdivision"),
        "verification": _("Verification"),
        "act_type": _("Act type"),
        "method": _("Method"),
        "consequence": _("Consequence"),
        "perpetrator_type": _("Perpetrator type"),
        "perpetrator": _("Perpetrator unit or institution"),
        "degree": _("Degree of involvement"),
        "stage": _("Stage"),
        "outcome": _("Outcome"),
        "destination": _("Destination country"),
        "status": _("Referral status"),
    }
    return [(name, names[name]) for name in MEASURES[measure].dimensions]


# ------------------------------------------------------------------------------------------- counting


def _records(measure: Measure, question: Question) -> QuerySet[Any]:
    rows = measure.model._default_manager.all()
    if question.country and measure.country_field:
        rows = rows.filter(**{measure.country_field: question.country})
    if question.verification and measure.verification_field:
        rows = rows.filter(**{measure.verification_field: question.verification})
    if question.year_from:
        rows = rows.filter(**{f"{measure.date_field}__gte": date(question.year_from, 1, 1)})
    if question.year_to:
        rows = rows.filter(**{f"{measure.date_field}__lt": date(question.year_to + 1, 1, 1)})
    return rows


def _grouped(
    rows: QuerySet[Any], dims: list[Dimension], measure: Measure, question: Question, distinct: bool
) -> dict[tuple[str, ...], tuple[int, int]]:
    """Records (and distinct incidents) per combination of the dimensions' keys, grouped in the database."""
    annotations: dict[str, Any] = {}
    fields: list[str] = []
    for dim in dims:
        for name in dim.fields:
            if name == "__day":
                continue
            if name.startswith("__period_"):
                annotations[name] = _TRUNC[question.period](name.removeprefix("__period_"))
            fields.append(name)
    grouped = rows.annotate(**annotations) if annotations else rows
    aggregates: dict[str, Any] = {"n": Count("pk")}
    if distinct:
        aggregates["incidents"] = Count(measure.incident, distinct=True)
    result: dict[tuple[str, ...], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for row in grouped.values(*fields).annotate(**aggregates).order_by():
        key = []
        for dim in dims:
            values = tuple(Precision.DAY if name == "__day" else row[name] for name in dim.fields)
            key.append(dim.key(values))
        n, incidents = result[tuple(key)]
        # Distinct incidents of two database groups that map to one key may overlap (an incident's acts of
        # two kinds under one heading): their sum is an upper bound, which would err on the side of
        # publishing; the larger of the two is a lower bound, which errs on the side of suppressing.
        # Without a distinct count the records are the incidents (or cases): they add up exactly.
        merged = max(incidents, row["incidents"]) if distinct else incidents + row["n"]
        result[tuple(key)] = (n + row["n"], merged)
    return dict(result)


def _measure_of(question: Question) -> Measure:
    measure = MEASURES.get(question.measure)
    if measure is None:
        raise StatisticsError(_("Choose what to count."))
    wanted = [*question.rows, *([question.column] if question.column else [])]
    if not question.rows or len(question.rows) > 2:
        raise StatisticsError(_("Choose one or two dimensions for the rows."))
    if len(set(wanted)) != len(wanted):
        raise StatisticsError(_("Each dimension can be used once."))
    for name in wanted:
        if name not in measure.dimensions:
            raise StatisticsError(_("This dimension cannot be counted for what you chose."))
    if question.period not in PERIODS:
        raise StatisticsError(_("Choose a period: month, quarter or year."))
    return measure


def counts_of(question: Question, *, live: bool = False) -> tuple[Counts, list[Dimension], Dimension | None]:
    """The question's counts: from the documentation's tallies when it fits them and they are built (unless
    `live`), else from the records."""
    measure = _measure_of(question)
    row_dims = [measure.dimensions[name](question) for name in question.rows]
    column_dim = measure.dimensions[question.column](question) if question.column else None
    tallied = None if live else tallied_counts(question, row_dims, column_dim)
    if tallied is not None:
        return tallied, row_dims, column_dim
    records = _records(measure, question)
    distinct = bool(measure.incident) and measure.incident != "pk"
    inner = _grouped(records, [*row_dims, *([column_dim] if column_dim else [])], measure, question, distinct)
    width = len(question.rows)
    rows = sorted({key[:width] for key in inner})
    columns = sorted({key[width] for key in inner}) if column_dim else ["total"]
    check_size(len(rows), len(columns))
    row_at = {key: i for i, key in enumerate(rows)}
    column_at = {key: j for j, key in enumerate(columns)}
    cells = [[0] * len(columns) for _ in rows]
    contributors: dict[tuple[int, int], int] = {}
    for key, (n, incidents) in inner.items():
        i, j = row_at[key[:width]], column_at[key[width]] if column_dim else 0
        cells[i][j] = n
        contributors[(i, j)] = incidents
    if distinct:
        # Margins: distinct incidents behind each row, each column and the whole table.
        for key, (_n, incidents) in _grouped(records, row_dims, measure, question, True).items():
            contributors[(row_at[key], len(columns))] = incidents
        if column_dim:
            for key, (_n, incidents) in _grouped(records, [column_dim], measure, question, True).items():
                contributors[(len(rows), column_at[key[0]])] = incidents
        contributors[(len(rows), len(columns))] = records.aggregate(n=Count(measure.incident, distinct=True))["n"]
        if not column_dim:
            # One column: its total is the grand total, shown as the column's.
            contributors[(len(rows), 0)] = contributors[(len(rows), len(columns))]
    return Counts(rows, columns, cells, contributors), row_dims, column_dim


# ------------------------------------------------------------------------------------------- answering


def _draws(secret_question: str) -> Callable[[int, int], float]:
    """A draw in [0, 1) for each cell, fixed by the question and a server secret (outsiders cannot predict
    them, so they cannot undo the rounding; asking again gives the same draws)."""
    key = hashlib.sha256(b"ferry-rounding" + settings.SECRET_KEY.encode()).digest()

    def draw(i: int, j: int) -> float:
        digest = hmac.new(key, f"{secret_question}:{i}:{j}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:7], "big") / float(1 << 56)

    return draw


def _rounded(value: int | None, how: str, draw: Callable[[], float]) -> int | None:
    if value is None or not how:
        return value
    if how == "base5":
        return disclosure.round_to_base(value, 5)
    return disclosure.random_round(value, 3, draw())


def check_settings(settings_: Settings, measure: str) -> None:
    if settings_.threshold < disclosure.MINIMUM_THRESHOLD:
        raise StatisticsError(
            _("The threshold cannot be below %(minimum)s.") % {"minimum": disclosure.MINIMUM_THRESHOLD}
        )
    if settings_.rounding not in {"", "base5", "random3"}:
        raise StatisticsError(_("Choose a rounding from the list."))
    if settings_.epsilon_milli and not MEASURES[measure].noise:
        raise StatisticsError(_("Noise can be added only to counts of incidents or of cases."))
    if settings_.epsilon_milli and settings_.rounding:
        raise StatisticsError(_("Choose noise or rounding, not both."))


def answer(question: Question, settings_: Settings, *, language: str = "en", title: str = "") -> Table:
    """The question answered as a published table: counted, (optionally) noised, suppressed, rounded."""
    check_settings(settings_, question.measure)
    counts, row_dims, column_dim = counts_of(question)
    cells = counts.cells
    if settings_.epsilon_milli:
        cells = noise.noisy_cells(fingerprint(question, settings_), cells, settings_.epsilon_milli)
    # A cell whose records come from fewer than k incidents is primary too, whatever its count.
    few = {cell for cell, n in counts.contributors.items() if 0 < n < settings_.threshold}
    if not cells:
        protected = disclosure.Protected([], [], [0] * len(counts.columns), 0)
    else:
        # A single column works too: its row totals repeat its cells, and the totals row closes the cycles.
        protected = disclosure.protect(cells, threshold=settings_.threshold, also=few)
    keyed = _draws(fingerprint(question, settings_))

    def draw(i: int, j: int) -> Callable[[], float]:
        return lambda: keyed(i, j)  # drawn only when a figure is randomly rounded

    width = len(counts.columns)
    published = [
        [_rounded(v, settings_.rounding, draw(i, j)) for j, v in enumerate(row)]
        for i, row in enumerate(protected.cells)
    ]
    row_totals = [_rounded(v, settings_.rounding, draw(i, width)) for i, v in enumerate(protected.row_totals)]
    column_totals = [
        _rounded(v, settings_.rounding, draw(len(counts.rows), j)) for j, v in enumerate(protected.column_totals)
    ]
    total = _rounded(protected.total, settings_.rounding, draw(len(counts.rows), width))
    with override(language):
        labels: dict[tuple[int, str], str] = {}

        def label(position: int, dim: Dimension, code: str) -> str:
            # Each code is named once: a month or a region recurs on hundreds of rows.
            found = labels.get((position, code))
            if found is None:
                found = labels[(position, code)] = dim.label(code)
            return found

        row_labels = [
            tuple(label(n, dim, k) for n, (dim, k) in enumerate(zip(row_dims, key, strict=True))) for key in counts.rows
        ]
        column_labels = [column_dim.label(k) for k in counts.columns] if column_dim else [_("Total")]

        def shown_cells(cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
            # Without a column dimension the row totals repeat the cells: they are not published twice.
            return cells if column_dim else {cell for cell in cells if cell[1] < width}

        def named(cell: tuple[int, int]) -> list[str]:
            i, j = cell
            row = list(row_labels[i]) if i < len(row_labels) else [_("Total")] * len(row_dims)
            return [*row, column_labels[j] if j < len(column_labels) else _("Total")]

        return Table(
            title=title or str(MEASURES[question.measure].label),
            measure=question.measure,
            measure_label=str(MEASURES[question.measure].label),
            row_headings=[str(dim.heading) for dim in row_dims],
            column_heading=str(column_dim.heading) if column_dim else "",
            rows=row_labels,
            columns=column_labels,
            cells=published,
            row_totals=row_totals,
            column_totals=column_totals,
            total=total,
            row_keys=list(counts.rows),
            column_keys=list(counts.columns),
            question=question.as_dict(),
            disclosure=settings_.as_dict(),
            suppressed={
                "primary": len(shown_cells(protected.primary)),
                "secondary": len(shown_cells(protected.secondary)),
                "cells": sorted(named(cell) for cell in shown_cells(protected.suppressed)),
                "rounding": settings_.rounding,
            },
            method=_method(question, settings_, counts.as_of),
        )


def _method(question: Question, settings_: Settings, as_of: date | None = None) -> list[str]:
    lines = [
        _("Counted from the organisation's records: classifications only, never a name, a reference or a story."),
        _(
            "Cells below %(k)s, and cells whose records come from fewer than %(k)s incidents, are suppressed; "
            "more cells are suppressed so that none can be worked out from the totals."
        )
        % {"k": settings_.threshold},
    ]
    if settings_.rounding == "base5":
        lines.append(_("Published figures are rounded to the nearest multiple of 5; totals are rounded separately."))
    elif settings_.rounding == "random3":
        lines.append(_("Published figures are randomly rounded to a multiple of 3; totals are rounded separately."))
    if settings_.epsilon_milli:
        lines.append(
            _("Random noise was added to each count (differential privacy, epsilon %(epsilon)s).")
            % {"epsilon": settings_.epsilon_milli / 1000}
        )
    if as_of is not None:
        lines.append(_("Counted from the records as they stood on %(day)s.") % {"day": as_of.isoformat()})
    if "period" in question.rows or question.column == "period":
        lines.append(_("Dates known only to a coarser period than the table's are counted in a bucket of their own."))
    return lines


def cell_value_total(table: Table) -> int:
    """The sum of the published cells (for checks); suppressed cells count as nothing."""
    return sum(v for row in table.cells for v in row if v is not None)


def question_of(data: dict[str, Any]) -> Question:
    return Question(
        measure=data["measure"],
        rows=tuple(name for name in (data.get("row1"), data.get("row2")) if name),
        column=data.get("column") or "",
        period=data.get("period") or "year",
        country=data.get("country") or "",
        verification=data.get("verification") or "",
        year_from=data.get("year_from"),
        year_to=data.get("year_to"),
    )
