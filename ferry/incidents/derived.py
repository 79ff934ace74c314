"""The documentation's clear tables derived from its records (term_index: IncidentTerm and IncidentPerpetrator;
act_counts: ActCount), checked against what a rebuild from the records writes, or rebuilt.

They are kept in the transaction that changes their records, so this is for an operator who suspects they
drifted (a part of the data restored or edited by hand, a fault): `manage.py documentation_reindex --check`
tells, `manage.py documentation_reindex` repairs. Only numbers come out: no record's content."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction

from ferry.incidents import act_counts, term_index
from ferry.incidents.models import ActCount, IncidentPerpetrator, IncidentTerm

_TABLES: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (IncidentTerm, ("incident_id", "term_id", "start_date", "created_at")),
    (IncidentPerpetrator, ("incident_id", "perpetrator_id", "start_date", "created_at")),
    (ActCount, ("month", "country", "subdivision", "verification", "act_type_id", "acts")),
)


@dataclass(frozen=True)
class Drift:
    table: str
    kept: int  # rows kept now
    stale: int  # rows kept that a rebuild would not write
    missing: int  # rows a rebuild would write that are not kept

    @property
    def exact(self) -> bool:
        return not (self.stale or self.missing)


def _count(cursor: Any, select: str) -> int:
    cursor.execute(f"SELECT COUNT(*) FROM ({select}) AS rows_of")  # noqa: S608 - model names
    return int(cursor.fetchone()[0])


def derived_check() -> list[Drift]:
    """Each table against what a rebuild from the records would write, row for row. The rebuild runs in a
    transaction that is rolled back: nothing changes."""
    quote = connection.ops.quote_name
    # (each table's columns, the table, and the copy of it taken before the rebuild)
    names = [
        (", ".join(quote(c) for c in columns), quote(model._meta.db_table), f"derived_kept_{n}")
        for n, (model, columns) in enumerate(_TABLES)
    ]
    drifts = []
    with transaction.atomic(), connection.cursor() as cursor:
        for columns, table, kept in names:
            cursor.execute(f"CREATE TEMPORARY TABLE {kept} AS SELECT {columns} FROM {table}")  # noqa: S608 - model names
        term_index.rebuild()
        act_counts.rebuild()
        for (model, _fields), (columns, table, kept) in zip(_TABLES, names, strict=True):
            rows = f"SELECT {columns} FROM {kept}"  # noqa: S608 - model names
            rebuilt = f"SELECT {columns} FROM {table}"  # noqa: S608 - model names
            drifts.append(
                Drift(
                    table=model._meta.db_table,
                    kept=_count(cursor, rows),
                    stale=_count(cursor, f"{rows} EXCEPT {rebuilt}"),
                    missing=_count(cursor, f"{rebuilt} EXCEPT {rows}"),
                )
            )
        transaction.set_rollback(True)  # the rebuild and the copies (temporary tables go with it)
    return drifts


def derived_rebuild() -> dict[str, int]:
    """Write the tables afresh from the records, all or nothing; the rows written per index."""
    with transaction.atomic():
        return {"term index": term_index.rebuild(), "act counts": act_counts.rebuild()}
