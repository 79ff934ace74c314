"""The hotline's writes on a request: its door, reply, duplicate, entrapment flag, decline, reopen, accept and
share, and the contact index built as requests are opened. Reads are in selectors.py.

Every decryption is audited; status changes use optimistic locking (the page's version must still hold)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ferry.accounts.alerts import activity_alert
from ferry.accounts.models import Role, Staff, StaffAlert
from ferry.audit.services import audit_record
from ferry.core.doors import Door, Opened, door_open
from ferry.core.errors import Conflict, NotFound
from ferry.core.hooks import Hook
from ferry.intake.errors import IntakeError
from ferry.intake.models import Attachment, ContactIndex, Message, Request
from ferry.intake.recipients import caseworkers, holders, share_candidates
from ferry.vault import blind, files, keysets
from ferry.vault import errors as vault_errors
from ferry.vault.keyring import KeyRing
from ferry.vault.models import KeySet

OPEN_STATUSES = (Request.Status.NEW, Request.Status.OPEN)


# Coordinators, and caseworkers a request was shared with or accepted for: the grant decides which.
REQUEST_ROLES = (Role.COORDINATOR, Role.CASEWORKER)
REQUEST_DOOR = Door(
    model=Request,
    by="reference",
    roles=REQUEST_ROLES,
    audit_noun="request",
    missing=gettext_lazy("No such request."),
    related=("conversation",),
)

# Accepting a request opens a case: the cases app registers the one receiver (cases.apps), since intake
# sits below cases and never imports it. Called inside accept's transaction; returns the new case.
REQUEST_ACCEPTED = Hook("request_accepted")
# Sharing a request that became a case adds the colleague to the case (cases.apps registers it), so every
# holder is listed on the case's page and can be removed there.
REQUEST_SHARED_AS_CASE = Hook("request_shared_as_case")


def access_request(*, ring: KeyRing | None, staff: Staff, reference: str) -> Opened[Request]:
    """The one door to a request: the request and its key, or NotFound (missing, not granted, no role alike)."""
    return door_open(REQUEST_DOOR, ring=ring, staff=staff, value=reference)


def request_keys(ring: KeyRing, request: Request) -> dict[int, bytes]:
    """The keys of the request's two compartments that the ring opens, by key set id (one batch)."""
    key_sets = [request.key_set] + ([request.conversation] if request.conversation is not None else [])
    return ring.keys_for(key_sets)


def conversation_key(ring: KeyRing, request: Request) -> tuple[KeySet, bytes]:
    """The conversation's key set and key, for a staff member who opened the request through its door."""
    conversation = request.conversation
    if conversation is None:
        raise NotFound(_("No such request."))
    key = ring.keys_for([conversation]).get(conversation.pk)
    if key is None:
        raise NotFound(_("No such request."))
    return conversation, key


def conversation_settle(*, ring: KeyRing, staff: Staff, request: Request) -> int:
    """Move messages (and their files) sealed under the request's own key set before the conversation was
    split off into the conversation, so the person sees them again. Needs both keys; returns how many moved."""
    # First, a key set that was once the person's too gets a new key (an old copy with their grant then
    # opens nothing written from now on).
    if keysets.keyset_rekey_if_needed(key_set=request.key_set, ring=ring):
        audit_record(action="intake.rekey", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)
    if request.conversation_id is None:
        return 0
    legacy = list(Message.objects.filter(request=request, key_set_id=request.key_set_id))
    if not legacy:
        return 0
    keys = request_keys(ring, request)
    old, new = keys.get(request.key_set_id), keys.get(request.conversation_id)
    if old is None or new is None:
        return 0
    conversation = request.conversation
    assert conversation is not None  # noqa: S101 - checked above
    with transaction.atomic():
        for message in legacy:
            keysets.seal_field(new, message, "content", keysets.open_field(old, message, "content"))
            message.key_set = conversation
            message.save(update_fields=["content", "key_set"])
            for attachment in Attachment.objects.filter(message=message, key_set_id=request.key_set_id):
                keysets.seal_field(new, attachment, "meta", keysets.open_field(old, attachment, "meta"))
                attachment.key_set = conversation
                attachment.save(update_fields=["meta", "key_set"])
                files.file_key_move(file_id=attachment.file_id, old_key=old, new_key_set=conversation, new_key=new)
        audit_record(
            action="intake.conversation_settle", actor_id=staff.pk, object_type="request", object_id=request.pk.hex
        )
    return len(legacy)


def contacts_index(ring: KeyRing, request: Request, details: dict[str, Any]) -> None:
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


def request_grant(*, ring: KeyRing, request: Request, staff_id: int) -> None:
    """Seal both of the request's compartments to a colleague (the granter must hold both)."""
    keysets.keyset_grant(key_set=request.key_set, ring=ring, staff_id=staff_id)
    if request.conversation is not None:
        keysets.keyset_grant(key_set=request.conversation, ring=ring, staff_id=staff_id)


def _bump(request: Request, version: int, **changes: Any) -> None:
    """Apply changes only if nobody changed the request since the page was shown."""
    updated = Request.objects.filter(pk=request.pk, version=version).update(version=F("version") + 1, **changes)
    if not updated:
        raise Conflict(_("Someone else changed this request while you were looking at it. Check it and try again."))


def request_reply(*, ring: KeyRing, staff: Staff, reference: str, text: str) -> None:
    """A message to the person, sealed in the conversation (the one compartment their code opens)."""
    request, _key = access_request(ring=ring, staff=staff, reference=reference)
    conversation, key = conversation_key(ring, request)
    with transaction.atomic():
        now = timezone.now()
        message = Message(
            request=request, key_set=conversation, sender=Message.Sender.STAFF, author=staff, sent_on=now.date()
        )
        keysets.seal_json(key, message, "content", {"text": text, "at": now.isoformat()})
        message.save(force_insert=True)
        status = Request.Status.OPEN if request.status == Request.Status.NEW else request.status
        Request.objects.filter(pk=request.pk).update(awaiting_reply=False, status=status)
        audit_record(action="intake.reply", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)


def request_mark_duplicate(*, ring: KeyRing, staff: Staff, reference: str, version: int, of_reference: str) -> None:
    request, _key = access_request(ring=ring, staff=staff, reference=reference)
    # The other request through its door too: one the viewer cannot open answers as one that does not exist.
    try:
        other, _other_key = access_request(ring=ring, staff=staff, reference=of_reference.strip().upper())
    except NotFound:
        other = None
    with transaction.atomic():
        if other is None or other.pk == request.pk:
            raise IntakeError(_("There is no other request with that reference."))
        _bump(request, version, status=Request.Status.DUPLICATE, duplicate_of=other, awaiting_reply=False)
        audit_record(action="intake.duplicate", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)


def request_flag(*, ring: KeyRing, staff: Staff, reference: str, version: int, flagged: bool, note: str) -> None:
    request, key = access_request(ring=ring, staff=staff, reference=reference)
    with transaction.atomic():
        keysets.seal_field(key, request, "entrapment_note", note or None)
        _bump(request, version, entrapment_flag=flagged, entrapment_note=request.entrapment_note)
        audit_record(
            action="intake.entrapment_flag" if flagged else "intake.entrapment_clear",
            actor_id=staff.pk,
            object_type="request",
            object_id=request.pk.hex,
        )


def request_decline(*, ring: KeyRing, staff: Staff, reference: str, version: int, reason: str, note: str) -> None:
    request, key = access_request(ring=ring, staff=staff, reference=reference)
    with transaction.atomic():
        if reason not in Request.DeclineReason.values:
            raise IntakeError(_("Choose a reason."))
        keysets.seal_field(key, request, "decline_note", note or None)
        _bump(
            request, version, status=Request.Status.DECLINED, decline_reason=reason, decline_note=request.decline_note
        )
        audit_record(action="intake.decline", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)


DISMISS_MAX = 500  # requests one bulk dismissal declines at most (the queue shows 200 a page)


def requests_dismiss(*, ring: KeyRing, staff: Staff, references: list[str]) -> int:
    """Decline many new requests as spam at once (a flood's fake ones); returns how many were declined.

    Each goes through the request's door (a reference the coordinator cannot open is skipped, as if missing), and
    only requests still new are touched: one a colleague is already talking to is left alone."""
    declined = 0
    for reference in list(dict.fromkeys(references))[:DISMISS_MAX]:
        try:
            request, _key = access_request(ring=ring, staff=staff, reference=reference)
        except NotFound:
            continue
        with transaction.atomic():
            updated = Request.objects.filter(pk=request.pk, status=Request.Status.NEW).update(
                status=Request.Status.DECLINED, decline_reason=Request.DeclineReason.SPAM, version=F("version") + 1
            )
            if updated:
                audit_record(
                    action="intake.decline", actor_id=staff.pk, object_type="request", object_id=request.pk.hex
                )
                declined += updated
    return declined


def request_reopen(*, ring: KeyRing, staff: Staff, reference: str, version: int) -> None:
    request, _key = access_request(ring=ring, staff=staff, reference=reference)
    with transaction.atomic():
        if request.status not in (Request.Status.DECLINED, Request.Status.DUPLICATE):
            raise IntakeError(_("Only a declined or duplicate request can be reopened."))
        _bump(request, version, status=Request.Status.OPEN, decline_reason="", duplicate_of=None)
        audit_record(action="intake.reopen", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)


def request_accept(*, ring: KeyRing, staff: Staff, reference: str, version: int, caseworker_id: int) -> Model:
    """Open a case for the request, assign the caseworker and seal the request's key to them."""
    request, key = access_request(ring=ring, staff=staff, reference=reference)
    with transaction.atomic():
        if request.status not in OPEN_STATUSES:
            raise IntakeError(_("Only a new or open request can be accepted."))
        caseworker = next((c for c in caseworkers() if c.pk == caseworker_id), None)
        if caseworker is None:
            raise IntakeError(_("Choose an active caseworker."))
        _bump(request, version, status=Request.Status.ACCEPTED)
        details = keysets.open_json(key, request, "details")
        case = REQUEST_ACCEPTED.call_one(request=request, key=key, details=details, by=staff, caseworker=caseworker)
        request_grant(ring=ring, request=request, staff_id=caseworker.pk)
        audit_record(action="intake.accept", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)
        activity_alert(kind=StaffAlert.Kind.CASE_ASSIGNED, recipient_ids=[caseworker.pk], reference=request.reference)
        return case


def request_share(*, ring: KeyRing, staff: Staff, reference: str, colleague_id: int) -> None:
    """Seal the request's keys to a colleague who joined after it arrived (or a caseworker helping out); once
    the request is a case, the colleague is added to the case instead."""
    request, _key = access_request(ring=ring, staff=staff, reference=reference)
    colleague = next((c for c in share_candidates(request) if c.pk == colleague_id), None)
    if colleague is None:
        raise IntakeError(_("Choose an active colleague who cannot open it yet."))
    if request.status == Request.Status.ACCEPTED:
        REQUEST_SHARED_AS_CASE.call_one(ring=ring, staff=staff, reference=reference, staff_id=colleague.pk)
        return
    with transaction.atomic():
        request_grant(ring=ring, request=request, staff_id=colleague.pk)
        # Two entries: which request, and with whom (an entry names one object).
        audit_record(action="intake.share", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)
        audit_record(action="intake.share_to", actor_id=staff.pk, object_type="staff", object_id=colleague.pk)
        activity_alert(kind=StaffAlert.Kind.CASE_ASSIGNED, recipient_ids=[colleague.pk], reference=request.reference)


def request_revoke(*, ring: KeyRing, staff: Staff, reference: str, staff_id: int) -> None:
    """Remove a colleague's access to a request (before it is a case): both compartments are re-keyed without
    them; the person's grant to the conversation is re-sealed, so their mailbox still opens."""
    request, _key = access_request(ring=ring, staff=staff, reference=reference)
    if request.status == Request.Status.ACCEPTED:
        raise IntakeError(_("This request is a case now: remove people on the case's page."))
    if staff_id == staff.pk:
        raise IntakeError(_("Ask another coordinator to remove you."))
    if staff_id not in holders(request.key_set):
        raise IntakeError(_("This person cannot open the request."))
    with transaction.atomic():
        for key_set in (request.key_set, request.conversation):
            if key_set is not None:
                keysets.keyset_revoke(key_set=key_set, ring=ring, staff_id=staff_id)
        audit_record(action="intake.revoke", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)
        audit_record(action="intake.revoke_from", actor_id=staff.pk, object_type="staff", object_id=staff_id)
