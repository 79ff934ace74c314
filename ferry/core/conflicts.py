"""Two people making the same first write at once (adding the same colleague, setting the same new need): the
database's unique constraint decides, and the one who lost gets a clear Conflict, not a server error, with
nothing of their attempt saved."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction

from ferry.core.errors import Conflict


@contextmanager
def first_write(message: str) -> Iterator[None]:
    """Run one insert guarded by a unique constraint in a savepoint of its own; the constraint violated (by
    someone's write that committed between our check and our insert) is a Conflict with `message` (translated,
    naming no record). Wrap only that insert: any other integrity error is a bug and must stay one."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise Conflict(message) from None
