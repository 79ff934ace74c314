"""Counts read from the documentation's tallies (incidents.tallies) instead of the records, for the questions
that fit them: incidents, or acts, by period, country, subdivision, verification and act type, filtered by
country, verification and years. A million incidents and their acts become a few hundred thousand tally
rows, grouped again in the database to exactly what the table needs.

Distinct incidents are exact: every period a table can ask for is tallied apart, a row's total over act types
comes from the tally without them, and totals over every period from the "all" tally. One case merges
periods: a year filter on a table or total with no period (the "all" tally cannot be filtered by year), where
the largest year is taken, a lower bound, so a cell is suppressed for too few incidents whenever the records
would have it suppressed, and sometimes more (tests/advocacy/test_tallied.py compares both ways)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Model, Sum

from ferry.advocacy.counts import Counts, check_size
from ferry.incidents import tallies
from ferry.incidents.models import Precision
from ferry.incidents.tally_models import ActPlaceTally, ActTally, IncidentTally, Kind

DIMENSIONS = {
    "incidents": {"period", "country", "subdivision", "verification"},
    "acts": {"period", "country", "subdivision", "verification", "act_type"},
}
# Each dimension's fields in a tally row.
FIELDS = {"period": ("period", "coarse"), "act_type": ("act_type_id",)}
Key = tuple[str, ...]


def fits(question: Any) -> bool:
    wanted = {*question.rows, *([question.column] if question.column else [])}
    return question.measure in DIMENSIONS and wanted <= DIMENSIONS[question.measure]


def _filtered(model: type[Model], generation: int, question: Any, kind: str | None) -> Any:
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
    return rows


class _Keys:
    """Each dimension's key for a tally row's values, worked out once per distinct value."""

    def __init__(self, dims: dict[str, Any]) -> None:
        self.dims = dims
        self.cache: dict[tuple[str, tuple[Any, ...]], str] = {}

    def of(self, name: str, values: tuple[Any, ...]) -> str:
        found = self.cache.get((name, values))
        if found is None:
            if name == "period":
                period, coarse = values
                # A coarse bucket shows as "<year>, date within the year not known", as the records give it.
                values = (period, Precision.APPROXIMATE if coarse else Precision.DAY)
            found = self.cache[(name, values)] = self.dims[name].key(values)
        return found


def _acts_margin(generation: int, question: Any, kept: list[str], keys: _Keys) -> dict[Key, tuple[int, int]]:
    """Acts and distinct incidents per combination of the kept dimensions, grouped in the database."""
    with_years = bool(question.year_from or question.year_to)
    if "period" in kept:
        kind, loose = question.period, False
    elif with_years:
        kind, loose = Kind.YEAR, True  # a year filter: the years are merged, their largest taken
    else:
        kind, loose = Kind.ALL, False
    model = ActPlaceTally if "act_type" not in kept else ActTally
    fields = [f for name in kept for f in FIELDS.get(name, (name,))]
    # With `loose`, each year (and its coarse bucket) apart: an incident's acts may lie in several of them.
    grouping = fields + (["period", "coarse"] if loose else [])
    found = _filtered(model, generation, question, kind)
    if grouping:
        rows = list(found.values(*grouping).annotate(n=Sum("acts"), incidents=Sum("incidents")).order_by())
    else:
        total = found.aggregate(n=Sum("acts"), incidents=Sum("incidents"))
        rows = [total] if total["n"] else []
    acts: dict[Key, int] = defaultdict(int)
    incidents: dict[Key, int] = defaultdict(int)
    for row in rows:
        key = tuple(keys.of(name, tuple(row[f] for f in FIELDS.get(name, (name,)))) for name in kept)
        acts[key] += row["n"]
        # Rows of one key differ only in a coarse bucket's year (never here) or, with `loose`, in the year.
        incidents[key] = max(incidents[key], row["incidents"]) if loose else incidents[key] + row["incidents"]
    return {key: (acts[key], incidents[key]) for key in acts}


def _incidents_cells(generation: int, question: Any, names: list[str], keys: _Keys) -> dict[Key, tuple[int, int]]:
    """Incidents per combination: each incident is in one tally row, so everything adds up exactly."""
    fields = [f for name in names for f in (("month", "precision") if name == "period" else (name,))]
    rows = _filtered(IncidentTally, generation, question, None).values(*fields).annotate(n=Sum("incidents")).order_by()
    found: dict[Key, int] = defaultdict(int)
    for row in rows:
        key = []
        for name in names:
            if name == "period":
                values: tuple[Any, ...] = (row["month"], row["precision"])
                cached = keys.cache.get(("period-month", values))
                if cached is None:
                    cached = keys.cache[("period-month", values)] = keys.dims["period"].key(values)
                key.append(cached)
            else:
                key.append(keys.of(name, (row[name],)))
        found[tuple(key)] += row["n"]
    return {key: (n, n) for key, n in found.items()}


def tallied_counts(question: Any, row_dims: list[Any], column_dim: Any | None) -> Counts | None:
    """The Counts the records would give (cells exact, distinct incidents exact or a lower bound), or None when
    the question does not fit the tallies or none has been built."""
    generation = tallies.current_generation()
    if generation is None or not fits(question):
        return None
    names = [*question.rows, *([question.column] if question.column else [])]
    keys = _Keys(dict(zip(names, [*row_dims, *([column_dim] if column_dim else [])], strict=True)))
    acts_measure = question.measure == "acts"
    if acts_measure:
        inner = _acts_margin(generation, question, names, keys)
    else:
        inner = _incidents_cells(generation, question, names, keys)
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
        for k, (_n, incidents) in _acts_margin(generation, question, list(question.rows), keys).items():
            contributors[(row_at[k], len(columns))] = incidents
        if column_dim:
            for k, (_n, incidents) in _acts_margin(generation, question, [question.column], keys).items():
                contributors[(len(rows), column_at[k[0]])] = incidents
        whole = _acts_margin(generation, question, [], keys)
        contributors[(len(rows), len(columns))] = whole[()][1] if whole else 0
        if not column_dim:
            # One column: its total is the grand total, shown as the column's.
            contributors[(len(rows), 0)] = contributors[(len(rows), len(columns))]
    built = tallies.state()
    return Counts(rows, columns, cells, contributors, as_of=built.built_at.date() if built else None)
