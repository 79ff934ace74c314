"""Tallies of the documentation (tally_models): built by the worker every hour, or at once from the statistics
page, and read instead of the million incidents and their acts when a question fits them.

A build groups acts by period (month, quarter, year, or all together; a date known less finely in a bucket of
its year), country, subdivision, verification and the top of their act type's tree, counting acts and distinct
incidents; the same without the act type; and incidents by month and place. It writes the next generation in
small transactions and then switches to it in one small transaction, so on SQLite no writer waits for the
grouping, and a reader always sees one complete generation. Old generations are deleted afterwards, a few
thousand rows at a time.

Exactness. Within one tally row, the distinct incidents are exact. Summed over rows that differ only in
country, subdivision or verification (an incident has exactly one of each), they stay exact. Every period a
table can ask for is tallied apart (and "all", for totals over every period), so a reader never merges
periods, except for a year filter over a table with no period: there, and only there, it takes the largest
of the years instead of their sum, a lower bound, which can only make disclosure control suppress more."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models import Case, Count, IntegerField, Value, When
from django.db.models.functions import Cast, TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone

from ferry.incidents.models import Act, Incident, Term
from ferry.incidents.tally_models import ActPlaceTally, ActTally, IncidentTally, Kind, TallyState

BATCH = 2_000
TRUNC: dict[str, Any] = {Kind.MONTH: TruncMonth, Kind.QUARTER: TruncQuarter, Kind.YEAR: TruncYear}


@dataclass(frozen=True)
class Built:
    generation: int
    rows: int
    seconds: float


def state() -> TallyState | None:
    return TallyState.objects.order_by("pk").first()


def current_generation() -> int | None:
    found = state()
    return found.generation if found is not None and found.generation > 0 else None


def roots() -> dict[int, int]:
    """Each act type's id, to the id of the top of its tree."""
    terms = dict(Term.objects.filter(vocabulary="act_type").values_list("pk", "parent_id"))
    found = {}
    for term_id in terms:
        top = term_id
        while terms.get(top) is not None:
            top = terms[top]
        found[term_id] = top
    return found


def _root_expression() -> Case:
    by_root: dict[int, list[int]] = {}
    for leaf, top in roots().items():
        by_root.setdefault(top, []).append(leaf)
    whens = [When(act_type_id__in=leaves, then=Value(top)) for top, leaves in sorted(by_root.items())]
    return Case(*whens, default=models.F("act_type_id"), output_field=IntegerField())


# Dates known less finely than the period: tallied in their year's own bucket, as statistics shows them
# (advocacy.statistics._period_key: a month asked, a year or an approximate date known).
COARSER: dict[str, tuple[str, ...]] = {
    Kind.MONTH: ("year", "approximate"),
    Kind.QUARTER: ("year", "approximate"),
    Kind.YEAR: ("approximate",),
}


def _act_rows(kind: str, *, with_type: bool) -> Iterator[dict[str, Any]]:
    annotations: dict[str, Any] = {}
    fields = ["incident__country", "incident__subdivision", "incident__verification"]
    if kind != Kind.ALL:
        coarser = COARSER[kind]
        # Cast: PostgreSQL's date_trunc answers a timestamp, inside a Case too.
        annotations["tally_period"] = Cast(
            Case(
                When(start_precision__in=coarser, then=TruncYear("start_date", output_field=models.DateField())),
                default=TRUNC[kind]("start_date", output_field=models.DateField()),
                output_field=models.DateField(),
            ),
            models.DateField(),
        )
        annotations["tally_coarse"] = Case(
            When(start_precision__in=coarser, then=Value(True)),
            default=Value(False),
            output_field=models.BooleanField(),
        )
        fields += ["tally_period", "tally_coarse"]
    if with_type:
        annotations["tally_root"] = _root_expression()
        fields.append("tally_root")
    grouped = (
        Act.objects.annotate(**annotations)
        .values(*fields)
        .annotate(tally_acts=Count("pk"), tally_incidents=Count("incident_id", distinct=True))
    )
    yield from grouped.order_by().iterator(chunk_size=5_000)


def _write(objects: Iterable[models.Model], model: type[models.Model]) -> int:
    written = 0
    batch: list[models.Model] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= BATCH:
            with transaction.atomic():
                model._default_manager.bulk_create(batch)
            written += len(batch)
            batch = []
    if batch:
        with transaction.atomic():
            model._default_manager.bulk_create(batch)
        written += len(batch)
    return written


def _as_date(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value


def _act_tallies(model: type[ActTally | ActPlaceTally], generation: int, kind: str) -> Iterator[models.Model]:
    """One kind's rows of acts, with their act type (ActTally) or without (ActPlaceTally)."""
    with_type = model is ActTally
    for row in _act_rows(kind, with_type=with_type):
        fields = {"act_type_id": row["tally_root"]} if with_type else {}
        yield model(
            generation=generation,
            kind=kind,
            period=_as_date(row.get("tally_period")),
            coarse=bool(row.get("tally_coarse")),
            country=row["incident__country"],
            subdivision=row["incident__subdivision"],
            verification=row["incident__verification"],
            acts=row["tally_acts"],
            incidents=row["tally_incidents"],
            **fields,
        )


def tallies_build() -> Built:
    """Build the next generation of tallies and switch to it."""
    began = time.perf_counter()
    generation = (current_generation() or 0) + 1
    rows = 0
    for kind in (Kind.MONTH, Kind.QUARTER, Kind.YEAR, Kind.ALL):
        for model in (ActTally, ActPlaceTally):
            rows += _write(_act_tallies(model, generation, kind), model)
    incidents = (
        Incident.objects.annotate(tally_month=TruncMonth("start_date"))
        .values("tally_month", "start_precision", "country", "subdivision", "verification")
        .annotate(n=Count("pk"))
        .order_by()
        .iterator(chunk_size=5_000)
    )
    rows += _write(
        (
            IncidentTally(
                generation=generation,
                month=_as_date(row["tally_month"]),
                precision=row["start_precision"],
                country=row["country"],
                subdivision=row["subdivision"],
                verification=row["verification"],
                incidents=row["n"],
            )
            for row in incidents
        ),
        IncidentTally,
    )
    seconds = time.perf_counter() - began
    with transaction.atomic():
        found = TallyState.objects.select_for_update().order_by("pk").first()
        if found is None:
            TallyState.objects.create(generation=generation, built_at=timezone.now(), seconds=seconds)
        else:
            TallyState.objects.filter(pk=found.pk).update(
                generation=generation, built_at=timezone.now(), seconds=seconds
            )
    _old_delete(generation)
    return Built(generation, rows, seconds)


def _old_delete(current: int) -> None:
    for model in (ActTally, ActPlaceTally, IncidentTally):
        while True:
            ids = list(model._default_manager.filter(generation__lt=current).values_list("pk", flat=True)[:5_000])
            if not ids:
                break
            with transaction.atomic():
                model._default_manager.filter(pk__in=ids).delete()
