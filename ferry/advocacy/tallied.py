"""Counts read from the documentation's tallies (incidents.tallies) instead of the records, for the questions
that fit them: incidents, or acts, by period, country, subdivision, verification and act type, filtered by
country, verification and years. A million incidents become a few hundred thousand tally rows at most.

Distinct incidents are exact when the rows merged into a cell differ only in country, subdivision or
verification (each incident has one of each). Rows that differ in date precision, in period (a year filter
over a table with no period), or in act type (a row's total over several types) may share incidents: for
those the largest part is taken, a lower bound, so a cell is suppressed for too few incidents whenever the
records would have it suppressed, and sometimes more (tests/advocacy/test_tallied.py compares both ways)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.db.models import Model, Sum

from ferry.advocacy.counts import Counts, check_size
from ferry.incidents import tallies
from ferry.incidents.tally_models import ActPlaceTally, ActTally, IncidentTally, Kind

DIMENSIONS = {
    "incidents": {"period", "country", "subdivision", "verification"},
    "acts": {"period", "country", "subdivision", "verification", "act_type"},
}
Row = dict[str, Any]


def fits(question: Any) -> bool:
    wanted = {*question.rows, *([question.column] if question.column else [])}
    return question.measure in DIMENSIONS and wanted <= DIMENSIONS[question.measure]


FIELDS = {"period": ("period", "precision"), "act_type": ("act_type_id",)}


def _rows(model: type[Model], generation: int, question: Any, kind: str | None, names: list[str]) -> list[Row]:
    """The tally rows the question needs, with the fields no dimension or lower bound needs summed away in
    the database (country, subdivision and verification partition incidents: their sums are exact)."""
    rows = model._default_manager.filter(generation=generation)
    date_field = "month" if model is IncidentTally else "period"
    if kind is not None:
        rows = rows.filter(kind=kind)
    if question.country:
        rows = rows.filter(country=question.country)
    if question.verification:
        rows = rows.filter(verification=question.verification)
    if question.year_from:
        rows = rows.filter(**{f"{date_field}__gte": date(question.year_from, 1, 1)})
    if question.year_to:
        rows = rows.filter(**{f"{date_field}__lt": date(question.year_to + 1, 1, 1)})
    keep = {date_field, "precision"}
    if model is ActTally:
        keep.add("act_type_id")
    keep |= {name for name in names if name in {"country", "subdivision", "verification"}}
    measures = {"acts": Sum("incidents" if model is IncidentTally else "acts"), "incidents": Sum("incidents")}
    found = list(rows.values(*sorted(keep)).annotate(**measures).order_by())
    if model is IncidentTally:
        for row in found:
            row["period"] = row.pop("month")
    return found


def _keyer(names: list[str], dims: dict[str, Any]) -> Callable[[Row], tuple[str, ...]]:
    """A row's key for these dimensions, each dimension's labels worked out once per distinct value."""
    cache: dict[tuple[str, tuple[Any, ...]], str] = {}
    fields = [(name, FIELDS.get(name, (name,))) for name in names]

    def key(row: Row) -> tuple[str, ...]:
        out = []
        for name, wanted in fields:
            values = tuple(row[f] for f in wanted)
            found = cache.get((name, values))
            if found is None:
                found = cache[(name, values)] = dims[name].key(values)
            out.append(found)
        return tuple(out)

    return key


def _merge(
    rows: Iterable[Row], key: Callable[[Row], tuple[str, ...]], loose: Callable[[Row], tuple[Any, ...]]
) -> dict[tuple[str, ...], tuple[int, int]]:
    """Acts and distinct incidents per key: incidents summed within each group of rows that agree on the
    `loose` fields (exact), then the largest of those groups (a lower bound)."""
    parts: dict[tuple[str, ...], dict[tuple[Any, ...], int]] = defaultdict(lambda: defaultdict(int))
    acts: dict[tuple[str, ...], int] = defaultdict(int)
    for row in rows:
        k = key(row)
        acts[k] += row["acts"]
        parts[k][loose(row)] += row["incidents"]
    return {k: (acts[k], max(parts[k].values())) for k in acts}


def tallied_counts(question: Any, row_dims: list[Any], column_dim: Any | None) -> Counts | None:
    """The Counts the records would give (cells exact, distinct incidents exact or a lower bound), or None when
    the question does not fit the tallies or none has been built."""

    generation = tallies.current_generation()
    if generation is None or not fits(question):
        return None
    names = [*question.rows, *([question.column] if question.column else [])]
    dims = dict(zip(names, [*row_dims, *([column_dim] if column_dim else [])], strict=True))
    with_period = "period" in names
    # A year filter on a table with no period: the years are merged (a lower bound for incidents).
    kind = question.period if with_period else (Kind.YEAR if question.year_from or question.year_to else Kind.ALL)
    acts_measure = question.measure == "acts"
    inner_model = ActTally if acts_measure else IncidentTally
    inner_rows = _rows(inner_model, generation, question, kind if acts_measure else None, names)
    place_rows = _rows(ActPlaceTally, generation, question, kind, names) if acts_measure else inner_rows

    def key_of(selected: list[str]) -> Callable[[Row], tuple[str, ...]]:
        return _keyer(selected, dims)

    def loose_of(selected: list[str], rows_have_type: bool) -> Callable[[Row], tuple[Any, ...]]:
        def loose(row: Row) -> tuple[Any, ...]:
            # The period even when the table has one: a bucket of dates known only to the year gathers
            # several periods (an approximate date in March and one in May, of one incident's acts).
            parts: list[Any] = [row["precision"], row["period"]]
            if rows_have_type and "act_type" not in selected:
                parts.append(row["act_type_id"])
            return tuple(parts)

        return loose

    if not acts_measure:
        # Each incident is in exactly one tally row: everything adds up exactly.
        def loose_none(_row: Row) -> tuple[Any, ...]:
            return ()

        inner = _merge(inner_rows, key_of(names), loose_none)
    else:
        inner = _merge(inner_rows, key_of(names), loose_of(names, True))
    width = len(question.rows)
    rows = sorted({k[:width] for k in inner})
    columns = sorted({k[width] for k in inner}) if column_dim else ["total"]
    check_size(len(rows), len(columns))
    row_at = {k: i for i, k in enumerate(rows)}
    column_at = {k: j for j, k in enumerate(columns)}
    cells = [[0] * len(columns) for _ in rows]
    contributors: dict[tuple[int, int], int] = {}
    for k, (n, incidents) in inner.items():
        i, j = row_at[k[:width]], column_at[k[width]] if column_dim else 0
        cells[i][j] = n
        contributors[(i, j)] = incidents
    if acts_measure:

        def margin(selected: list[str]) -> dict[tuple[str, ...], tuple[int, int]]:
            # Merging over the act type: the tally without it is exact for that merge.
            if "act_type" in names and "act_type" not in selected:
                return _merge(place_rows, key_of(selected), loose_of(selected, False))
            return _merge(inner_rows, key_of(selected), loose_of(selected, True))

        for k, (_n, incidents) in margin(list(question.rows)).items():
            contributors[(row_at[k], len(columns))] = incidents
        if column_dim:
            for k, (_n, incidents) in margin([question.column]).items():
                contributors[(len(rows), column_at[k[0]])] = incidents
        whole = margin([])
        contributors[(len(rows), len(columns))] = whole[()][1] if whole else 0
    built = tallies.state()
    return Counts(rows, columns, cells, contributors, as_of=built.built_at.date() if built else None)
