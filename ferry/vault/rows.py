"""Many rows of one model in one statement per batch, without the ORM's per-object work: for inserts of
thousands of records built in memory (bulk key sets, imports). Each value still goes through its field's
own conversion (get_db_prep_save), as the ORM would write it; no signals, no returned ids."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models

BATCH = 2_000


def rows_insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert the objects. A primary key left None is the database's to give (an auto id), in every row alike."""
    if not objs:
        return
    # The connection itself rather than the per-access proxy: looked up once, not once per value.
    connection = connections[DEFAULT_DB_ALIAS]
    # An auto id left None is left out, so the database numbers the rows (PostgreSQL refuses NULL there).
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and getattr(objs[0], f.attname) is None)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 - model names
    prepare = [(f.attname, f.get_db_prep_save) for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            rows = [
                tuple(convert(getattr(obj, attname), connection) for attname, convert in prepare)
                for obj in objs[start : start + BATCH]
            ]
            cursor.executemany(sql, rows)
