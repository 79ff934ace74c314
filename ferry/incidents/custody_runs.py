"""Verifying every evidence item with one documenter's keys, chunk by chunk, in their own session (a run).

No background job ever holds a key (DESIGN.md), so, like an import (incidents.imports), a run is driven by the
documenter's browser: each chunk is one request (the run's page refreshes itself) that checks the next items in
id order (incidents.custody_check.item_check) and then, in one short transaction, claims the chunk by moving the
cursor on, records each re-check in its item's custody log and stores what was found. The slow part (reading,
decrypting and hashing files) runs before that transaction, so the audit log's writers wait only for the writes.
A chunk interrupted writes nothing and the next request does it again; two requests racing for one chunk: the
second writes nothing. A chunk is at most CHUNK_ITEMS items and stops early once CHUNK_BYTES of files are read.

Audited: evidence.verify_all when a run starts, evidence.verify_done when it has checked the last item."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.audit.services import audit_record
from ferry.core.doors import own_record
from ferry.core.permissions import require
from ferry.incidents.custody import trails_by_item
from ferry.incidents.custody_check import MESSAGES, NOTES, ItemCheck, chains_of, item_check
from ferry.incidents.custody_models import VerifyFinding, VerifyRun
from ferry.incidents.evidence import evidence_recheck_record
from ferry.incidents.models import Evidence
from ferry.vault.keyring import KeyRing

# One chunk: sized so that a request stays well under a couple of seconds (bench/bench_evidence.py measures it).
CHUNK_ITEMS = 100
CHUNK_BYTES = 64 * 1024 * 1024  # files a chunk reads; a single larger file is a chunk of its own
KEEP_RUNS = 10  # each documenter's latest runs are kept; older ones go when a new one starts
SHOWN = 500  # findings of each kind shown on the report; past this, only counted
State = VerifyRun.State


def _audit(action: str, staff: Staff, run: VerifyRun) -> None:
    audit_record(action=f"evidence.{action}", actor_id=staff.pk, object_type="verify_run", object_id=run.pk.hex)


def access_verify_run(*, staff: Staff, run_id: object) -> VerifyRun:
    """The documenter's own run; anyone else's, or none, is NotFound (the same answer)."""
    require(staff, Role.DOCUMENTER)
    return own_record(VerifyRun.objects.filter(staff=staff), record_id=run_id, missing=_("No such verification."))


def verify_start(*, staff: Staff) -> VerifyRun:
    """A new run over every item, from the first in id order; the documenter's oldest runs beyond KEEP_RUNS go."""
    require(staff, Role.DOCUMENTER)
    now = timezone.now()
    with transaction.atomic():
        kept = VerifyRun.objects.filter(staff=staff).order_by("-started_at").values_list("pk", flat=True)
        VerifyRun.objects.filter(staff=staff).exclude(pk__in=list(kept[: KEEP_RUNS - 1])).delete()
        run = VerifyRun.objects.create(staff=staff, started_at=now, updated_at=now, total=Evidence.objects.count())
        _audit("verify_all", staff, run)
    return run


def verify_runs_of(staff: Staff) -> list[VerifyRun]:
    """The documenter's own runs, newest first (nobody else's)."""
    return list(VerifyRun.objects.filter(staff=staff).order_by("-started_at")[:KEEP_RUNS])


# ------------------------------------------------------------------------------------------ one chunk


def _chunk(after: uuid.UUID | None) -> list[Evidence]:
    """The next items after the cursor, in id order: up to CHUNK_ITEMS, fewer once their files pass CHUNK_BYTES."""
    rows = Evidence.objects.select_related("key_set").order_by("pk")
    if after is not None:
        rows = rows.filter(pk__gt=after)
    batch: list[Evidence] = []
    size = 0
    for item in rows[:CHUNK_ITEMS]:
        if batch and size + item.size > CHUNK_BYTES:
            break
        batch.append(item)
        size += item.size
    return batch


def _checks(ring: KeyRing | None, batch: list[Evidence]) -> list[ItemCheck]:
    chains = chains_of(batch)
    trails = trails_by_item(batch[0], batch[-1])
    keys = ring.keys_for([item.key_set for item in batch]) if ring is not None else {}
    return [
        item_check(item, events=chains[item.pk], trail=trails.get(item.pk.hex, []), key=keys.get(item.key_set_id))
        for item in batch
    ]


def verify_step(*, ring: KeyRing | None, staff: Staff, run_id: object) -> VerifyRun:
    """Check the run's next chunk (nothing once it is done); the run as it is afterwards."""
    run = access_verify_run(staff=staff, run_id=run_id)
    if run.state != State.RUNNING:
        return run
    batch = _chunk(run.cursor)
    checks = _checks(ring, batch) if batch else []
    last = batch[-1].pk if batch else run.cursor
    done = last is None or not Evidence.objects.filter(pk__gt=last).exists()
    now = timezone.now()
    with transaction.atomic():
        claimed = VerifyRun.objects.filter(pk=run.pk, state=State.RUNNING, cursor=run.cursor).update(
            cursor=last,
            checked=F("checked") + len(checks),
            ok=F("ok") + sum(1 for check in checks if not check.problems),
            problems=F("problems") + sum(len(check.problems) for check in checks),
            rechecked=F("rechecked") + sum(1 for check in checks if check.recheck is not None),
            unopened=F("unopened") + sum(1 for check in checks if check.note),
            updated_at=now,
            **({"state": State.DONE, "finished_at": now} if done else {}),
        )
        if claimed:
            _record(staff, run, checks)
            if done:
                _audit("verify_done", staff, run)
    run.refresh_from_db()
    return run


def _record(staff: Staff, run: VerifyRun, checks: list[ItemCheck]) -> None:
    findings = []
    for check in checks:
        if check.recheck is not None and check.key is not None:
            evidence_recheck_record(staff=staff, evidence=check.evidence, key=check.key, read=check.recheck)
        findings += [
            VerifyFinding(run=run, evidence=check.evidence, code=p.code, entry=p.entry) for p in check.problems
        ]
        if check.note:
            findings.append(VerifyFinding(run=run, evidence=check.evidence, code=check.note))
    VerifyFinding.objects.bulk_create(findings)


# ------------------------------------------------------------------------------------------ the report


@dataclass(frozen=True)
class Finding:
    reference: str
    message: str  # untranslated (custody_check.MESSAGES or NOTES): translate it where it is shown
    entry: int | None = None


def verify_findings(run: VerifyRun, *, notes: bool = False, limit: int = SHOWN) -> list[Finding]:
    """The run's problems (or, with `notes`, the items it checked without keys only), first found first."""
    codes = NOTES if notes else MESSAGES
    rows = (
        VerifyFinding.objects.filter(run=run, code__in=list(codes))
        .order_by("id")
        .values_list("evidence__reference", "code", "entry")[:limit]
    )
    return [Finding(reference, codes[code], entry) for reference, code, entry in rows]
