"""The person asking for help: sending a request. Nothing identifying is kept (no address, no browser, no
time finer than the day), and the content is sealed before it is stored. The mailbox is in mailbox.py,
the hotline's side in triage.py, the flood limits in limits.py."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.alerts import activity_alert
from ferry.accounts.models import StaffAlert
from ferry.intake import limits
from ferry.intake.errors import NotReady, Replayed, StorageFull
from ferry.intake.models import Attachment, FormNonce, Mailbox, Message, Request
from ferry.intake.recipients import intake_coordinators
from ferry.intake.uploads import CleanFile
from ferry.vault import files, keysets, requester
from ferry.vault.models import EscrowKey, KeySet

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def day_start(day: date) -> datetime:
    """Midnight UTC: what rows created by a requester store instead of the time."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def requester_profile() -> str:
    return "insecure-fast-test" if settings.FERRY_KDF_PROFILE == "insecure-fast-test" else "requester"


def reference_new() -> str:
    """A short random reference like K7Q-3XD, with no letters or digits that are easy to confuse."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


@dataclass(frozen=True)
class Submission:
    name: str
    phone: str
    handle: str
    email: str
    country: str
    region: str
    place: str
    story: str
    needs: str
    urgency: str


@dataclass(frozen=True)
class Receipt:
    code: str
    duress_code: str | None


STORAGE_STEP_KIB = 64  # each file counts in steps of this size: the counter in clear is no file's exact size


def storage_kib(uploads: Sequence[CleanFile]) -> int:
    step = STORAGE_STEP_KIB * 1024
    return sum(-(-len(upload.data) // step) * STORAGE_STEP_KIB for upload in uploads)


def storage_take(request: Request, uploads: Sequence[CleanFile]) -> None:
    """Count the files against the request's mailbox and the whole intake (inside the caller's transaction);
    raise StorageFull past either allowance, and tell the coordinators when the intake nears its own."""
    wanted = storage_kib(uploads)
    if not wanted:
        return
    if request.storage_kib + wanted > settings.FERRY_INTAKE_MAILBOX_MB * 1024:
        raise StorageFull(
            _("Your mailbox is full: it holds up to %(mb)s MB of files. Send your message without files.")
            % {"mb": settings.FERRY_INTAKE_MAILBOX_MB}
        )
    allowance = settings.FERRY_INTAKE_STORAGE_MB * 1024
    used = Request.objects.aggregate(used=Sum("storage_kib"))["used"] or 0
    if used + wanted > allowance:
        raise StorageFull(_("We cannot take more files right now. Send your message without files."))
    Request.objects.filter(pk=request.pk).update(storage_kib=F("storage_kib") + wanted)
    request.storage_kib += wanted
    if (used + wanted) * 100 >= allowance * settings.FERRY_INTAKE_STORAGE_WARN_PERCENT:
        activity_alert(kind=StaffAlert.Kind.INTAKE_STORAGE, recipient_ids=intake_coordinators())


def attachments_store(
    *,
    request: Request,
    key_set: KeySet,
    key: bytes,
    message: Message | None,
    uploads: Sequence[CleanFile],
    day: date,
) -> None:
    """Files sent with the request go under its own key set; files sent with a message, under the conversation."""
    storage_take(request, uploads)
    for upload in uploads:
        file_id = files.file_put(key_set=key_set, content=upload.data, set_key=key, when=day_start(day))
        attachment = Attachment(request=request, message=message, key_set=key_set, file_id=file_id)
        keysets.seal_json(
            key,
            attachment,
            "meta",
            {
                "name": upload.name,
                "type": upload.content_type,
                "kind": upload.kind,
                "size": len(upload.data),
                "stripped": upload.stripped,
            },
        )
        attachment.save()


def submission_create(
    *, data: Submission, uploads: Sequence[CleanFile], want_duress: bool, nonce: str, ranked: bool = False
) -> Receipt:
    """Seal and store a new request; return the receipt code (never stored) and the optional duress code.

    Raises Replayed when this form was already sent, StorageFull when its files would pass the intake's storage
    allowance (counted as a refusal). Past the hourly cap the request is still kept (never
    refused for volume): it is marked overflow, so the hotline sees a flood as such and can sort it out, unless
    its sender solved the flood's puzzle (`ranked`, intake.puzzle)."""
    now = timezone.now()
    if not EscrowKey.objects.exists():
        # Before the first administrator exists nothing could be sealed safely: refuse, keeping the text.
        raise NotReady(_("This service is not ready to receive messages yet."))
    code = requester.code_new()
    # The duress code has its own locator: whoever is given it does not learn what finds the real mailbox.
    duress = requester.code_new() if want_duress else None
    # The slow part runs before the transaction, so it never holds the database's write lock.
    enrolment, _private = requester.enrol(code=code, duress=duress, profile=requester_profile())
    try:
        receipt = _submission_store(
            data=data,
            uploads=uploads,
            enrolment=enrolment,
            code=code,
            duress=duress,
            nonce=nonce,
            now=now,
            ranked=ranked,
        )
    except StorageFull:
        limits.window_bump("refused", now)
        raise
    return receipt


def _submission_store(
    *,
    data: Submission,
    uploads: Sequence[CleanFile],
    enrolment: requester.Enrolment,
    code: requester.ReceiptCode,
    duress: requester.ReceiptCode | None,
    nonce: str,
    now: datetime,
    ranked: bool = False,
) -> Receipt:
    cap = settings.FERRY_INTAKE_HOURLY_CAP
    day = now.astimezone(UTC).date()
    with transaction.atomic():
        try:
            with transaction.atomic():
                FormNonce.objects.create(digest=nonce, day=day)
        except IntegrityError:
            raise Replayed(_("This form was already sent once.")) from None
        overflow = limits.window_bump("submit", now) > cap > 0 and not ranked
        if overflow:
            limits.window_bump("overflow", now)
        locator, duress_locator = _store_request(
            data=data,
            uploads=uploads,
            enrolment=enrolment,
            code=code,
            duress_locator=duress.locator if duress else requester.code_new().locator,
            day=day,
            now=now,
            overflow=overflow,
        )
    final = requester.ReceiptCode(locator=locator, secret=code.secret)
    final_duress = requester.ReceiptCode(locator=duress_locator, secret=duress.secret) if duress else None
    return Receipt(code=final.grouped(), duress_code=final_duress.grouped() if final_duress else None)


def _store_request(
    *,
    data: Submission,
    uploads: Sequence[CleanFile],
    enrolment: requester.Enrolment,
    code: requester.ReceiptCode,
    duress_locator: str,
    day: date,
    now: datetime,
    overflow: bool,
) -> tuple[str, str]:
    coordinators = intake_coordinators()
    # Their keys and the escrow key are read once, in this transaction, for both key sets.
    recipients = keysets.recipients_load(coordinators)
    # Two compartments: the request's own (details, files sent with it, staff notes, later the case), sealed
    # to staff and the escrow key only; and the conversation, also sealed to the person's code-derived key.
    key_set, key = keysets.keyset_create(purpose=KeySet.Purpose.CASE, grant_to=recipients, when=day_start(day))
    conversation, _conversation_key = keysets.keyset_create(
        purpose=KeySet.Purpose.CONVERSATION,
        grant_to=recipients,
        requester_key=enrolment.public_key,
        when=day_start(day),
    )
    request = Request(
        key_set=key_set,
        conversation=conversation,
        urgency=data.urgency,
        received_on=day,
        last_activity_on=day,
        overflow=overflow,
    )
    details = {
        "name": data.name,
        "phone": data.phone,
        "handle": data.handle,
        "email": data.email,
        "country": data.country,
        "region": data.region,
        "place": data.place,
        "story": data.story,
        "needs": data.needs,
        # The time is sealed with the content: staff see it, a copy of the database does not.
        "received_at": now.isoformat(),
    }
    keysets.seal_json(key, request, "details", details)
    for _attempt in range(20):
        request.reference = reference_new()
        try:
            with transaction.atomic():
                request.save(force_insert=True)
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - 887 million references
        raise IntegrityError("no free reference")
    locators = _locators_store(request=request, enrolment=enrolment, wanted=(code.locator, duress_locator))
    attachments_store(request=request, key_set=key_set, key=key, message=None, uploads=uploads, day=day)
    activity_alert(kind=StaffAlert.Kind.NEW_REQUEST, recipient_ids=coordinators)
    return locators


def _locators_store(*, request: Request, enrolment: requester.Enrolment, wanted: tuple[str, str]) -> tuple[str, str]:
    """The mailbox, under two locators no other mailbox uses in either column: the receipt code's, and the duress
    code's (drawn even without a duress code, so every row looks alike). A taken one is drawn again: a locator
    only finds the mailbox, the secret digits were derived without it."""
    locator, duress_locator = wanted
    for _attempt in range(50):
        pair = [locator, duress_locator]
        if (
            locator != duress_locator
            and not Mailbox.objects.filter(Q(locator__in=pair) | Q(duress_locator__in=pair)).exists()
        ):
            try:
                with transaction.atomic():
                    Mailbox.objects.create(
                        request=request,
                        locator=locator,
                        duress_locator=duress_locator,
                        kdf=enrolment.kdf,
                        public_key=enrolment.public_key,
                        duress_check=enrolment.duress_check,
                    )
                return locator, duress_locator
            except IntegrityError:
                pass
        locator, duress_locator = requester.code_new().locator, requester.code_new().locator
    raise IntegrityError("no free locator")  # pragma: no cover - a million locators
