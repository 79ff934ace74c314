"""Tables of rows a person causes keep no insertion order on SQLite: they are rebuilt WITHOUT ROWID after
every migration, so rows sit in the order of their random keys (models.random_id, or UUIDs).

SQLite numbers a table's rows with a hidden row id, counted up, unless the key is declared exactly INTEGER
(Django declares bigint or char): a row id puts a person's message after a staff reply made at a known
second. It runs after every migrate, because a migration that remakes a table drops the clause."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

from ferry.vault.models import OrderFree

CLAUSE = "WITHOUT ROWID"


def order_free_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if issubclass(m, OrderFree) and not m._meta.proxy]


def _table_sql(cursor: Any, table: str) -> str | None:
    cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
    row = cursor.fetchone()
    return row[0] if row else None


def is_order_free(connection: BaseDatabaseWrapper, table: str) -> bool:
    with connection.cursor() as cursor:
        sql = _table_sql(cursor, table)
    return sql is not None and sql.rstrip().upper().endswith(CLAUSE)


def rebuild(connection: BaseDatabaseWrapper, table: str) -> bool:
    """Rebuild one SQLite table WITHOUT ROWID (same columns, rows and indexes); False when it already is."""
    quoted = connection.ops.quote_name(table)
    temporary = connection.ops.quote_name(f"{table}__order_free")
    with connection.cursor() as cursor:
        sql = _table_sql(cursor, table)
        if sql is None or sql.rstrip().upper().endswith(CLAUSE):
            return False
        prefix = f"CREATE TABLE {quoted}"
        if not sql.startswith(prefix):
            raise RuntimeError(f"unexpected definition of {table}")
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [table]
        )
        indexes = [row[0] for row in cursor.fetchall()]
    # Other tables' foreign keys name this table: the schema editor turns their checks off while it is
    # swapped (as in Django's own table rebuilds; it refuses to run inside a transaction, where SQLite could
    # not turn them off), and checks every constraint again before it commits.
    with connection.schema_editor(atomic=True) as editor:
        editor.execute(f"CREATE TABLE {temporary}{sql[len(prefix) :]} {CLAUSE}")
        editor.execute(f"INSERT INTO {temporary} SELECT * FROM {quoted}")  # noqa: S608 - names from the schema
        editor.execute(f"DROP TABLE {quoted}")
        editor.execute(f"ALTER TABLE {temporary} RENAME TO {quoted}")
        for index in indexes:
            editor.execute(index)
    return True


def order_free_tables(using: str = "default") -> list[str]:
    """Rebuild what needs it (SQLite only); returns the tables rebuilt."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    tables = set(connection.introspection.table_names())
    done = []
    for model in order_free_models():
        table = model._meta.db_table
        if table in tables and rebuild(connection, table):
            done.append(table)
    return done


def after_migrate(using: str = "default", **_kwargs: Any) -> None:
    order_free_tables(using)
