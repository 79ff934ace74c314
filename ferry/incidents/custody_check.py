"""Verifying every evidence item: without keys (the evidence_verify command: chains, the audit log, stored
ciphertexts) and with the viewer's keys (the verify page: also sealed details and each file's original hash)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from ferry.accounts.models import Role, Staff
from ferry.audit.services import audit_record
from ferry.core.permissions import require
from ferry.incidents.custody import DETAIL_CHANGED, chain_verify, details_verify, trails_by_item
from ferry.incidents.evidence import evidence_recheck_opened
from ferry.incidents.models import CustodyEvent, Evidence
from ferry.vault import files
from ferry.vault.keyring import KeyRing

STORED_MISSING = gettext_noop("the stored file is missing")
STORED_CHANGED = gettext_noop("the stored file is not the one stored at acquisition (its stored hash differs)")


@dataclass(frozen=True)
class Problem:
    reference: str
    problem: str  # a gettext_noop message (custody.py or above), or already translated text from a re-check
    entry: int | None = None  # the custody entry it concerns, when it concerns one


def _items() -> Iterator[tuple[Evidence, list[CustodyEvent]]]:
    """Every item with its chain, a few hundred at a time (memory flat in the number of items)."""
    last = ""
    while True:
        batch = list(Evidence.objects.select_related("key_set").filter(reference__gt=last).order_by("reference")[:500])
        if not batch:
            return
        chains: dict[object, list[CustodyEvent]] = {item.pk: [] for item in batch}
        for event in CustodyEvent.objects.filter(evidence__in=batch).order_by("evidence", "sequence"):
            chains[event.evidence_id].append(event)
        for item in batch:
            yield item, chains[item.pk]
        last = batch[-1].reference


def _keyless(item: Evidence, events: list[CustodyEvent], trails: dict[str, list[tuple[str, str]]]) -> list[Problem]:
    found = []
    verdict = chain_verify(item, events=events, trail=trails.get(item.pk.hex, []))
    if not verdict.ok:
        found.append(Problem(item.reference, verdict.problem, verdict.first_bad))
    stored = files.stored_sha256(item.file_id)
    if stored is None:
        found.append(Problem(item.reference, STORED_MISSING))
    elif stored != item.stored_sha256:
        found.append(Problem(item.reference, STORED_CHANGED))
    return found


@dataclass(frozen=True)
class Report:
    items: int
    problems: list[Problem]
    rechecked: int = 0  # items whose file was decrypted and hashed (the viewer could open them)


def verify_without_keys() -> Report:
    """Every chain against its anchor and the audit log, every stored ciphertext against its clear hash."""
    trails = trails_by_item()
    count, problems = 0, []
    for item, events in _items():
        count += 1
        problems += _keyless(item, events, trails)
    return Report(count, problems)


def verify_with_keys(*, ring: KeyRing, staff: Staff) -> Report:
    """What the command checks, and for each item this documenter can open, its sealed details against their
    digests and a re-check of the file (recorded in its custody log). Items they cannot open are checked
    without keys only; nothing is decrypted that their grants do not open."""
    require(staff, Role.DOCUMENTER)
    trails = trails_by_item()
    count, rechecked, problems = 0, 0, []
    for item, events in _items():
        count += 1
        problems += _keyless(item, events, trails)
        key = ring.keys_for([item.key_set]).get(item.key_set_id)
        if key is None:
            continue
        bad = details_verify(key=key, events=events)
        if bad is not None:
            problems.append(Problem(item.reference, DETAIL_CHANGED, bad))
        result = evidence_recheck_opened(staff=staff, evidence=item, key=key)
        rechecked += 1
        if not result.ok:
            problems.append(Problem(item.reference, result.problem))
    audit_record(action="evidence.verify_all", actor_id=staff.pk, object_type="evidence")
    return Report(count, problems, rechecked)
