"""Verifying evidence items: every item without keys (the evidence_verify command: chains, the audit log, stored
ciphertexts), and one item with the viewer's key (a verification run, incidents.custody_runs: also its sealed
details and its file against the hash taken at acquisition). Problems are codes; MESSAGES says them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

from ferry.incidents import custody
from ferry.incidents.custody import Trail, chain_verify, details_verify, trails_by_item
from ferry.incidents.evidence import RECHECK_PROBLEMS, RecheckRead, evidence_recheck_read
from ferry.incidents.models import CustodyEvent, Evidence
from ferry.vault import files
from ferry.vault.errors import VaultError

# Every problem by code, with its message (untranslated here, translated where shown). A run stores the codes.
MESSAGES = {
    "missing_start": custody.MISSING_START,
    "record_changed": custody.RECORD_CHANGED,
    "out_of_order": custody.OUT_OF_ORDER,
    "not_following": custody.NOT_FOLLOWING,
    "content_changed": custody.CONTENT_CHANGED,
    "audit_differs": custody.AUDIT_DIFFERS,
    "detail_changed": custody.DETAIL_CHANGED,
    "stored_missing": gettext_noop("the stored file is missing"),
    "stored_changed": gettext_noop("the stored file is not the one stored at acquisition (its stored hash differs)"),
    "record_unreadable": gettext_noop("the item's sealed record cannot be opened: it was altered or damaged"),
    **{f"file_{code}": message for code, message in RECHECK_PROBLEMS.items()},
}
# Not problems: why an item was checked without keys only (its sealed details and file not re-checked).
NOTES = {
    "not_opened": gettext_noop("you hold no key to this item: checked without keys only"),
    "shredded": gettext_noop("its key was destroyed: checked without keys only"),
}
_CHAIN_CODES = {message: code for code, message in MESSAGES.items()}


@dataclass(frozen=True)
class Problem:
    reference: str
    code: str  # a key of MESSAGES
    entry: int | None = None  # the custody entry it concerns (0: the item's own record), when it concerns one

    @property
    def problem(self) -> str:
        """What is wrong, in English (translate it where it is shown)."""
        return MESSAGES[self.code]


def _items() -> Iterator[tuple[Evidence, list[CustodyEvent]]]:
    """Every item with its chain, a few hundred at a time (memory flat in the number of items)."""
    last = ""
    while True:
        batch = list(Evidence.objects.select_related("key_set").filter(reference__gt=last).order_by("reference")[:500])
        if not batch:
            return
        chains = chains_of(batch)
        for item in batch:
            yield item, chains[item.pk]
        last = batch[-1].reference


def chains_of(items: list[Evidence]) -> dict[object, list[CustodyEvent]]:
    """Each item's custody events, in order, in one query."""
    chains: dict[object, list[CustodyEvent]] = {item.pk: [] for item in items}
    for event in CustodyEvent.objects.filter(evidence__in=items).order_by("evidence", "sequence"):
        chains[event.evidence_id].append(event)
    return chains


def _keyless(item: Evidence, events: list[CustodyEvent], trail: Trail) -> tuple[list[Problem], bool]:
    """The problems found without a key, and whether the stored file is there at all."""
    found = []
    verdict = chain_verify(item, events=events, trail=trail)
    if not verdict.ok:
        found.append(Problem(item.reference, _CHAIN_CODES[verdict.problem], verdict.first_bad))
    stored = files.stored_sha256(item.file_id)
    if stored is None:
        found.append(Problem(item.reference, "stored_missing"))
    elif stored != item.stored_sha256:
        found.append(Problem(item.reference, "stored_changed"))
    return found, stored is not None


@dataclass(frozen=True)
class Report:
    items: int
    problems: list[Problem]


def verify_without_keys() -> Report:
    """Every chain against its anchor and the audit log, every stored ciphertext against its clear hash."""
    trails = trails_by_item()
    count, problems = 0, []
    for item, events in _items():
        count += 1
        problems += _keyless(item, events, trails.get(item.pk.hex, []))[0]
    return Report(count, problems)


@dataclass(frozen=True)
class ItemCheck:
    """What checking one item found. Nothing is written yet: a re-check that read the file (`recheck`) is
    recorded in the item's log with `key` afterwards, in the transaction that records the chunk."""

    evidence: Evidence
    problems: list[Problem] = field(default_factory=list)
    note: str = ""  # a key of NOTES, when the item was checked without keys only
    recheck: RecheckRead | None = None
    key: bytes | None = field(default=None, repr=False)


def item_check(item: Evidence, *, events: list[CustodyEvent], trail: Trail, key: bytes | None) -> ItemCheck:
    """The checks without keys, then with the item's key (when the viewer holds it) its sealed details against
    their digests and its file against the hash taken at acquisition. Reads files; writes nothing."""
    problems, stored = _keyless(item, events, trail)
    if key is None:
        note = "shredded" if item.key_set.shredded_at is not None else "not_opened"
        return ItemCheck(item, problems, note=note)
    bad = details_verify(key=key, events=events)
    if bad is not None:
        problems.append(Problem(item.reference, "detail_changed", bad))
    try:
        read = evidence_recheck_read(evidence=item, key=key, missing=not stored)
    except VaultError:
        return ItemCheck(item, [*problems, Problem(item.reference, "record_unreadable")])
    if read.code and stored:  # a missing file is already reported, without keys
        problems.append(Problem(item.reference, f"file_{read.code}"))
    return ItemCheck(item, problems, recheck=read, key=key)
