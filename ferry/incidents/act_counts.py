"""Acts counted by month, place, verification and act type (models.ActCount), kept exact in the transaction
that changes them: an act added, an import's chunk written or undone, an incident moved to another place or
given another verification status. The incident's row is locked before its classification is read (lock()),
so an act added while the incident is re-verified is counted under the status it ends with.

A count over a million incidents then reads these rows instead of three million acts
(selectors.counts_by_month_subdivision_act_type). rebuild() writes them afresh from the acts, for a bulk load or
a repair; a test keeps the two equal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from itertools import groupby
from typing import Any

from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncMonth

from ferry.incidents.models import Act, ActCount, Incident

# month, country, subdivision, verification, act type
Key = tuple[date, str, str, str, int]
Place = tuple[str, str, str]  # country, subdivision, verification
BATCH = 2_000
_COLUMNS = ("month", "country", "subdivision", "verification", "act_type_id")


def month_of(day: date) -> date:
    return day.replace(day=1)


def lock(incident: Incident) -> Place:
    """Lock the incident's row until the transaction ends and read, as they are now, what the clear tables copy
    from it: its country, subdivision and verification (returned, for the counts) and its start date (set on
    `incident`, the term index's sort key). The door read the incident before the transaction began; a colleague's
    edit may have committed since."""
    row = (
        Incident.objects.select_for_update()
        .filter(pk=incident.pk)
        .values_list("country", "subdivision", "verification", "start_date")
    )
    country, subdivision, verification, incident.start_date = row.get()
    return country, subdivision, verification


_GROW = "INSERT INTO {table} ({columns}, acts) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT ({columns}) DO UPDATE SET acts = {table}.acts + excluded.acts"  # noqa: E501
_SHRINK = "UPDATE {table} SET acts = acts - %s WHERE {where}"


def _apply(deltas: Counter[Key]) -> None:
    """Add each delta to its row, creating rows as needed, then remove the rows that fell to nothing. Every row
    is written in one ascending order of keys, those added to and those taken from alike, so two transactions
    that share rows wait for each other in line and never crosswise (which would deadlock on PostgreSQL)."""
    table = connection.ops.quote_name(ActCount._meta.db_table)
    columns = ", ".join(_COLUMNS)
    where = " AND ".join(f"{c} = %s" for c in _COLUMNS)
    grow, shrink = _GROW.format(table=table, columns=columns), _SHRINK.format(table=table, where=where)
    emptied = []
    with connection.cursor() as cursor:
        # Runs of keys alike in sign go in one statement each, in the keys' order.
        for growing, run in groupby(((key, n) for key, n in sorted(deltas.items()) if n), key=lambda kn: kn[1] > 0):
            if growing:
                cursor.executemany(grow, [(*key, n) for key, n in run])
            else:
                taken = list(run)
                cursor.executemany(shrink, [(-n, *key) for key, n in taken])
                emptied += [key for key, _n in taken]
        if emptied:
            cursor.executemany(f"DELETE FROM {table} WHERE acts = 0 AND {where}", emptied)  # noqa: S608 - model names


def acts_added(place: Place, acts: Iterable[Act]) -> None:
    """Count acts newly written for one incident, classified as `place` (read with lock())."""
    _apply(Counter((month_of(a.start_date), *place, a.act_type_id) for a in acts))


def imported(incidents: Iterable[Incident], acts: Iterable[Act]) -> None:
    """Count the acts of an import's chunk (new incidents: nobody else can be changing them)."""
    places = {i.pk: (i.country, i.subdivision, i.verification) for i in incidents}
    _apply(Counter((month_of(a.start_date), *places[a.incident_id], a.act_type_id) for a in acts))


def _acts_of(incident_ids: list[Any]) -> list[tuple[date, str, str, str, int]]:
    return [
        (month_of(start), country, subdivision, verification, act_type)
        for start, country, subdivision, verification, act_type in Act.objects.filter(
            incident_id__in=incident_ids
        ).values_list(
            "start_date", "incident__country", "incident__subdivision", "incident__verification", "act_type_id"
        )
    ]


def reclassified(incident_id: Any, before: Place) -> None:
    """After an incident's place or verification changed (`before` as lock() read it), move its
    acts' counts to where it is now."""
    after = Incident.objects.filter(pk=incident_id).values_list("country", "subdivision", "verification").get()
    if after == before:
        return
    deltas: Counter[Key] = Counter()
    for start, act_type in Act.objects.filter(incident_id=incident_id).values_list("start_date", "act_type_id"):
        deltas[(month_of(start), *before, act_type)] -= 1
        deltas[(month_of(start), *after, act_type)] += 1
    _apply(deltas)


def removing(incident_ids: list[Any]) -> None:
    """Before these incidents are deleted (an import undone): take their acts out of the counts."""
    deltas: Counter[Key] = Counter()
    for key in _acts_of(incident_ids):
        deltas[key] -= 1
    _apply(deltas)


def rebuild() -> int:
    """Write every count afresh from the acts, grouped in the database; the number of rows. Run inside a
    transaction to make it all or nothing."""
    ActCount.objects.all().delete()
    grouped = (
        Act.objects.annotate(month=TruncMonth("start_date"))
        .values("month", "incident__country", "incident__subdivision", "incident__verification", "act_type_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    batch: list[ActCount] = []
    written = 0
    for row in grouped.iterator(chunk_size=BATCH):
        month = row["month"]
        batch.append(
            ActCount(
                month=month.date() if isinstance(month, datetime) else month,
                country=row["incident__country"],
                subdivision=row["incident__subdivision"],
                verification=row["incident__verification"],
                act_type_id=row["act_type_id"],
                acts=row["n"],
            )
        )
        if len(batch) >= BATCH:
            ActCount.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    ActCount.objects.bulk_create(batch)
    return written + len(batch)
