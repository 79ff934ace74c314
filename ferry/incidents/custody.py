"""An evidence item's chain of custody: append an event, and verify the chain with or without keys.

Each item's chain starts from a hash of the item's own clear record (which file, its stored hash, who
acquired it and when), so changing the stored hash to hide a replaced file breaks the chain. Each event's hash
covers the one before it, its clear fields and a digest of its sealed detail (a random salt inside the detail
keeps the digest from being matched against a guess). Every event is also written to the audit log under the
item's id and the first half of its own hash, so the custody log is anchored in the audit log's signed chain:
an entry removed from the end, or a chain rewritten with fresh hashes, no longer matches the audit log.

Without keys (the evidence_verify command), this checks every link, the anchor and the audit log. With the
item's key (the verify page), it also checks each detail against its digest and re-checks the file."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from ferry.accounts.models import Staff
from ferry.audit.services import audit_record, audit_trail
from ferry.incidents.models import CustodyEvent, Evidence
from ferry.vault import keysets
from ferry.vault.errors import VaultError

# The audit log's object type for custody events; the object id is the item's id and half the entry's hash.
AUDIT_TYPE = "custody"

# Why a chain does not verify: kept untranslated here, translated where they are shown.
MISSING_START = gettext_noop("the custody log has no acquisition entry")
RECORD_CHANGED = gettext_noop("the item's own record was changed (its file, stored hash or acquisition)")
OUT_OF_ORDER = gettext_noop("entries are missing or out of order")
NOT_FOLLOWING = gettext_noop("an entry does not follow the one before it")
CONTENT_CHANGED = gettext_noop("an entry was changed")
AUDIT_DIFFERS = gettext_noop("the custody log differs from the audit log: entries were removed, added or rewritten")
DETAIL_CHANGED = gettext_noop("an entry's sealed detail was changed")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _digest(label: str, fields: dict[str, Any]) -> str:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"ferry-custody-{label}\n{text}".encode("ascii")).hexdigest()


def anchor_hash(evidence: Evidence) -> str:
    """Where the item's chain starts: a hash of its clear record, none of which may ever change."""
    return _digest(
        "anchor",
        {
            "evidence": evidence.pk.hex,
            "reference": evidence.reference,
            "incident": evidence.incident_id.hex,
            "original": evidence.original_id.hex if evidence.original_id else "",
            "copy_kind": evidence.copy_kind,
            "kind": evidence.kind,
            "file": evidence.file_id.hex,
            "size": evidence.size,
            "stored_sha256": evidence.stored_sha256,
            "acquired_at": _utc(evidence.acquired_at),
            "acquired_by": evidence.acquired_by_id,
            "source": evidence.source_id.hex if evidence.source_id else "",
        },
    )


def entry_hash(event: CustodyEvent) -> str:
    return _digest(
        "entry",
        {
            "evidence": event.evidence_id.hex,
            "sequence": event.sequence,
            "action": event.action,
            "at": _utc(event.at),
            "actor": event.actor_id,
            "detail": event.detail_digest,
            "previous": event.previous_hash,
        },
    )


def audit_id(event: CustodyEvent) -> str:
    """The audit log's object id for an event: 32 + 32 hexadecimal characters, no content."""
    return event.evidence_id.hex + event.entry_hash[:32]


@transaction.atomic
def custody_append(
    *, evidence: Evidence, key: bytes, action: str, actor: Staff, detail: dict[str, Any] | None = None
) -> CustodyEvent:
    """Add one event to the item's chain (serialised per item: its row is locked), sealed under its key."""
    Evidence.objects.select_for_update().filter(pk=evidence.pk).values_list("pk", flat=True).first()
    last = CustodyEvent.objects.filter(evidence=evidence).order_by("-sequence").first()
    event = CustodyEvent(
        evidence=evidence,
        key_set_id=evidence.key_set_id,
        sequence=1 if last is None else last.sequence + 1,
        action=action,
        at=timezone.now(),
        actor=actor,
        previous_hash=anchor_hash(evidence) if last is None else last.entry_hash,
    )
    text = json.dumps({**(detail or {}), "salt": secrets.token_hex(16)}, ensure_ascii=False, sort_keys=True)
    keysets.seal_field(key, event, "detail", text)
    event.detail_digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    event.entry_hash = entry_hash(event)
    event.save(force_insert=True)
    audit_record(action=f"custody.{action}", actor_id=actor.pk, object_type=AUDIT_TYPE, object_id=audit_id(event))
    return event


def custody_detail(*, key: bytes, event: CustodyEvent) -> dict[str, Any]:
    """An event's sealed detail, without its salt (empty once the item was shredded)."""
    found = keysets.open_json(key, event, "detail")
    found.pop("salt", None)
    return found


@dataclass(frozen=True)
class ChainVerdict:
    ok: bool
    count: int
    first_bad: int | None = None  # the sequence number of the first entry that fails, 0 for the item itself
    problem: str = ""  # one of the gettext_noop messages above


Trail = list[tuple[str, str]]


def _trail_of(evidence: Evidence) -> Trail:
    """The item's custody entries in the audit log: ids from its own hex id up to the next one (hexadecimal
    strings of one length sort alike in every collation, so the index serves it)."""
    first = evidence.pk.hex
    return [
        (action, oid)
        for action, oid in audit_trail(object_type=AUDIT_TYPE, object_id_from=first, object_id_below=_after(first))
        if oid.startswith(first)
    ]


def _after(item_hex: str) -> str:
    """The lowest object id above every id of this item's entries ("" past the last possible item)."""
    following = f"{int(item_hex, 16) + 1:032x}"
    return following if len(following) == len(item_hex) else ""


def chain_verify(
    evidence: Evidence, *, events: Iterable[CustodyEvent] | None = None, trail: Trail | None = None
) -> ChainVerdict:
    """Walk the item's chain from its anchor; report the first entry edited, inserted or following a removal,
    then compare the whole chain with the audit log (`trail`, the audit log's (action, object id) pairs for
    this item: fetched when not given). Needs no key."""
    rows = list(events) if events is not None else list(CustodyEvent.objects.filter(evidence=evidence))
    rows.sort(key=lambda e: e.sequence)
    if not rows or rows[0].action != CustodyEvent.Action.ACQUIRED:
        return ChainVerdict(False, len(rows), 1, MISSING_START)
    previous = anchor_hash(evidence)
    for expected, event in enumerate(rows, start=1):
        if event.sequence != expected:
            return ChainVerdict(False, len(rows), event.sequence, OUT_OF_ORDER)
        if event.previous_hash != previous:
            problem = RECORD_CHANGED if expected == 1 else NOT_FOLLOWING
            return ChainVerdict(False, len(rows), 0 if expected == 1 else expected, problem)
        if event.entry_hash != entry_hash(event):
            return ChainVerdict(False, len(rows), expected, CONTENT_CHANGED)
        previous = event.entry_hash
    recorded = _trail_of(evidence) if trail is None else trail
    if recorded != [(f"custody.{e.action}", audit_id(e)) for e in rows]:
        first = next(
            (
                n
                for n, (event, entry) in enumerate(zip(rows, recorded, strict=False), start=1)
                if entry != (f"custody.{event.action}", audit_id(event))
            ),
            min(len(rows), len(recorded)) + 1,
        )
        return ChainVerdict(False, len(rows), first, AUDIT_DIFFERS)
    return ChainVerdict(True, len(rows))


def details_verify(*, key: bytes, events: Iterable[CustodyEvent]) -> int | None:
    """With the item's key: the sequence number of the first event whose sealed detail does not open or does
    not match its digest, or None when all match. A shredded item's details are gone, and not checked."""
    for event in sorted(events, key=lambda e: e.sequence):
        if event.detail is None:
            continue
        try:
            text = keysets.open_field(key, event, "detail") or ""
        except VaultError:
            return event.sequence
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != event.detail_digest:
            return event.sequence
    return None


def trails_by_item(first: Evidence | None = None, last: Evidence | None = None) -> dict[str, Trail]:
    """The audit log's custody entries grouped by item id: all of them (one pass, for verifying every item), or
    those of the items from `first` to `last` in id order (one query, for one chunk of a verification run)."""
    grouped: dict[str, Trail] = {}
    span = {}
    if first is not None and last is not None:
        span = {"object_id_from": first.pk.hex, "object_id_below": _after(last.pk.hex)}
    for action, object_id in audit_trail(object_type=AUDIT_TYPE, **span):
        grouped.setdefault(object_id[:32], []).append((action, object_id))
    return grouped
