"""The canonical serialisation of an audit entry and the hash that chains it to the previous one."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime


def canonical(
    *, seq: int, at: datetime, actor_id: int | None, action: str, object_type: str, object_id: str, prev_hash: str
) -> bytes:
    """Sorted keys, no whitespace, ASCII only, time in UTC with microseconds: one byte string per entry."""
    fields = {
        "seq": seq,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "prev": prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def entry_hash(**fields: object) -> str:
    return hashlib.sha256(canonical(**fields)).hexdigest()  # type: ignore[arg-type]
