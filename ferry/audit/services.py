"""Writing to the audit log and verifying its chain."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from ferry.audit.chain import entry_hash
from ferry.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from ferry.vault import anchor

# Actions and object ids are identifiers chosen by code, never text typed by a person.
ACTION_RE = re.compile(r"^[a-z][a-z0-9_.]{1,63}$")
OBJECT_TYPE_RE = re.compile(r"^[a-z_]{0,32}$")
OBJECT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{0,64}$")
# Any constant works; it names the advisory lock that serialises appends on PostgreSQL.
_PG_LOCK_ID = 0x46455252


class AuditChainBroken(RuntimeError):
    """The chain does not verify: no head is signed over it."""


class AuditFieldInvalid(ValueError):
    """An audit field is not a code-chosen identifier (this would risk free text reaching the log)."""


def audit_record(
    *, action: str, actor_id: int | None = None, object_type: str = "", object_id: str | int = ""
) -> AuditEntry:
    """Append one entry. Call it inside the transaction of the change it records, so both commit or neither."""
    object_id = str(object_id)
    if not ACTION_RE.match(action):
        raise AuditFieldInvalid("action")
    if not OBJECT_TYPE_RE.match(object_type):
        raise AuditFieldInvalid("object_type")
    if not OBJECT_ID_RE.match(object_id):
        raise AuditFieldInvalid("object_id")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_ID])
        # On SQLite every transaction begins IMMEDIATE (see ferry.config), which already serialises writers.
        last = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        fields = {
            "seq": seq,
            "at": timezone.now(),
            "actor_id": actor_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "prev_hash": prev,
        }
        return AuditEntry.objects.create(**fields, entry_hash=entry_hash(**fields))


def audit_trail(*, object_type: str, object_id_from: str = "", object_id_below: str = "") -> Iterator[tuple[str, str]]:
    """(action, object_id) of every entry about one type of object, oldest first; optionally only the ids from
    `object_id_from` up to (not including) `object_id_below`, a range the (object_type, object_id) index
    serves on both databases. Other chains (an evidence item's custody log) check themselves against it."""
    rows = AuditEntry.objects.filter(object_type=object_type)
    if object_id_from:
        rows = rows.filter(object_id__gte=object_id_from)
    if object_id_below:
        rows = rows.filter(object_id__lt=object_id_below)
    return rows.order_by("seq").values_list("action", "object_id").iterator(chunk_size=2000)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""


def _entries(using: str) -> Iterator[AuditEntry]:
    return AuditEntry.objects.using(using).order_by("seq").iterator(chunk_size=2000)


def audit_verify(
    *, expect_head: tuple[int, str] | None = None, using: str = DEFAULT_DB_ALIAS, signer: str | None = None
) -> Verdict:
    """Walk the chain from the start; report the first entry that was edited, inserted or follows a deletion.

    Then every signed head must be genuine (signed by this installation's key) and still in the chain: a
    history deleted and re-hashed by someone who could write the database fails here. A head kept elsewhere
    (`expect_head`) catches even someone who also held the signing key.

    `using` and `signer` check another copy (a backup restored under another database alias) against the
    public key recorded with it, instead of this data folder's key and kept head."""
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    for entry in _entries(using):
        count += 1
        fields = {
            "seq": entry.seq,
            "at": entry.at,
            "actor_id": entry.actor_id,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "prev_hash": entry.prev_hash,
        }
        if entry.seq != expected_seq:
            problem = (
                gettext_noop("entries are missing before it")
                if entry.seq > expected_seq
                else gettext_noop("its number is out of order")
            )
            return Verdict(False, count, expected_seq - 1, prev, entry.seq, problem)
        if entry.prev_hash != prev:
            return Verdict(
                False, count, expected_seq - 1, prev, entry.seq, gettext_noop("it does not follow the entry before it")
            )
        if entry.entry_hash != entry_hash(**fields):
            return Verdict(False, count, expected_seq - 1, prev, entry.seq, gettext_noop("its content was changed"))
        prev, expected_seq = entry.entry_hash, expected_seq + 1
    head_seq = expected_seq - 1
    if expect_head is not None and not _head_reached(expect_head, using):
        return Verdict(
            False,
            count,
            head_seq,
            prev,
            expect_head[0],
            gettext_noop("the recorded head is missing: entries were cut off"),
        )
    bad_head = _signed_heads_problem(using, signer)
    if bad_head is not None:
        return Verdict(False, count, head_seq, prev, bad_head[0], bad_head[1])
    return Verdict(True, count, head_seq, prev)


def _signed_heads_problem(using: str, signer: str | None) -> tuple[int, str] | None:
    """The first signed head that is forged or no longer in the chain, and why; None if all hold. The head
    kept in the data folder counts too: deleting every head row from the database does not hide a rewrite."""
    kept = anchor.head_kept() if signer is None else None
    heads = list(AuditHead.objects.using(using).order_by("seq"))
    if not heads and kept is None:
        return None
    try:
        public = anchor.public_key() if signer is None else signer
    except anchor.SigningKeyMissing:
        return (kept[0] if kept else heads[0].seq), gettext_noop("the key that signed the heads is missing")
    signed = [(h.seq, h.entry_hash, h.signature, h.public_key) for h in heads]
    if kept is not None:
        signed.append((*kept, public))
    for seq, digest, signature, signed_by in signed:
        genuine = signed_by == public and anchor.head_signature_valid(
            seq=seq, digest=digest, signature=signature, public=signed_by
        )
        if not genuine:
            return seq, gettext_noop("a signed head's signature is not genuine")
        if not _head_reached((seq, digest), using):
            return seq, gettext_noop("a signed head is missing: history was rewritten")
    return None


def audit_head_sign(*, actor_id: int | None = None) -> AuditHead:
    """Sign the chain's head now (the worker daily, an administrator or auditor on demand), after checking it."""
    verdict = audit_verify()
    if not verdict.ok:
        raise AuditChainBroken(f"entry {verdict.first_bad_seq}: {verdict.problem}")
    signature, public = anchor.head_sign(seq=verdict.head_seq, digest=verdict.head_hash)
    anchor.head_keep(seq=verdict.head_seq, digest=verdict.head_hash, signature=signature)
    head = AuditHead.objects.create(
        seq=verdict.head_seq, entry_hash=verdict.head_hash, at=timezone.now(), signature=signature, public_key=public
    )
    audit_record(action="audit.head_sign", actor_id=actor_id, object_type="audit_head", object_id=head.pk)
    return head


def audit_head_text(head: AuditHead) -> str:
    """A signed head as one line to print or keep on a second system; audit_verify --expect-head takes its
    first field."""
    return f"{head.seq}:{head.entry_hash} signed {head.at:%Y-%m-%d %H:%M} UTC {head.signature} key {head.public_key}"


def _head_reached(expect_head: tuple[int, str], using: str = DEFAULT_DB_ALIAS) -> bool:
    """True when the chain still contains the head recorded earlier (later entries are fine)."""
    seq, digest = expect_head
    return AuditEntry.objects.using(using).filter(seq=seq, entry_hash=digest).exists()
