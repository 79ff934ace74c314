"""Event exports for outsiders (ACLED's columns, optionally HXL's hashtags), made from clear fields only and
released through the one door out (P7). Streamed, with memory flat in the number of rows.

Disclosure: each row is one incident, so it is microdata. Its quasi-identifier is the combination of what
places it — period (at the release's date setting) by country and subdivision by ACLED sub-event type — and a
row whose combination occurs fewer than k times in the export is withheld (k from advocacy.disclosure: 10 by
default, never below 5). The release records k, the settings and what was withheld: how many rows, how many
combinations and which ones, by their labels, never their counts. Restricted incidents are never exported.

Two passes over the database, neither holding rows: the first counts the combinations (a GROUP BY, so its
memory grows with the number of combinations, which the settings bound, not with the rows); the second reads
the rows period and place by period and place through a cursor, chunk by chunk, into a sealed spool that the
release then re-seals into its own stream. The second pass checks that every combination it reads comes out
exactly as often as the first counted: if incidents were recorded or changed in between, the export is
refused (made again, it counts afresh).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    Expression,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth, TruncYear
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.advocacy.disclosure import DEFAULT_THRESHOLD, MINIMUM_THRESHOLD
from ferry.advocacy.exports import acled
from ferry.advocacy.releases import Output
from ferry.core.errors import FerryError
from ferry.core.permissions import require
from ferry.incidents.models import Act, Incident, Involvement, Precision, Term, Verification, Vocabulary
from ferry.incidents.selectors import descendants
from ferry.vault import streams

FORMATS = {"acled_csv": "csv", "hxl_csv": "csv", "xlsx": "xlsx"}
DATE_SETTINGS = ("month", "year")
CHUNK_ROWS = 2_000  # rows fetched from the database at a time
FLUSH_BYTES = 64 * 1024  # CSV text handed on at a time
XLSX_MAX_ROWS = 1_048_576 - 1  # a worksheet's limit, less the heading
LISTED_MAX = 2_000  # withheld combinations named in the release; past this, only counted
COARSE = (Precision.YEAR, Precision.APPROXIMATE)

# period, ACLED time precision, country, subdivision, sub-event type
Combination = tuple[date, int, str, str, str]


class ExportError(FerryError):
    """An export that cannot be made; the message is for the person."""


@dataclass(frozen=True)
class ExportQuestion:
    format: str  # a key of FORMATS
    date_setting: str = "month"  # "month" or "year"
    threshold: int = DEFAULT_THRESHOLD
    country: str = ""
    since: int | None = None  # years, inclusive
    until: int | None = None
    verified_only: bool = False

    def check(self) -> None:
        if self.format not in FORMATS:
            raise ExportError(_("Choose a format."))
        if self.date_setting not in DATE_SETTINGS:
            raise ExportError(_("Choose how finely dates are given: by month or by year."))
        if self.threshold < MINIMUM_THRESHOLD:
            raise ExportError(_("The threshold cannot be below %(minimum)s.") % {"minimum": MINIMUM_THRESHOLD})
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ExportError(_("The first year comes after the last."))


@dataclass
class Plan:
    """The first pass: how many rows each combination has, and which are withheld."""

    counts: dict[Combination, int]
    withheld: set[Combination]

    @property
    def rows(self) -> int:
        return sum(n for c, n in self.counts.items() if c not in self.withheld)

    @property
    def withheld_rows(self) -> int:
        return sum(self.counts[c] for c in self.withheld)


@dataclass(frozen=True)
class Vocabularies:
    """What the queries and rows need from the vocabularies, read once."""

    act_ranks: dict[int, int]
    deaths: list[int]
    actors: dict[int, acled.Actor]

    @classmethod
    def read(cls) -> Vocabularies:
        acts = list(Term.objects.filter(vocabulary=Vocabulary.ACT_TYPE).values_list("pk", "code", "parent_id"))
        death = Term.objects.filter(vocabulary=Vocabulary.CONSEQUENCE, code="death").values_list("pk", flat=True)
        kinds = Term.objects.filter(vocabulary=Vocabulary.PERPETRATOR_TYPE).only("code", "label_en", "parent")
        types = {t.pk: t for t in kinds}
        actors = {}
        for pk, term in types.items():
            root, seen = term, {pk}
            while root.parent_id is not None and root.parent_id in types and root.parent_id not in seen:
                seen.add(root.parent_id)
                root = types[root.parent_id]
            actors[pk] = acled.Actor(term.label_en, acled.INTER_BY_ROOT.get(root.code, acled.UNKNOWN_INTER))
        return cls(
            act_ranks=acled.ranks(acts),
            deaths=[d for first in death for d in descendants(first)],
            actors=actors,
        )

    def rank_of(self, act_type: str) -> Expression:
        """An act's rank in acled.SEVERITY, from its act type, in SQL."""
        by_rank: dict[int, list[int]] = {}
        for term_id, rank in self.act_ranks.items():
            by_rank.setdefault(rank, []).append(term_id)
        whens = [When(**{f"{act_type}__in": sorted(ids)}, then=Value(rank)) for rank, ids in sorted(by_rank.items())]
        return Case(*whens, default=Value(acled.OTHER_RANK), output_field=IntegerField())


def _selected(question: ExportQuestion) -> QuerySet[Incident]:
    rows = Incident.objects.filter(restricted=False)
    if question.country:
        rows = rows.filter(country=question.country)
    if question.since is not None:
        rows = rows.filter(start_date__gte=date(question.since, 1, 1))
    if question.until is not None:
        rows = rows.filter(start_date__lte=date(question.until, 12, 31))
    if question.verified_only:
        rows = rows.filter(verification=Verification.VERIFIED)
    return rows


def _placed(question: ExportQuestion, vocabularies: Vocabularies) -> QuerySet[Any]:
    """Incidents with their quasi-identifier in SQL: the period and its precision, and the main act's rank."""
    if question.date_setting == "year":
        # Cast: PostgreSQL's date_trunc answers a timestamp, inside a Case too; the export wants a date.
        period: Expression = Cast(TruncYear("start_date", output_field=DateField()), DateField())
        precision: Expression = Value(acled.TIME_YEAR)
    else:
        # A date known only to its year (or roughly) stays a year; the rest become their month.
        period = Cast(
            Case(
                When(start_precision__in=COARSE, then=TruncYear("start_date", output_field=DateField())),
                default=TruncMonth("start_date", output_field=DateField()),
                output_field=DateField(),
            ),
            DateField(),
        )
        precision = Case(
            When(start_precision__in=COARSE, then=Value(acled.TIME_YEAR)),
            default=Value(acled.TIME_MONTH),
            output_field=IntegerField(),
        )
    main = (
        Act.objects.filter(incident_id=OuterRef("pk"))
        .annotate(rank=vocabularies.rank_of("act_type_id"))
        .order_by("rank")
        .values("rank")[:1]
    )
    return _selected(question).annotate(
        period=period,
        time_precision=precision,
        rank=Coalesce(Subquery(main, output_field=IntegerField()), Value(acled.OTHER_RANK)),
    )


def _combination(period: date, precision: int, country: str, subdivision: str, rank: int) -> Combination:
    return (period, precision, country, subdivision, acled.event_of_rank(rank).sub_event_type)


def _place_years(question: ExportQuestion) -> Iterator[tuple[str, str, int]]:
    """Every place (country, subdivision) with incidents, and every year from the first incident to the last."""
    selected = _selected(question).order_by()
    span = selected.aggregate(first=Min("start_date"), last=Max("start_date"))
    if span["first"] is None:
        return
    places = selected.order_by("country", "subdivision").values_list("country", "subdivision").distinct()
    for country, subdivision in list(places):
        for year in range(span["first"].year, span["last"].year + 1):
            yield country, subdivision, year


def export_plan(question: ExportQuestion, vocabularies: Vocabularies) -> Plan:
    """The first pass: every combination's count (ranks that share a sub-event type merged), by a GROUP BY
    per place and year. Not one over everything: SQLite groups by sorting, in memory here (temp_store=MEMORY),
    so one GROUP BY would hold every row; per place and year it holds one place's year."""
    counts: dict[Combination, int] = {}
    placed = _placed(question, vocabularies)
    for country, subdivision, year in _place_years(question):
        grouped = (
            placed.filter(country=country, subdivision=subdivision)
            .filter(start_date__gte=date(year, 1, 1), start_date__lt=date(year + 1, 1, 1))
            .values_list("period", "time_precision", "country", "subdivision", "rank")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for period, precision, _country, _subdivision, rank, n in grouped.iterator(chunk_size=CHUNK_ROWS):
            key = _combination(period, precision, country, subdivision, rank)
            counts[key] = counts.get(key, 0) + n
    withheld = {c for c, n in counts.items() if n < question.threshold}
    return Plan(counts=counts, withheld=withheld)


# period, ACLED time precision, country, subdivision: the rows one query of the second pass reads
Group = tuple[date, int, str, str]


def _group_filter(question: ExportQuestion, period: date, precision: int) -> Q:
    """The incidents of one period at one precision, as a range of start dates (the place index serves it)."""
    if precision == acled.TIME_YEAR:
        within = Q(start_date__gte=period, start_date__lt=period.replace(year=period.year + 1))
        return within if question.date_setting == "year" else within & Q(start_precision__in=COARSE)
    following = date(period.year + period.month // 12, period.month % 12 + 1, 1)
    return Q(start_date__gte=period, start_date__lt=following) & ~Q(start_precision__in=COARSE)


def _events(question: ExportQuestion, vocabularies: Vocabularies, groups: list[Group]) -> Iterator[tuple[Any, ...]]:
    """The second pass: every incident's clear fields for its row, one query per period and place, each in the
    order of the incidents' random ids, so the order says nothing finer than the row itself. Per group, not
    one ORDER BY over the whole export: the database then sorts one period and place at a time, and its
    memory stays flat in the number of rows (SQLite sorts in memory: temp_store=MEMORY)."""
    actor = (
        Involvement.objects.filter(act__incident_id=OuterRef("pk"))
        .annotate(rank=vocabularies.rank_of("act__act_type_id"))
        .order_by("rank", "pk")
        .values("perpetrator_type_id")[:1]
    )
    fatalities: Expression = Value(0)
    if vocabularies.deaths:
        # Filtered inside the count, not in WHERE: the incident's own acts by their index, never every death.
        died = (
            Act.objects.filter(incident_id=OuterRef("pk"))
            .order_by()
            .values("incident_id")
            .annotate(n=Count("victim_id", distinct=True, filter=Q(consequence_id__in=vocabularies.deaths)))
            .values("n")
        )
        fatalities = Coalesce(Subquery(died, output_field=IntegerField()), Value(0))
    rows = _placed(question, vocabularies).annotate(
        actor=Subquery(actor, output_field=IntegerField()), fatalities=fatalities
    )
    for period, precision, country, subdivision in groups:
        group = (
            rows.filter(_group_filter(question, period, precision), country=country, subdivision=subdivision)
            .order_by("pk")
            .values_list("period", "time_precision", "country", "subdivision", "rank", "actor", "fatalities")
        )
        yield from group.iterator(chunk_size=CHUNK_ROWS)


def export_rows(question: ExportQuestion, plan: Plan, vocabularies: Vocabularies) -> Iterator[list[Any]]:
    """The rows to publish, in acled.COLUMNS' order; raises ExportError if the data changed since the plan.
    Only the periods and places with a combination to publish are read; in those, every combination must
    come out exactly as often as the plan counted it."""
    groups = sorted({c[:4] for c in plan.counts if c not in plan.withheld})
    read = set(groups)
    expected = {c: n for c, n in plan.counts.items() if c[:4] in read}
    seen: dict[Combination, int] = {}
    number = 0
    for period, precision, country, subdivision, rank, actor_type, fatalities in _events(
        question, vocabularies, groups
    ):
        key = _combination(period, precision, country, subdivision, rank)
        seen[key] = seen.get(key, 0) + 1
        if key in plan.withheld or key not in plan.counts:
            continue
        number += 1
        actor = acled.UNKNOWN_ACTOR if actor_type is None else vocabularies.actors[actor_type]
        yield acled.row(
            number=number,
            period=period,
            time_precision=precision,
            country_code=country,
            subdivision=subdivision,
            rank=rank,
            actor=actor,
            fatalities=fatalities,
        )
    if seen != expected:
        raise ExportError(_("Incidents were recorded or changed while the export was made. Make it again."))


def _formula_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (=, +, -, @) gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return f"'{value}"
    return value


def _csv_chunks(rows: Iterator[list[Any]], *, hxl: bool) -> Iterator[bytes]:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(acled.HEADER)
    if hxl:
        writer.writerow(acled.HXL_ROW)
    for row in rows:
        writer.writerow([_formula_safe(v.isoformat() if isinstance(v, date) else v) for v in row])
        if text.tell() >= FLUSH_BYTES:
            yield text.getvalue().encode()
            text.seek(0)
            text.truncate()
    yield text.getvalue().encode()


def _xlsx_chunks(rows: Iterator[list[Any]]) -> Iterator[bytes]:
    # openpyxl is large: loaded when a workbook is written, not by every worker as it loads the URLs.
    # Write-only mode writes each row to a temporary file as it comes; the finished workbook is read back in
    # pieces from another.
    import openpyxl  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415

    book = openpyxl.Workbook(write_only=True)
    book.properties.creator = ""
    sheet = book.create_sheet("events")

    def cell(value: Any) -> Any:
        made = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            made.data_type = "s"  # text, even when it starts with "="
        elif isinstance(value, date):
            made.number_format = "yyyy-mm-dd"
        return made

    sheet.append(acled.HEADER)
    for row in rows:
        sheet.append([cell(v) for v in row])
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while piece := out.read(FLUSH_BYTES):
            yield piece


def _suppressed(plan: Plan) -> dict[str, Any]:
    listed = sorted(plan.withheld)[:LISTED_MAX]
    return {
        "rows": plan.withheld_rows,
        "rows_published": plan.rows,
        "combinations": len(plan.withheld),
        # Which combinations, by their labels; never how many rows each had.
        "cells": [
            [p.isoformat(), precision, country, subdivision, sub] for p, precision, country, subdivision, sub in listed
        ],
        "cells_listed_all": len(plan.withheld) <= LISTED_MAX,
    }


def export_output(*, staff: Staff, question: ExportQuestion) -> Output:
    """The export as a release's output: planned now (the first pass), its rows streamed when the release
    seals them (the second). Nothing is written here; release_prepare writes and audits."""
    require(staff, Role.ANALYST)
    question.check()
    vocabularies = Vocabularies.read()
    plan = export_plan(question, vocabularies)
    kind = FORMATS[question.format]
    if kind == "xlsx" and plan.rows > XLSX_MAX_ROWS:
        raise ExportError(_("Too many rows for a spreadsheet: choose CSV, or narrow the filters."))
    rows = export_rows(question, plan, vocabularies)
    made = _xlsx_chunks(rows) if kind == "xlsx" else _csv_chunks(rows, hxl=question.format == "hxl_csv")
    # The second pass runs here, into a sealed spool, not inside release_prepare's transaction: on SQLite that
    # transaction holds the write lock, and a million rows take a minute; re-sealing the spool takes seconds.
    chunks = streams.spool(made)
    stem = "events-hxl" if question.format == "hxl_csv" else "events-acled"
    return Output(
        kind="export",
        format=kind,
        content=b"",
        chunks=chunks,
        title=_("Events, ACLED columns (%(n)s rows)") % {"n": plan.rows},
        filename=f"{stem}.{kind}",
        language="en",
        question={**asdict(question), "rows": "incident", "columns": "acled", "restricted": "excluded"},
        disclosure={
            "threshold": question.threshold,
            "quasi_identifier": ["period", "country", "subdivision", "sub_event_type"],
            "date": question.date_setting,
            "place": "subdivision",
            "geo_precision": acled.GEO_PRECISION,
            "notes": "empty",
        },
        suppressed=_suppressed(plan),
    )
