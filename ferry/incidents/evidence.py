"""Evidence: files kept sealed and never altered, working copies, and what is done with them (each step a
custody event, see incidents.custody).

An item lives under its own key set (it can be handed over without its incident), sealed to whoever holds the
incident and to the escrow key. The SHA-256 of the original bytes is taken at acquisition and sealed in the
item's record; the SHA-256 of the stored ciphertext is in clear, so storage can be checked without a key.

Every door is opened before the transaction of the change that follows it: a refusal's audit entry must
outlive the rollback that the refusal causes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from ferry.accounts.models import Role, Staff
from ferry.core.doors import Door, Opened, door_open
from ferry.core.permissions import require
from ferry.incidents.custody import custody_append
from ferry.incidents.models import CustodyEvent, Evidence, Incident, Source
from ferry.incidents.services import (
    DocumentationError,
    _audit,
    _clean,
    _holders,
    _keyset_for,
    _saved_with_reference,
    access_incident,
    access_source,
)
from ferry.vault import files, keysets
from ferry.vault.errors import VaultError
from ferry.vault.keyring import KeyRing

# Documenters, and analysts an incident's evidence was shared with; an analyst without a grant is refused like
# anyone else, and the refusal is audited (evidence.denied).
EVIDENCE_ROLES = (Role.DOCUMENTER, Role.ANALYST)
EVIDENCE_DOOR = Door(
    model=Evidence,
    by="reference",
    roles=EVIDENCE_ROLES,
    audit_noun="evidence",
    missing=gettext_lazy("No such evidence."),
    related=("incident", "original", "source", "acquired_by"),
)


def access_evidence(*, ring: KeyRing | None, staff: Staff, reference: str) -> Opened[Evidence]:
    """The one door to an evidence item: the item and its key, or NotFound (missing and forbidden alike)."""
    return door_open(EVIDENCE_DOOR, ring=ring, staff=staff, value=(reference or "").strip().upper())


@dataclass(frozen=True)
class EvidenceData:
    name: str
    content_type: str
    kind: str
    how: str
    description: str = ""
    source_reference: str = ""


@dataclass(frozen=True)
class EvidenceRecord:
    """What is sealed in an item's record."""

    sha256: str
    name: str
    content_type: str
    description: str
    how: str

    @classmethod
    def of(cls, key: bytes, evidence: Evidence) -> EvidenceRecord:
        found = keysets.open_json(key, evidence, "record")
        return cls(**{name: str(found.get(name, "")) for name in cls.__dataclass_fields__})


def _content_check(content: bytes) -> None:
    if not content:
        raise DocumentationError(_("The file is empty: nothing was saved."))
    if len(content) > settings.FERRY_EVIDENCE_MAX_FILE_BYTES:
        raise DocumentationError(
            _("The file is larger than %(mb)d MB: nothing was saved.")
            % {"mb": settings.FERRY_EVIDENCE_MAX_FILE_BYTES // (1024 * 1024)}
        )


@contextmanager
def _undone_on_error() -> Iterator[list[str]]:
    """Stored files (their ids go in the list) are removed again if what stores them fails: no ciphertext
    outlives the rolled-back row that would have named it."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        files.stored_files_discard(stored)
        raise


def _new_item(
    *, staff: Staff, incident_key_set_id: int, content: bytes, record: dict[str, str], stored: list[str], **fields: Any
) -> tuple[Evidence, bytes]:
    """An item under a new key set, sealed to whoever holds the incident: the file sealed and stored exactly as
    given (evidence is never altered, so no metadata is stripped), the stored ciphertext's hash read back from
    storage, the original's hash sealed in the record."""
    key_set, key = _keyset_for(set(_holders(incident_key_set_id)) | {staff.pk}, staff)
    evidence = Evidence(key_set=key_set, acquired_at=timezone.now(), acquired_by=staff, size=len(content), **fields)
    evidence.file_id = files.file_put(key_set=key_set, content=content, set_key=key)
    stored.append(str(evidence.file_id))
    stored_sha256 = files.stored_sha256(evidence.file_id)
    if stored_sha256 is None:  # pragma: no cover - storage lost a file it had just accepted
        raise DocumentationError(_("The file could not be stored. Try again."))
    evidence.stored_sha256 = stored_sha256
    keysets.seal_json(key, evidence, "record", {"sha256": hashlib.sha256(content).hexdigest(), **record})
    _saved_with_reference(evidence)
    return evidence, key


def evidence_add(*, ring: KeyRing | None, staff: Staff, reference: str, content: bytes, data: EvidenceData) -> Evidence:
    """An evidence file for the incident, stored sealed and exactly as given, with its custody log begun."""
    require(staff, Role.DOCUMENTER)
    incident, _incident_key = access_incident(ring=ring, staff=staff, reference=reference)
    if data.kind not in Evidence.Kind.values:
        raise DocumentationError(_("Choose what kind of evidence this is."))
    how = _clean(data.how)
    if not how:
        raise DocumentationError(_("Say how the file was acquired."))
    _content_check(content)
    source = None
    if data.source_reference.strip():
        source, _source_key = access_source(ring=ring, staff=staff, reference=data.source_reference.strip().upper())
    with transaction.atomic(), _undone_on_error() as stored:
        return _acquired(
            staff=staff, incident=incident, content=content, data=data, how=how, source=source, stored=stored
        )


def _acquired(
    *,
    staff: Staff,
    incident: Incident,
    content: bytes,
    data: EvidenceData,
    how: str,
    source: Source | None,
    stored: list[str],
) -> Evidence:
    evidence, key = _new_item(
        stored=stored,
        staff=staff,
        incident_key_set_id=incident.key_set_id,
        content=content,
        record={
            "name": _clean(data.name),
            "content_type": _clean(data.content_type),
            "description": _clean(data.description),
            "how": how,
        },
        incident=incident,
        kind=data.kind,
        source=source,
    )
    _audit("evidence.create", staff, evidence)
    record = EvidenceRecord.of(key, evidence)
    custody_append(
        evidence=evidence,
        key=key,
        action=CustodyEvent.Action.ACQUIRED,
        actor=staff,
        detail={"sha256": record.sha256, "how": how, "source": source.reference if source else ""},
    )
    return evidence


def evidence_copy_add(
    *,
    ring: KeyRing | None,
    staff: Staff,
    reference: str,
    content: bytes,
    copy_kind: str,
    name: str,
    content_type: str,
    description: str = "",
    kind: str = "",
) -> Evidence:
    """A working copy (redacted, transcript, excerpt) of an original: a separate file with its own hashes,
    its own key set and custody log, linked to the original, whose log records the copy."""
    require(staff, Role.DOCUMENTER)
    original, original_key = access_evidence(ring=ring, staff=staff, reference=reference)
    if original.original_id is not None:
        raise DocumentationError(_("Make working copies from the original, not from another copy."))
    if copy_kind not in Evidence.CopyKind.values:
        raise DocumentationError(_("Choose what kind of working copy this is."))
    kind = kind or (Evidence.Kind.DOCUMENT if copy_kind == Evidence.CopyKind.TRANSCRIPT else original.kind)
    if kind not in Evidence.Kind.values:
        raise DocumentationError(_("Choose what kind of evidence this is."))
    _content_check(content)
    with transaction.atomic(), _undone_on_error() as stored:
        return _copied(
            staff=staff,
            original=original,
            original_key=original_key,
            content=content,
            copy_kind=copy_kind,
            kind=kind,
            record={"name": _clean(name), "content_type": _clean(content_type), "description": _clean(description)},
            stored=stored,
        )


def _copied(
    *,
    staff: Staff,
    original: Evidence,
    original_key: bytes,
    content: bytes,
    copy_kind: str,
    kind: str,
    record: dict[str, str],
    stored: list[str],
) -> Evidence:
    how = _("Working copy of %(reference)s") % {"reference": original.reference}
    copy, key = _new_item(
        stored=stored,
        staff=staff,
        incident_key_set_id=original.incident.key_set_id,
        content=content,
        record={**record, "how": how},
        incident=original.incident,
        original=original,
        copy_kind=copy_kind,
        kind=kind,
        source=original.source,
    )
    _audit("evidence.copy", staff, copy)
    sha256 = EvidenceRecord.of(key, copy).sha256
    custody_append(
        evidence=copy,
        key=key,
        action=CustodyEvent.Action.ACQUIRED,
        actor=staff,
        detail={"sha256": sha256, "how": how, "original": original.reference},
    )
    custody_append(
        evidence=original,
        key=original_key,
        action=CustodyEvent.Action.COPIED,
        actor=staff,
        detail={"copy": copy.reference, "copy_kind": copy_kind, "copy_sha256": sha256},
    )
    return copy


def evidence_record_open(*, ring: KeyRing | None, staff: Staff, reference: str) -> tuple[Evidence, EvidenceRecord]:
    """The item and its sealed record (for its page); an open of sealed content, audited."""
    evidence, key = access_evidence(ring=ring, staff=staff, reference=reference)
    _audit("evidence.open", staff, evidence)
    return evidence, EvidenceRecord.of(key, evidence)


def evidence_content(*, ring: KeyRing | None, staff: Staff, reference: str) -> tuple[Evidence, EvidenceRecord, bytes]:
    """The file itself, as acquired: every download is a view, recorded in the custody log and the audit log."""
    evidence, key = access_evidence(ring=ring, staff=staff, reference=reference)
    record = EvidenceRecord.of(key, evidence)
    try:
        content = files.file_get(file_id=evidence.file_id, set_key=key)
    except (VaultError, OSError):
        raise DocumentationError(
            _("The stored file cannot be read back: it was altered or damaged. Re-check its hash.")
        ) from None
    with transaction.atomic():
        _audit("evidence.download", staff, evidence)
        custody_append(evidence=evidence, key=key, action=CustodyEvent.Action.VIEWED, actor=staff, detail={})
    return evidence, record, content


def evidence_handover(
    *, ring: KeyRing | None, staff: Staff, reference: str, recipient: str, method: str, note: str = ""
) -> CustodyEvent:
    """Record that the item (or a copy of it) was handed to a partner: to whom and how, sealed."""
    require(staff, Role.DOCUMENTER)
    evidence, key = access_evidence(ring=ring, staff=staff, reference=reference)
    recipient, method = _clean(recipient), _clean(method)
    if not recipient:
        raise DocumentationError(_("Say to whom it was handed."))
    if not method:
        raise DocumentationError(_("Say how it was handed over."))
    with transaction.atomic():
        _audit("evidence.handover", staff, evidence)
        return custody_append(
            evidence=evidence,
            key=key,
            action=CustodyEvent.Action.HANDED,
            actor=staff,
            detail={"recipient": recipient, "method": method, "note": _clean(note)},
        )


@dataclass(frozen=True)
class Recheck:
    ok: bool
    problem: str = ""  # translated, for the person; no content


# What a re-check can find wrong, by code (the code goes in the custody log; verify runs store it too).
RECHECK_PROBLEMS = {
    "missing": gettext_noop("The stored file is missing."),
    "unreadable": gettext_noop("The stored file cannot be read back: it was altered or damaged."),
    "changed": gettext_noop("The file's contents no longer match the hash taken when it was acquired."),
}


@dataclass(frozen=True)
class RecheckRead:
    """What a re-check read, before it is recorded: the hash taken at acquisition, the one found, and a code
    of RECHECK_PROBLEMS ("" when they match)."""

    expected: str
    found: str = ""
    code: str = ""


def evidence_recheck_read(*, evidence: Evidence, key: bytes, missing: bool | None = None) -> RecheckRead:
    """Read the item's file as stored now, hash what it decrypts to, compare; writes nothing. `missing`, when the
    caller already knows whether the stored file is there, saves reading it once more."""
    expected = EvidenceRecord.of(key, evidence).sha256
    if missing is None:
        missing = files.stored_sha256(evidence.file_id) is None
    if missing:
        return RecheckRead(expected, code="missing")
    try:
        content = files.file_get(file_id=evidence.file_id, set_key=key)
    except (VaultError, OSError):
        return RecheckRead(expected, code="unreadable")
    found = hashlib.sha256(content).hexdigest()
    return RecheckRead(expected, found, "" if found == expected else "changed")


def evidence_recheck_record(*, staff: Staff, evidence: Evidence, key: bytes, read: RecheckRead) -> Recheck:
    """Record a re-check in the item's custody log: "checked", or "check_failed" with what was found."""
    with transaction.atomic():
        custody_append(
            evidence=evidence,
            key=key,
            action=CustodyEvent.Action.CHECK_FAILED if read.code else CustodyEvent.Action.CHECKED,
            actor=staff,
            detail={"expected": read.expected, "found": read.found, "problem": read.code},
        )
    return Recheck(not read.code, _(RECHECK_PROBLEMS[read.code]) if read.code else "")


def evidence_recheck_opened(*, staff: Staff, evidence: Evidence, key: bytes) -> Recheck:
    """Re-check an item already opened: read the file, hash what it decrypts to, compare with the hash taken
    at acquisition; record "checked" or "check_failed" in its custody log."""
    read = evidence_recheck_read(evidence=evidence, key=key)
    return evidence_recheck_record(staff=staff, evidence=evidence, key=key, read=read)


def evidence_recheck(*, ring: KeyRing | None, staff: Staff, reference: str) -> Recheck:
    require(staff, Role.DOCUMENTER)
    evidence, key = access_evidence(ring=ring, staff=staff, reference=reference)
    return evidence_recheck_opened(staff=staff, evidence=evidence, key=key)
