"""P1/P4, a day's submissions on a seized copy: neither their order nor their times can be read back.

A copy of the SQLite file is taken page for page (the backup API, never VACUUM, which would renumber rows)
and read directly: every column, every hidden row id and the order a plain scan returns rows in."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from tests.intake.helpers import box_post, open_box, submit

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 10
# The current hour's counters only (folded into the day's when the hour ends): they say someone sent something
# in the last hour, never which request it was.
NOT_PER_PERSON = {"intake_intakewindow"}


def _tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(row[0] for row in cursor.fetchall())


def _rows(cursor: Any, table: str) -> Iterator[dict[str, Any]]:
    """Every row with its hidden row id (when the table has one) and its place in a plain scan."""
    try:
        cursor.execute(f'SELECT rowid AS "~rowid", * FROM "{table}"')  # noqa: S608 - names from sqlite_master
    except sqlite3.OperationalError:  # a table WITHOUT ROWID
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from sqlite_master
    names = [d[0] for d in cursor.description]
    for place, values in enumerate(cursor.fetchall()):
        yield {"~scan": place, **dict(zip(names, values, strict=True))}


def _keys(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.get_primary_key_columns(cursor, table) or ["rowid"]


def _snapshot() -> dict[str, set[tuple[Any, ...]]]:
    """The primary keys of every table's rows now."""
    found = {}
    with connection.cursor() as cursor:
        for table in _tables(cursor):
            if table in NOT_PER_PERSON:
                continue
            keys = _keys(table)
            cursor.execute(f'SELECT {", ".join(keys)} FROM "{table}"')  # noqa: S608 - names from sqlite_master
            found[table] = {tuple(row) for row in cursor.fetchall()}
    return found


def _ordered(groups: list[list[Any]]) -> bool:
    """Whether these values, one list per person in the order they acted, put the people in that order."""
    present = [sorted(g) for g in groups if g]
    if len(present) < 3:
        return False
    try:
        rising = all(a[-1] < b[0] for a, b in itertools.pairwise(present))
        falling = all(a[0] > b[-1] for a, b in itertools.pairwise(present))
    except TypeError:
        return False
    return rising or falling


def _leaks(seized: Path, caused: list[dict[str, set[tuple[Any, ...]]]]) -> list[str]:
    """Every (table, column) whose values put the people's actions in their order."""
    found = []
    copy = sqlite3.connect(seized)
    try:
        cursor = copy.cursor()
        for table in _tables(cursor):
            if table in NOT_PER_PERSON:
                continue
            keys = _keys(table)
            rows = list(_rows(cursor, table))
            owner: dict[tuple[Any, ...], int] = {}
            for index, new in enumerate(caused):
                for key in new.get(table, ()):
                    owner.setdefault(key, index)
            mine = [(owner[tuple(row[k] for k in keys)], row) for row in rows if tuple(row[k] for k in keys) in owner]
            if not mine:
                continue
            for column in mine[0][1]:
                groups: list[list[Any]] = [[] for _ in caused]
                for index, row in mine:
                    if row[column] is not None:
                        groups[index].append(row[column])
                if _ordered(groups):
                    found.append(f"{table}.{column}")
    finally:
        copy.close()
    return found


def _seize(tmp_path: Path) -> Path:
    target = tmp_path / "seized.sqlite3"
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()
    return target


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads the SQLite file itself")
def test_a_days_submissions_and_messages_keep_no_order_on_a_seized_copy(
    hotline: dict[str, Any], tmp_path: Path
) -> None:
    # Given ten people who each write to us on one day, an hour or so apart, each sending a file
    day = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    codes = []
    caused = []
    for person in range(PEOPLE):
        before = _snapshot()
        with time_machine.travel(day + timedelta(hours=1 + person, minutes=7 * person), tick=False):
            photo = SimpleUploadedFile(f"p{person}.txt", b"seen at the station", content_type="text/plain")
            response, code, _duress = submit(Client(), files=[photo])
            assert response.status_code == 200
            codes.append(code)
        after = _snapshot()
        caused.append({t: after[t] - before.get(t, set()) for t in after})
    # And then, later that day, each writes again from their mailbox with another file, in the same order
    replies = []
    for person, code in enumerate(codes):
        before = _snapshot()
        with time_machine.travel(day + timedelta(hours=13, minutes=5 * person), tick=False):
            client = Client()
            _page, box = open_box(client, code)
            assert box is not None
            later = SimpleUploadedFile("later.txt", b"one more thing", content_type="text/plain")
            assert box_post(client, "/box/send?lang=en", box, {"text": "Still here.", "files": [later]}).status_code
            box_post(client, "/box/close?lang=en", box)
        after = _snapshot()
        replies.append({t: after[t] - before.get(t, set()) for t in after})
    assert all(new["intake_message"] for new in replies)
    assert all(new["intake_request"] for new in caused)

    # When the database file is copied, page for page
    seized = _seize(tmp_path)

    # Then no column, hidden row id or scan order puts the requests, or the messages, in the order they came
    assert _leaks(seized, caused) == []
    assert _leaks(seized, replies) == []
