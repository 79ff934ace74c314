"""The clear index of the terms each incident carries (models.IncidentTerm) and of the register's entities
involved in it (models.IncidentPerpetrator), kept in the same transaction as what changes them: an act added
(its act type and method), a perpetrator's involvement added (its type, and the entity if one is named), an
incident's start date changed. Every term is indexed with all the terms above it, so a filter on "honour
killing" finds incidents whose acts are recorded as a threat or an attempt, with one look-up in index order.

Terms are never moved to another parent (vocabulary: add, rename, deprecate), so an incident's entries only
grow until it is deleted, and its rows go with it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection

from ferry.incidents.models import Act, Incident, IncidentPerpetrator, IncidentTerm, Involvement, Term

BATCH = 2_000


def lineage() -> dict[int, list[int]]:
    """Each term's id, to itself and every term above it (the vocabularies are small: one query)."""
    parents = dict(Term.objects.values_list("pk", "parent_id"))
    found = {}
    for term_id in parents:
        chain = [term_id]
        while parents.get(chain[-1]) is not None:
            chain.append(parents[chain[-1]])
        found[term_id] = chain
    return found


def _rows(incident: Incident, term_ids: Iterable[int | None], lines: dict[int, list[int]]) -> list[IncidentTerm]:
    wanted = {above for term_id in term_ids if term_id is not None for above in lines.get(term_id, [term_id])}
    return [
        IncidentTerm(incident_id=incident.pk, term_id=t, start_date=incident.start_date, created_at=incident.created_at)
        for t in sorted(wanted)
    ]


def terms_add(incident: Incident, term_ids: Iterable[int | None], perpetrator_ids: Iterable[int | None] = ()) -> None:
    """Index these terms (and those above them) and these register entities for the incident; what it already
    carries is left as it is."""
    rows = _rows(incident, term_ids, lineage())
    if rows:
        IncidentTerm.objects.bulk_create(rows, ignore_conflicts=True)
    named = _named(incident, set(perpetrator_ids))
    if named:
        IncidentPerpetrator.objects.bulk_create(named, ignore_conflicts=True)


def _named(incident: Incident, perpetrator_ids: set[int | None]) -> list[IncidentPerpetrator]:
    return [
        IncidentPerpetrator(
            incident_id=incident.pk, perpetrator_id=p, start_date=incident.start_date, created_at=incident.created_at
        )
        for p in sorted(p for p in perpetrator_ids if p is not None)
    ]


def acts_index(incidents: Iterable[Incident], acts: Iterable[Act], involvements: Iterable[Involvement]) -> None:
    """Index what newly written acts and involvements of these incidents carry (an import's chunk: related
    rows named by id)."""
    by_id = {incident.pk: incident for incident in incidents}
    incident_of: dict[Any, Any] = {}
    terms: dict[Any, set[int | None]] = {}
    named: dict[Any, set[int | None]] = {}
    for act in acts:
        incident_of[act.pk] = act.incident_id
        terms.setdefault(act.incident_id, set()).update((act.act_type_id, act.method_id))
    for involvement in involvements:
        incident_id = incident_of[involvement.act_id]
        terms.setdefault(incident_id, set()).add(involvement.perpetrator_type_id)
        named.setdefault(incident_id, set()).add(involvement.perpetrator_id)
    lines = lineage()
    rows = [row for key, ids in terms.items() for row in _rows(by_id[key], ids, lines)]
    IncidentTerm.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    entries = [row for key, ids in named.items() for row in _named(by_id[key], ids)]
    IncidentPerpetrator.objects.bulk_create(entries, batch_size=BATCH, ignore_conflicts=True)


def dates_follow(incident_id: Any, start_date: date) -> None:
    """The incident's index entries take its (new) start date, so they keep its place in the list's order."""
    for model in (IncidentTerm, IncidentPerpetrator):
        model.objects.filter(incident_id=incident_id).exclude(start_date=start_date).update(start_date=start_date)


# Each (term, term above it or itself) pair, joined to the column that carries terms, in one statement per
# column; "WHERE true" lets SQLite read ON CONFLICT as the insert's, not the join's.
_INSERT = """
WITH up(term_id, above_id) AS (VALUES {pairs})
INSERT INTO {index} (incident_id, term_id, start_date, created_at)
SELECT DISTINCT i.id, up.above_id, i.start_date, i.created_at
FROM {source} s JOIN up ON up.term_id = s.{column} JOIN {incidents} i ON i.id = s.{incident}
WHERE true
ON CONFLICT DO NOTHING
"""


_NAMED = """
INSERT INTO {index} (incident_id, perpetrator_id, start_date, created_at)
SELECT DISTINCT i.id, v.perpetrator_id, i.start_date, i.created_at
FROM {involvements} v JOIN {acts} a ON a.id = v.act_id JOIN {incidents} i ON i.id = a.incident_id
WHERE v.perpetrator_id IS NOT NULL
"""


def rebuild() -> int:
    """Write the whole index afresh from the acts and involvements, in the database (after a bulk load, or to
    repair it); the number of entries (terms and entities). Run inside a transaction to make it all or nothing."""
    IncidentTerm.objects.all().delete()
    IncidentPerpetrator.objects.all().delete()
    pairs = [(t, above) for t, chain in lineage().items() for above in chain]
    if not pairs:
        return 0
    values = ", ".join(f"({int(t)}, {int(above)})" for t, above in pairs)
    acts, involvements = Act._meta.db_table, Involvement._meta.db_table
    through_acts = (
        f"(SELECT v.perpetrator_type_id, a.incident_id FROM {involvements} v JOIN {acts} a ON a.id = v.act_id)"  # noqa: S608 - model names
    )
    sources = [
        (acts, "act_type_id", "incident_id"),
        (acts, "method_id", "incident_id"),
        (through_acts, "perpetrator_type_id", "incident_id"),
    ]
    with connection.cursor() as cursor:
        for source, column, incident in sources:
            cursor.execute(
                _INSERT.format(
                    pairs=values,
                    index=IncidentTerm._meta.db_table,
                    source=source,
                    column=column,
                    incidents=Incident._meta.db_table,
                    incident=incident,
                )
            )
        cursor.execute(
            _NAMED.format(
                index=IncidentPerpetrator._meta.db_table,
                involvements=involvements,
                acts=acts,
                incidents=Incident._meta.db_table,
            )
        )
    return IncidentTerm.objects.count() + IncidentPerpetrator.objects.count()
