"""The database half of a backup, per engine: a consistent online copy (SQLite's backup API, or pg_dump
inside an exported snapshot) read in the same instant as the file list and the audit head, and restoring it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connections, transaction

from ferry.audit.models import AuditEntry
from ferry.vault.models import FileKey, PendingFile

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


class BackupFailed(RuntimeError):
    """A backup, restore or check could not be done (an operator's command: English, like audit_verify's); the
    message says what, never which record."""


@dataclass(frozen=True)
class Snapshot:
    """What the copied database names: stored files (those not waiting in the database) and its audit head."""

    file_ids: list[str]
    audit_head: tuple[int, str] | None


def engine(alias: str = "default") -> str:
    return "postgresql" if connections[alias].vendor == "postgresql" else "sqlite"


def _stored_ids_sql() -> str:
    keys, pending = FileKey._meta.db_table, PendingFile._meta.db_table
    return f"SELECT id FROM {keys} WHERE id NOT IN (SELECT file_key_id FROM {pending}) ORDER BY id"  # noqa: S608 - table names from models


def _head_sql() -> str:
    return f"SELECT seq, entry_hash FROM {AuditEntry._meta.db_table} ORDER BY seq DESC LIMIT 1"  # noqa: S608 - as above


def _read_snapshot(cursor: Any) -> Snapshot:
    cursor.execute(_stored_ids_sql())
    ids = [str(uuid.UUID(str(row[0]))) for row in cursor.fetchall()]
    cursor.execute(_head_sql())
    row = cursor.fetchone()
    return Snapshot(file_ids=ids, audit_head=(int(row[0]), str(row[1])) if row else None)


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: FERRY_PG_BINDIR, else the PATH, else the newest Debian PostgreSQL."""
    folder = os.environ.get("FERRY_PG_BINDIR", "").strip()
    if folder and (Path(folder) / name).exists():
        return str(Path(folder) / name)
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parent.parent.name))
    if versions:
        return str(versions[-1])
    raise BackupFailed(f"{name} was not found: install the PostgreSQL client (Debian: postgresql-client).")


def _pg_args(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = []
    if settings_dict.get("HOST"):
        args += ["-h", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["-U", str(settings_dict["USER"])]
    env = {**os.environ, "PGPASSWORD": str(settings_dict.get("PASSWORD") or "")}
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, check=False)  # noqa: S603 - fixed programs
    if done.returncode != 0:
        # The tool's own last line (a connection or permission problem); it carries no row data.
        detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise BackupFailed(f"{what} failed: {detail[0]}")


def snapshot_copy(folder: Path) -> tuple[str, Snapshot]:
    """Copy the live database into `folder`; returns the copy's file name and what the copy names."""
    if engine() == "sqlite":
        name = str(connections["default"].settings_dict["NAME"])
        target = folder / SQLITE_FILE
        with closing(sqlite3.connect(name)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
            return SQLITE_FILE, _read_snapshot(copy.cursor())
    connection = connections["default"]
    args, env = _pg_args(connection.settings_dict)
    with transaction.atomic(), connection.cursor() as cursor:
        # The dump and the reading below share one snapshot: the files listed are exactly those the dump names.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        dump = [pg_tool("pg_dump"), *args, "--format=custom", "--no-owner", f"--snapshot={snapshot_id}"]
        _run([*dump, "-f", str(folder / PG_FILE), str(connection.settings_dict["NAME"])], env, "pg_dump")
        return PG_FILE, _read_snapshot(cursor)


def _pg_has_tables(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        return bool(connections[alias].introspection.table_names(cursor))


def database_restore(src: Path, database_file: str, *, replace: bool) -> None:
    """Put the backup's database in place of the configured one (the service must be stopped)."""
    connections.close_all()
    source = src / database_file
    if engine() == "sqlite":
        if database_file != SQLITE_FILE:
            raise BackupFailed("This backup is of a PostgreSQL database; DATABASE_URL names SQLite.")
        target = Path(str(connections["default"].settings_dict["NAME"]))
        if target.exists() and target.stat().st_size and not replace:
            raise BackupFailed("The database is not empty: stop Ferry and give --replace to overwrite it.")
        with closing(sqlite3.connect(source)) as backup, closing(sqlite3.connect(target)) as live:
            backup.backup(live)
            live.execute("PRAGMA journal_mode=WAL")
        return
    if database_file != PG_FILE:
        raise BackupFailed("This backup is of an SQLite database; DATABASE_URL names PostgreSQL.")
    if _pg_has_tables("default") and not replace:
        raise BackupFailed("The database is not empty: stop Ferry and give --replace to overwrite it.")
    settings_dict = connections["default"].settings_dict
    connections.close_all()
    _pg_restore(source, settings_dict, clean=replace)


def _pg_restore(source: Path, settings_dict: dict[str, Any], *, clean: bool) -> None:
    args, env = _pg_args(settings_dict)
    command = [pg_tool("pg_restore"), *args, "--no-owner", "--exit-on-error", "--single-transaction"]
    if clean:
        command += ["--clean", "--if-exists"]
    _run([*command, "--dbname", str(settings_dict["NAME"]), str(source)], env, "pg_restore")


@contextmanager
def throwaway_copy(src: Path, database_file: str, folder: Path) -> Iterator[str]:
    """The backup's database restored where nothing else looks (a file in `folder`, or a new PostgreSQL
    database dropped afterwards), open under a database alias of its own; yields the alias."""
    if database_file != (SQLITE_FILE if engine() == "sqlite" else PG_FILE):
        raise BackupFailed("This backup is of another database engine than the one DATABASE_URL names.")
    alias = f"backup_check_{uuid.uuid4().hex[:8]}"
    # A connection like the configured one, to another database; registered only for this check.
    wrapper = connections["default"].copy(alias)
    pg_name = None
    if database_file == SQLITE_FILE:
        target = folder / "check.sqlite3"
        with closing(sqlite3.connect(src / database_file)) as backup, closing(sqlite3.connect(target)) as copy:
            backup.backup(copy)
        wrapper.settings_dict["NAME"] = str(target)
    else:
        pg_name = f"ferry_check_{uuid.uuid4().hex[:12]}"
        _pg_create_or_drop(f'CREATE DATABASE "{pg_name}"')
        wrapper.settings_dict["NAME"] = pg_name
    try:
        if pg_name is not None:
            _pg_restore(src / database_file, wrapper.settings_dict, clean=False)
        connections[alias] = wrapper
        yield alias
    finally:
        wrapper.close()
        with suppress(AttributeError):  # not registered: the restore into it failed
            del connections[alias]
        if pg_name is not None:
            _pg_create_or_drop(f'DROP DATABASE IF EXISTS "{pg_name}"')


def _pg_create_or_drop(statement: str) -> None:
    # CREATE/DROP DATABASE refuse to run in a transaction: Django's own connection to the server's
    # maintenance database, in autocommit (what it uses to make test databases).
    try:
        with connections["default"]._nodb_cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError as exc:
        raise BackupFailed(f"no throwaway database to check the backup in: {type(exc).__name__}") from None
