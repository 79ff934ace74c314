"""The hotline's reads: the triage queue, a request's page, an attachment, and who can be given a request.

What the viewer can open is decrypted, and each decryption is audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, Value, When
from django.utils.translation import gettext as _

from ferry.accounts.models import Staff
from ferry.audit.services import audit_record
from ferry.core.errors import NotFound
from ferry.core.text import without_bidi_in
from ferry.intake.mailbox import ThreadItem, thread_of
from ferry.intake.models import URGENCY_ORDER, Attachment, CheckIn, ContactIndex, Request
from ferry.intake.triage import OPEN_STATUSES, access_request, contacts_index, request_keys
from ferry.vault import files, keysets
from ferry.vault.errors import VaultError
from ferry.vault.keyring import KeyRing
from ferry.vault.models import KeySet


@dataclass
class QueueRow:
    request: Request
    can_open: bool
    name: str = ""
    excerpt: str = ""
    received_at: datetime | None = None
    hints: list[tuple[str, bool]] = field(default_factory=list)
    search_text: str = field(default="", repr=False)


QUEUE_LIMIT = 200  # rows on one page of the queue
SEARCH_SCAN = 5000  # requests one search opens at most (each opening audited)
_URGENCY_RANK = Case(
    *(When(urgency=value, then=Value(rank)) for value, rank in URGENCY_ORDER.items()), default=Value(9)
)
# Each sort: its order in the database (by what is in clear), then the tie-break inside a page (the sealed time).
SORTS: dict[str, tuple[Any, ...]] = {
    "urgent": (_URGENCY_RANK, "received_on", "reference"),
    "least": (_URGENCY_RANK.desc(), "received_on", "reference"),
    "oldest": ("received_on", "reference"),
    "newest": ("-received_on", "reference"),
    "regular": ("overflow", _URGENCY_RANK, "received_on", "reference"),
}


@dataclass
class QueuePage:
    rows: list[QueueRow]
    page: int
    pages: int
    total: int
    # A search: how many requests it opened, and whether it stopped at SEARCH_SCAN before the end.
    searched: int = 0
    search_cut: bool = False


def _row(ring: KeyRing, staff: Staff, request: Request, key: bytes | None) -> QueueRow:
    row = QueueRow(request=request, can_open=key is not None)
    if key is not None:
        details = without_bidi_in(keysets.open_json(key, request, "details"))
        row.name = details.get("name", "")
        row.excerpt = details.get("story", "")[:160]
        row.received_at = datetime.fromisoformat(details["received_at"]) if "received_at" in details else None
        row.search_text = " ".join(str(details.get(f, "")) for f in _SEARCHED).casefold()
        contacts_index(ring, request, details)
        audit_record(action="intake.request_list", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)
    return row


_SEARCHED = ("name", "phone", "handle", "email", "place", "story", "needs")


def _reference_like(text: str) -> str:
    """The search as a reference (K7Q-3XD, typed in any case, with or without the dash), or ""."""
    letters = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{letters[:3]}-{letters[3:]}" if len(letters) == 6 else ""


def queue(
    *, ring: KeyRing, staff: Staff, status: str = "active", sort: str = "urgent", page: int = 1, search: str = ""
) -> QueuePage:
    """One page of requests in the chosen order, or the requests matching a search; what the viewer can open is
    decrypted (and each decryption audited). A search of the sealed text opens requests in the chosen order until
    it has a page of matches or has opened SEARCH_SCAN of them."""
    requests = Request.objects.select_related("key_set")
    if status == "active":
        requests = requests.filter(status__in=OPEN_STATUSES)
    elif status in Request.Status.values:
        requests = requests.filter(status=status)
    requests = requests.order_by(*SORTS.get(sort, SORTS["urgent"]))
    needle = search.strip().casefold()
    if needle:
        result, searched, cut = _search(ring, staff, requests, needle)
        return QueuePage(
            rows=_hinted(ring, result), page=1, pages=1, total=len(result), searched=searched, search_cut=cut
        )
    total = requests.count()
    pages = max(1, -(-total // QUEUE_LIMIT))
    page = min(max(page, 1), pages)
    rows = list(requests[(page - 1) * QUEUE_LIMIT : page * QUEUE_LIMIT])
    keys = ring.keys_for(r.key_set for r in rows)
    with transaction.atomic():
        result = [_row(ring, staff, request, keys.get(request.key_set_id)) for request in rows]
    result.sort(key=lambda r: _in_order(sort, r))
    return QueuePage(rows=_hinted(ring, result), page=page, pages=pages, total=total)


def queue_rows(*, ring: KeyRing, staff: Staff, requests: list[Request]) -> list[QueueRow]:
    """Rows of the queue for requests already chosen and ordered (the API's cursor pages): decrypted where the
    viewer can open them, each decryption audited, as queue() does."""
    keys = ring.keys_for(r.key_set for r in requests)
    with transaction.atomic():
        rows = [_row(ring, staff, request, keys.get(request.key_set_id)) for request in requests]
    return _hinted(ring, rows)


def _in_order(sort: str, row: QueueRow) -> tuple[Any, ...]:
    """The order the database gave (by what is in clear), then the sealed time inside one day."""
    request = row.request
    rank = URGENCY_ORDER.get(request.urgency, 9)  # type: ignore[call-overload]
    day = request.received_on.toordinal()
    at = row.received_at.timestamp() if row.received_at else float("inf")
    clear = {
        "least": (-rank, day),
        "oldest": (day,),
        "newest": (-day,),
        "regular": (request.overflow, rank, day),
    }.get(sort, (rank, day))
    return (*clear, -at if sort == "newest" else at)


def _search(ring: KeyRing, staff: Staff, requests: Any, needle: str) -> tuple[list[QueueRow], int, bool]:
    reference = _reference_like(needle)
    found: list[QueueRow] = []
    searched = 0
    chunk = QUEUE_LIMIT
    while len(found) < QUEUE_LIMIT and searched < SEARCH_SCAN:
        rows = list(requests[searched : searched + chunk])
        if not rows:
            return found, searched, False
        keys = ring.keys_for(r.key_set for r in rows)
        with transaction.atomic():
            for request in rows:
                key = keys.get(request.key_set_id)
                if key is None:
                    continue
                row = _row(ring, staff, request, key)
                if request.reference == reference or needle in row.search_text:
                    found.append(row)
        searched += len(rows)
    return found[:QUEUE_LIMIT], searched, searched >= SEARCH_SCAN and requests[searched : searched + 1].exists()


def _hinted(ring: KeyRing, rows: list[QueueRow]) -> list[QueueRow]:
    hints = contact_hints(ring, [r.request for r in rows])
    for row in rows:
        row.hints = hints.get(row.request.pk, [])
    return rows


def status_counts() -> dict[str, int]:
    """How many requests are in each status: metadata, the same for every viewer."""
    rows = Request.objects.values("status").annotate(n=Count("pk")).values_list("status", "n")
    return dict(rows)


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


def request_open(*, ring: KeyRing, staff: Staff, reference: str) -> RequestView:
    request, key = access_request(ring=ring, staff=staff, reference=reference)
    with transaction.atomic():
        audit_record(action="intake.request_open", actor_id=staff.pk, object_type="request", object_id=request.pk.hex)
        details = without_bidi_in(keysets.open_json(key, request, "details"))
        contacts_index(ring, request, details)
        keys = request_keys(ring, request)
        return RequestView(
            request=request,
            details=details,
            thread=thread_of(keys, request),
            attachments=request_files(keys, request),
            checkins=list(request.checkins.order_by("-at")[:20]),
            hints=contact_hints(ring, [request]).get(request.pk, []),
            entrapment_note=keysets.open_field(key, request, "entrapment_note") or "",
            decline_note=keysets.open_field(key, request, "decline_note") or "",
        )


def request_files(keys: Mapping[int, bytes], request: Request) -> list[tuple[Attachment, dict[str, Any]]]:
    """Every file the person sent that these keys open (by key set id): those sent with the request first,
    then those sent with later messages."""
    found = []
    for attachment in request.attachments.select_related("message").order_by("message__sent_on"):
        key = keys.get(attachment.key_set_id)
        if key is None:
            continue
        try:
            found.append((attachment, keysets.open_json(key, attachment, "meta")))
        except VaultError:
            continue  # sealed under a key a re-key replaced in the same instant: skipped, the page still opens
    found.sort(key=lambda pair: pair[0].message_id is not None)
    return found


def attachment_open(
    *, ring: KeyRing, staff: Staff, reference: str, attachment_id: uuid.UUID
) -> tuple[dict[str, Any], bytes]:
    request, _key = access_request(ring=ring, staff=staff, reference=reference)
    with transaction.atomic():
        attachment = Attachment.objects.filter(pk=attachment_id, request=request).first()
        if attachment is None:
            raise NotFound(_("No such request."))
        # Files sent with the request are under its key set; files sent with a message, under the conversation.
        file_key = request_keys(ring, request).get(attachment.key_set_id)
        if file_key is None:
            raise NotFound(_("No such request."))
        meta = keysets.open_json(file_key, attachment, "meta")
        content = files.file_get(file_id=attachment.file_id, set_key=file_key)
        audit_record(
            action="intake.attachment_open", actor_id=staff.pk, object_type="attachment", object_id=attachment.pk.hex
        )
        return meta, content
