"""The release: the one door out (DESIGN.md, P7). Nothing made for outsiders leaves Ferry except as a
release's output: a table, a chart, a map, a report, a dossier or an export.

An analyst prepares it: the output is made, hashed and sealed under a key set of its own (granted to the
analysts and the escrow key), with what was asked, the disclosure settings and what was suppressed. A
second analyst, never the preparer, approves it; only then can it be downloaded for use outside, and
every download is audited. A release can be withdrawn (it stays listed, its output no longer served).

Every door is opened before the transaction of the change that follows it: a refusal's audit entry must
outlive the rollback that the refusal causes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ferry.accounts.models import Role, Staff
from ferry.advocacy.models import Release
from ferry.audit.services import audit_record
from ferry.core.doors import Door, Opened, door_open
from ferry.core.errors import Conflict, FerryError, Refused
from ferry.core.permissions import require
from ferry.intake.submission import reference_new
from ferry.vault import files, keysets
from ferry.vault.errors import VaultError
from ferry.vault.keyring import KeyRing
from ferry.vault.models import KeySet

ANALYSTS = (Role.ANALYST,)
RELEASE_DOOR = Door(
    model=Release,
    by="reference",
    roles=ANALYSTS,
    audit_noun="release",
    missing=gettext_lazy("There is no release with this reference."),
    related=("prepared_by", "approved_by"),
)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "json": "application/json",
}


class ReleaseError(FerryError):
    """A release that cannot be prepared, approved or served; the message is for the person."""


@dataclass
class Output:
    """What a builder made, before it becomes a release."""

    kind: str  # Release.Kind
    format: str  # a key of CONTENT_TYPES
    content: bytes
    title: str
    filename: str
    language: str = "en"
    question: dict[str, Any] = field(default_factory=dict)
    disclosure: dict[str, Any] = field(default_factory=dict)
    suppressed: dict[str, Any] = field(default_factory=dict)
    # A large output made on the fly (an export): its bytes, sealed as they come; `content` is then unused.
    chunks: Iterable[bytes] | None = None


@dataclass
class Served:
    release: Release
    content: bytes
    filename: str
    content_type: str


def analyst_team() -> list[int]:
    """Active analysts whose key administrators confirmed and no duress paused: every release is sealed to them."""
    return list(
        Staff.objects.filter(
            is_active=True,
            roles__role=Role.ANALYST,
            vault_key__confirmed_at__isnull=False,
            vault_key__paused_at__isnull=True,
        )
        .distinct()
        .values_list("pk", flat=True)
    )


def _audit(action: str, staff: Staff, release: Release) -> None:
    audit_record(action=action, actor_id=staff.pk, object_type="release", object_id=release.pk.hex)


def access_release(*, ring: KeyRing | None, staff: Staff, reference: str) -> Opened[Release]:
    """The one door to a release: the release and its key, or NotFound (missing and forbidden alike)."""
    return door_open(RELEASE_DOOR, ring=ring, staff=staff, value=(reference or "").strip().upper())


def release_prepare(*, ring: KeyRing | None, staff: Staff, output: Output) -> Release:
    """Seal an output as a release waiting for a second analyst's approval."""
    require(staff, *ANALYSTS)
    if ring is None:
        raise Refused(_("Unlock your key to prepare a release."))
    if output.format not in CONTENT_TYPES:
        raise ReleaseError(_("This format cannot be released."))
    if output.kind not in Release.Kind.values:
        raise ReleaseError(_("This kind of output cannot be released."))
    now = timezone.now()
    with transaction.atomic():
        try:
            key_set, key = keysets.keyset_create(
                purpose=KeySet.Purpose.ADVOCACY, grant_to=sorted({staff.pk, *analyst_team()})
            )
        except keysets.NoStaffKey:
            raise ReleaseError(_("Every analyst needs a confirmed key first.")) from None
        release = Release(
            key_set=key_set,
            kind=output.kind,
            format=output.format,
            language=output.language,
            question=output.question,
            disclosure=output.disclosure,
            suppressed=output.suppressed,
            prepared_by=staff,
            prepared_at=now,
        )
        keysets.seal_json(key, release, "card", {"title": output.title, "filename": output.filename})
        release.file_id, release.sha256, release.size = _output_stored(output, key_set, key)
        _saved_with_reference(release)
        _audit("release.prepared", staff, release)
    return release


def _output_stored(output: Output, key_set: KeySet, key: bytes) -> tuple[uuid.UUID, str, int]:
    """The sealed output's file id, SHA-256 and size."""
    if output.chunks is None:
        file_id = files.file_put(key_set=key_set, content=output.content, set_key=key)
        return file_id, hashlib.sha256(output.content).hexdigest(), len(output.content)
    # Streamed: hashed and sealed as it is made, never whole in memory. If making it fails part-way (an
    # export's data changed under it), the exception rolls the release back and nothing is stored.
    return files.file_put_stream(key_set=key_set, chunks=output.chunks, set_key=key)


def _saved_with_reference(release: Release) -> None:
    for _attempt in range(20):
        release.reference = reference_new()
        try:
            with transaction.atomic():
                release.save(force_insert=True)
            return
        except IntegrityError:
            continue
    raise ReleaseError(_("Could not find a free reference. Try again."))  # pragma: no cover


def release_approve(*, ring: KeyRing | None, staff: Staff, reference: str) -> Release:
    """A second analyst approves a release they have seen; the preparer never approves their own."""
    require(staff, *ANALYSTS)
    release, _key = access_release(ring=ring, staff=staff, reference=reference)
    if release.prepared_by_id == staff.pk:
        raise Refused(_("Another analyst must approve what you prepared."))
    with transaction.atomic():
        changed = Release.objects.filter(pk=release.pk, state=Release.State.PENDING).update(
            state=Release.State.APPROVED, approved_by=staff, approved_at=timezone.now()
        )
        if not changed:
            raise Conflict(_("This release is no longer waiting for approval."))
        _audit("release.approved", staff, release)
    release.refresh_from_db()
    return release


def release_withdraw(*, ring: KeyRing | None, staff: Staff, reference: str) -> Release:
    """Stop serving a release (it stays listed with its hash, so what was published can still be checked)."""
    require(staff, *ANALYSTS)
    release, _key = access_release(ring=ring, staff=staff, reference=reference)
    with transaction.atomic():
        changed = (
            Release.objects.filter(pk=release.pk)
            .exclude(state=Release.State.WITHDRAWN)
            .update(state=Release.State.WITHDRAWN, withdrawn_at=timezone.now())
        )
        if not changed:
            raise Conflict(_("This release was already withdrawn."))
        _audit("release.withdrawn", staff, release)
    release.refresh_from_db()
    return release


def release_card(release: Release, key: bytes) -> dict[str, str]:
    card = keysets.open_json(key, release, "card")
    return {"title": str(card.get("title", "")), "filename": str(card.get("filename", ""))}


def release_serve(*, ring: KeyRing | None, staff: Staff, reference: str) -> Served:
    """A release's output, checked against its hash: approved for use outside, or pending for the approver to
    look at. Every read is audited; a withdrawn release is not served."""
    require(staff, *ANALYSTS)
    release, key = access_release(ring=ring, staff=staff, reference=reference)
    if release.state == Release.State.WITHDRAWN:
        raise Refused(_("This release was withdrawn; its output is no longer served."))
    content = files.file_get(file_id=release.file_id, set_key=key)
    if hashlib.sha256(content).hexdigest() != release.sha256:
        raise ReleaseError(_("This output does not match the hash it was approved with. It is not served."))
    _audit("release.downloaded", staff, release)
    return Served(release, content, release_card(release, key)["filename"], CONTENT_TYPES[release.format])


# Streaming a release's output (large exports). The hash is checked twice: once reading the output through
# before anything is handed out (a mismatch is refused like release_serve's), then again as it is streamed.
# If the second check fails at the end (storage changed between the two readings), the stream raises before
# its last piece: the server breaks the response off, short of the Content-Length the view sent, so no client
# can take it for the whole output.


@dataclass
class Streamed:
    release: Release
    chunks: Iterator[bytes]
    filename: str
    content_type: str


def _stored_sha256(release: Release, key: bytes) -> str | None:
    digest = hashlib.sha256()
    try:
        for piece in files.file_get_stream(file_id=release.file_id, set_key=key):
            digest.update(piece)
    except VaultError:  # altered, moved or cut short in storage
        return None
    return digest.hexdigest()


def _checked(release: Release, key: bytes) -> Iterator[bytes]:
    # One piece is always held back: the last goes out only once the whole output is known to match.
    digest, size, held = hashlib.sha256(), 0, None
    try:
        for piece in files.file_get_stream(file_id=release.file_id, set_key=key):
            digest.update(piece)
            size += len(piece)
            if size > release.size:
                break
            if held is not None:
                yield held
            held = piece
    except VaultError:
        raise ReleaseError(_("This output does not match the hash it was approved with.")) from None
    if size != release.size or digest.hexdigest() != release.sha256:
        raise ReleaseError(_("This output does not match the hash it was approved with."))
    if held is not None:
        yield held


def release_stream(*, ring: KeyRing | None, staff: Staff, reference: str) -> Streamed:
    """A release's output as release_serve gives it (the same door, state and hash check, the same audit
    entry), as a stream of pieces: for outputs too large to hold in memory."""
    require(staff, *ANALYSTS)
    release, key = access_release(ring=ring, staff=staff, reference=reference)
    if release.state == Release.State.WITHDRAWN:
        raise Refused(_("This release was withdrawn; its output is no longer served."))
    if _stored_sha256(release, key) != release.sha256:
        raise ReleaseError(_("This output does not match the hash it was approved with. It is not served."))
    _audit("release.downloaded", staff, release)
    filename = release_card(release, key)["filename"]
    return Streamed(release, _checked(release, key), filename, CONTENT_TYPES[release.format])


def releases_listed() -> QuerySet[Release]:
    return Release.objects.select_related("prepared_by", "approved_by").order_by("-prepared_at")
