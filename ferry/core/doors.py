"""The one generic door to a sealed record: the record and its key, or NotFound.

Every fetch of a sealed record for a person goes through a Door: a case (cases.services.access_case), a
request (intake.triage.access_request), a referral, and later incidents and evidence. Missing, not granted
and not for the viewer's role give the same NotFound with the same message, so an answer tells nothing
about what exists; a refusal of a record that exists is audited; nothing is decrypted before the check.
One condition per line, so coverage proves every branch."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from django.db.models import Model, QuerySet
from django.utils.functional import Promise

from ferry.audit.services import audit_record
from ferry.core.errors import NotFound
from ferry.core.permissions import Actor, allowed
from ferry.vault.keyring import KeyRing
from ferry.vault.models import SealedRecord

R = TypeVar("R", bound=SealedRecord)
M = TypeVar("M", bound=Model)


class Opened(NamedTuple, Generic[R]):
    record: R
    key: bytes


@dataclass(frozen=True)
class Door(Generic[R]):
    """How one kind of sealed record is opened: by which field an address names it, for which roles."""

    model: type[R]
    by: str  # "reference", or "pk" for records named by their UUID
    roles: tuple[str, ...]
    audit_noun: str  # the audit log's object type; a refusal is "<noun>.denied"
    missing: str | Promise  # the translated message of NotFound
    related: tuple[str, ...] = ()


def _lookup_value(door: Door[Any], value: object) -> object | None:
    """The value as the field stores it, or None when it cannot name a record (a malformed id)."""
    if door.by != "pk":
        return value if isinstance(value, str) and value else None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def door_open(
    door: Door[R], *, ring: KeyRing | None, staff: Actor | None, value: object, scope: Mapping[str, Any] | None = None
) -> Opened[R]:
    """The record named by `value` (within `scope`, e.g. a task within its case) and its key set's key."""
    if staff is None or not allowed(staff, door.roles):
        raise NotFound(str(door.missing))
    if ring is None:
        raise NotFound(str(door.missing))
    lookup = _lookup_value(door, value)
    if lookup is None:
        raise NotFound(str(door.missing))
    rows = door.model._default_manager.select_related("key_set", *door.related)
    record = rows.filter(**{door.by: lookup}, **(scope or {})).first()
    if record is None:
        raise NotFound(str(door.missing))
    key = ring.keys_for([record.key_set]).get(record.key_set_id)
    if key is None:
        audit_record(
            action=f"{door.audit_noun}.denied", actor_id=staff.pk, object_type=door.audit_noun, object_id=record.pk.hex
        )
        raise NotFound(str(door.missing))
    return Opened(record, key)


def own_record(rows: QuerySet[M], *, record_id: object, missing: str | Promise) -> M:
    """The one record of `rows` (already narrowed to the viewer's own) named by a UUID, or NotFound: a malformed
    id, somebody else's record and none at all get the same answer."""
    try:
        pk = record_id if isinstance(record_id, uuid.UUID) else uuid.UUID(str(record_id))
    except ValueError:
        raise NotFound(str(missing)) from None
    record = rows.filter(pk=pk).first()
    if record is None:
        raise NotFound(str(missing))
    return record
