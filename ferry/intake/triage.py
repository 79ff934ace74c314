"""The hotline's side of the intake: the triage queue and the actions on a request.

Every decryption is audited; status changes use optimistic locking (the page's version must still hold)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.alerts import activity_alert
from ferry.accounts.models import Role, Staff, StaffAlert
from ferry.audit.services import audit_record
from ferry.cases import services as case_services
from ferry.cases.models import Case as CaseRecord
from ferry.intake.models import URGENCY_ORDER, Attachment, CheckIn, ContactIndex, Message, Request
from ferry.intake.services import (
    Conflict,
    IntakeError,
    ThreadItem,
    _thread,
)
from ferry.vault import blind, files, keysets
from ferry.vault import errors as vault_errors
from ferry.vault.keyring import KeyRing
from ferry.vault.models import Grant, KeySet


@dataclass
class QueueRow:
    request: Request
    can_open: bool
    name: str = ""
    excerpt: str = ""
    received_at: datetime | None = None
    hints: list[tuple[str, bool]] = field(default_factory=list)


OPEN_STATUSES = (Request.Status.NEW, Request.Status.OPEN)
QUEUE_LIMIT = 200
_URGENCY_RANK = Case(
    *(When(urgency=value, then=Value(rank)) for value, rank in URGENCY_ORDER.items()), default=Value(9)
)


def queue(*, ring: KeyRing, staff: Staff, status: str = "active") -> list[QueueRow]:
    """Requests by urgency, then age; what the viewer can open is decrypted (and each decryption audited)."""
    requests = Request.objects.select_related("key_set")
    if status == "active":
        requests = requests.filter(status__in=OPEN_STATUSES)
    elif status in Request.Status.values:
        requests = requests.filter(status=status)
    # Most urgent first, then oldest: what the page cuts off under a flood is the least urgent and newest.
    rows = list(requests.order_by(_URGENCY_RANK, "received_on")[:QUEUE_LIMIT])
    keys = ring.keys_for(r.key_set for r in rows)
    result = []
    with transaction.atomic():
        for request in rows:
            key = keys.get(request.key_set_id)
            row = QueueRow(request=request, can_open=key is not None)
            if key is not None:
                details = keysets.open_json(key, request, "details")
                row.name = details.get("name", "")
                row.excerpt = details.get("story", "")[:160]
                row.received_at = datetime.fromisoformat(details["received_at"]) if "received_at" in details else None
                _index_contacts(ring, request, details)
                audit_record(
                    action="intake.request_list", actor_id=staff.pk, object_type="request", object_id=request.pk.hex
                )
            result.append(row)
    hints = contact_hints(ring, [r.request for r in result])
    for row in result:
        row.hints = hints.get(row.request.pk, [])
    far_future = datetime.max.replace(tzinfo=UTC)
    result.sort(
        key=lambda r: (
            URGENCY_ORDER.get(r.request.urgency, 9),  # type: ignore[call-overload]
            r.request.received_on,
            r.received_at or far_future,
        )
    )
    return result


def _index_contacts(ring: KeyRing, request: Request, details: dict[str, Any]) -> None:
    """Blind indexes of the request's contacts, computed the first time someone holding the index key opens it."""
    index_set = blind.index_key_set()
    if request.contacts_indexed or index_set is None or not ring.can_open(index_set):
        return
    digests = set()
    for kind, name in (("phone", "phone"), ("handle", "handle"), ("email", "email")):
        value = details.get(name) or ""
        if not value.strip():
            continue
        try:
            digests.add(blind.blind_index(ring=ring, kind=kind, value=value))
        except (ValueError, vault_errors.VaultError):
            continue
    ContactIndex.objects.bulk_create(
        [ContactIndex(request=request, digest=d) for d in sorted(digests)], ignore_conflicts=True
    )
    Request.objects.filter(pk=request.pk).update(contacts_indexed=True)
    request.contacts_indexed = True


def contact_hints(ring: KeyRing, requests: Iterable[Request]) -> dict[uuid.UUID, list[tuple[str, bool]]]:
    """For each request, the other requests sharing a contact: (reference, whether the viewer can open it)."""
    ids = [r.pk for r in requests]
    mine = ContactIndex.objects.filter(request_id__in=ids).values_list("request_id", "digest")
    by_digest: dict[str, set[uuid.UUID]] = {}
    for request_id, digest in mine:
        by_digest.setdefault(digest, set()).add(request_id)
    if not by_digest:
        return {}
    others = list(
        ContactIndex.objects.filter(digest__in=by_digest).values_list(
            "digest", "request_id", "request__reference", "request__key_set_id"
        )
    )
    key_sets = KeySet.objects.filter(pk__in={row[3] for row in others})
    keys = ring.keys_for(key_sets)
    hints: dict[uuid.UUID, dict[str, bool]] = {}
    for digest, other_id, other_ref, other_key_set in others:
        for request_id in by_digest.get(digest, ()):
            if other_id != request_id:
                hints.setdefault(request_id, {})[other_ref] = other_key_set in keys
    return {pk: sorted(found.items()) for pk, found in hints.items()}


@dataclass
class RequestView:
    request: Request
    details: dict[str, Any]
    thread: list[ThreadItem]
    attachments: list[tuple[Attachment, dict[str, Any]]]
    checkins: list[CheckIn]
    hints: list[tuple[str, bool]]
    entrapment_note: str
    decline_note: str


def _openable(ring: KeyRing, staff: Staff, reference: str) -> tuple[Request, bytes]:
    """The request and its key, or Request.DoesNotExist when it does not exist or the viewer holds no grant."""
    request = Request.objects.select_related("key_set").get(reference=reference)
    keys = ring.keys_for([request.key_set])
    key = keys.get(request.key_set_id)
    if key is None:
        audit_record(action="intake.request_denied", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)
        raise Request.DoesNotExist
    return request, key


def request_open(*, ring: KeyRing, staff: Staff, reference: str) -> RequestView:
    request, key = _openable(ring, staff, reference)
    with transaction.atomic():
        audit_record(action="intake.request_open", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)
        details = keysets.open_json(key, request, "details")
        _index_contacts(ring, request, details)
        attachments = [(a, keysets.open_json(key, a, "meta")) for a in request.attachments.filter(message__isnull=True)]
        return RequestView(
            request=request,
            details=details,
            thread=_thread(key, request),
            attachments=attachments,
            checkins=list(request.checkins.order_by("-at")[:20]),
            hints=contact_hints(ring, [request]).get(request.pk, []),
            entrapment_note=keysets.open_field(key, request, "entrapment_note") or "",
            decline_note=keysets.open_field(key, request, "decline_note") or "",
        )


def attachment_open(
    *, ring: KeyRing, staff: Staff, reference: str, attachment_id: uuid.UUID
) -> tuple[dict[str, Any], bytes]:
    request, key = _openable(ring, staff, reference)
    with transaction.atomic():
        attachment = Attachment.objects.get(pk=attachment_id, request=request)
        meta = keysets.open_json(key, attachment, "meta")
        content = files.file_get(file_id=attachment.file_id, set_key=key)
        audit_record(
            action="intake.attachment_open", actor_id=staff.pk, object_type="attachment", object_id=attachment.pk.hex
        )
        return meta, content


def _bump(request: Request, version: int, **changes: Any) -> None:
    """Apply changes only if nobody changed the request since the page was shown."""
    updated = Request.objects.filter(pk=request.pk, version=version).update(version=F("version") + 1, **changes)
    if not updated:
        raise Conflict(_("Someone else changed this request while you were looking at it. Check it and try again."))


def reply(*, ring: KeyRing, staff: Staff, reference: str, text: str) -> None:
    request, key = _openable(ring, staff, reference)
    with transaction.atomic():
        now = timezone.now()
        message = Message(
            request=request, key_set=request.key_set, sender=Message.Sender.STAFF, author=staff, sent_on=now.date()
        )
        keysets.seal_json(key, message, "content", {"text": text, "at": now.isoformat()})
        message.save(force_insert=True)
        status = Request.Status.OPEN if request.status == Request.Status.NEW else request.status
        Request.objects.filter(pk=request.pk).update(awaiting_reply=False, status=status)
        audit_record(action="intake.reply", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)


def mark_duplicate(*, ring: KeyRing, staff: Staff, reference: str, version: int, of_reference: str) -> None:
    request, _key = _openable(ring, staff, reference)
    with transaction.atomic():
        other = Request.objects.filter(reference=of_reference.strip().upper()).first()
        if other is None or other.pk == request.pk:
            raise IntakeError(_("There is no other request with that reference."))
        _bump(request, version, status=Request.Status.DUPLICATE, duplicate_of=other, awaiting_reply=False)
        audit_record(action="intake.duplicate", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)


def flag_entrapment(*, ring: KeyRing, staff: Staff, reference: str, version: int, flagged: bool, note: str) -> None:
    request, key = _openable(ring, staff, reference)
    with transaction.atomic():
        keysets.seal_field(key, request, "entrapment_note", note or None)
        _bump(request, version, entrapment_flag=flagged, entrapment_note=request.entrapment_note)
        audit_record(
            action="intake.entrapment_flag" if flagged else "intake.entrapment_clear",
            actor_id=staff.pk,
            object_type="request",
            object_id=request.pk.hex,
        )


def decline(*, ring: KeyRing, staff: Staff, reference: str, version: int, reason: str, note: str) -> None:
    request, key = _openable(ring, staff, reference)
    with transaction.atomic():
        if reason not in Request.DeclineReason.values:
            raise IntakeError(_("Choose a reason."))
        keysets.seal_field(key, request, "decline_note", note or None)
        _bump(
            request, version, status=Request.Status.DECLINED, decline_reason=reason, decline_note=request.decline_note
        )
        audit_record(action="intake.decline", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)


def reopen(*, ring: KeyRing, staff: Staff, reference: str, version: int) -> None:
    request, _key = _openable(ring, staff, reference)
    with transaction.atomic():
        if request.status not in (Request.Status.DECLINED, Request.Status.DUPLICATE):
            raise IntakeError(_("Only a declined or duplicate request can be reopened."))
        _bump(request, version, status=Request.Status.OPEN, decline_reason="", duplicate_of=None)
        audit_record(action="intake.reopen", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)


def caseworkers() -> list[Staff]:
    return list(
        Staff.objects.filter(is_active=True, roles__role=Role.CASEWORKER, vault_key__isnull=False)
        .distinct()
        .order_by("display_name", "email")
    )


def accept(*, ring: KeyRing, staff: Staff, reference: str, version: int, caseworker_id: int) -> CaseRecord:
    """Open a case for the request, assign the caseworker and seal the request's key to them."""
    request, key = _openable(ring, staff, reference)
    with transaction.atomic():
        if request.status not in OPEN_STATUSES:
            raise IntakeError(_("Only a new or open request can be accepted."))
        caseworker = next((c for c in caseworkers() if c.pk == caseworker_id), None)
        if caseworker is None:
            raise IntakeError(_("Choose an active caseworker."))
        _bump(request, version, status=Request.Status.ACCEPTED)
        details = keysets.open_json(key, request, "details")
        case = case_services.case_open_from_request(
            request=request, key=key, details=details, by=staff, caseworker=caseworker
        )
        keysets.keyset_grant(key_set=request.key_set, ring=ring, staff_id=caseworker.pk)
        audit_record(action="intake.accept", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)
        activity_alert(kind=StaffAlert.Kind.CASE_ASSIGNED, recipient_ids=[caseworker.pk], reference=request.reference)
        return case


def share_candidates(request: Request) -> list[Staff]:
    """Active coordinators and caseworkers with a key pair who cannot open the request yet."""
    holders = set(Grant.objects.filter(key_set_id=request.key_set_id).values_list("staff_id", flat=True))
    return [
        s
        for s in Staff.objects.filter(
            is_active=True, roles__role__in=[Role.COORDINATOR, Role.CASEWORKER], vault_key__isnull=False
        )
        .distinct()
        .order_by("display_name", "email")
        if s.pk not in holders
    ]


def share(*, ring: KeyRing, staff: Staff, reference: str, colleague_id: int) -> None:
    """Seal the request's key to a colleague who joined after it arrived (or a caseworker helping out)."""
    request, _key = _openable(ring, staff, reference)
    colleague = next((c for c in share_candidates(request) if c.pk == colleague_id), None)
    if colleague is None:
        raise IntakeError(_("Choose an active colleague who cannot open it yet."))
    with transaction.atomic():
        keysets.keyset_grant(key_set=request.key_set, ring=ring, staff_id=colleague.pk)
        audit_record(action="intake.share", actor_id=staff.pk, object_type="staff", object_id=colleague.pk)
        activity_alert(kind=StaffAlert.Kind.CASE_ASSIGNED, recipient_ids=[colleague.pk], reference=request.reference)
