"""The anonymous intake, the person's side: sending a request, and the mailbox opened with the receipt code.

Requester side: nothing identifying is kept (no address, no browser, no time finer than the day), the
content is sealed before it is stored, and receipt codes are checked on their own bounded lane.
The hotline's side is in triage.py; the flood limits in limits.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.alerts import activity_alert
from ferry.accounts.models import Role, Staff, StaffAlert
from ferry.audit.services import audit_record
from ferry.intake import limits
from ferry.intake.models import (
    Attachment,
    CheckIn,
    FormNonce,
    LookupThrottle,
    Mailbox,
    MailboxSession,
    Message,
    Request,
)
from ferry.intake.uploads import CleanFile
from ferry.vault import blind, files, keysets, requester, session
from ferry.vault import errors as vault_errors
from ferry.vault.keyring import KeyRing
from ferry.vault.models import EscrowKey, Grant, KeySet, StaffKey

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LOOKUP_FAILURES_FREE = 5
LOOKUP_BACKOFF_MAX = timedelta(hours=24)
LOOKUP_WAIT_SECONDS = 1.0


class IntakeError(Exception):
    """A problem the person (or staff member) can act on; the message is translated and holds no data."""


class Replayed(IntakeError):
    pass


class OverCap(IntakeError):
    pass


class Busy(IntakeError):
    pass


class NotReady(IntakeError):
    pass


class MailboxClosed(IntakeError):
    pass


class Conflict(IntakeError):
    pass


# --- shared helpers ----------------------------------------------------------------------------------


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def _day_start(day: date) -> datetime:
    """Midnight UTC: what rows created by a requester store instead of the time."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def _requester_profile() -> str:
    return "insecure-fast-test" if settings.FERRY_KDF_PROFILE == "insecure-fast-test" else "requester"


def reference_new() -> str:
    """A short random reference like K7Q-3XD, with no letters or digits that are easy to confuse."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


def intake_coordinators() -> list[int]:
    """Active coordinators with a key pair: every new request is sealed to them."""
    return sorted(
        StaffKey.objects.filter(staff__is_active=True, staff__roles__role=Role.COORDINATOR)
        .values_list("staff_id", flat=True)
        .distinct()
    )


def index_share(*, ring: KeyRing, staff: Staff) -> None:
    """A holder of the contact-index key passing by shares it with coordinators who lack it (audited)."""
    for staff_id in blind.index_share(ring=ring, staff_ids=intake_coordinators()):
        audit_record(action="vault.index_grant", actor_id=staff.pk, object_type="staff", object_id=staff_id)


def _holders(key_set: KeySet) -> list[int]:
    """Active staff who hold a grant for this key set: the people to tell about new activity."""
    return sorted(
        Grant.objects.filter(key_set=key_set, staff__isnull=False, staff__is_active=True)
        .values_list("staff_id", flat=True)
        .distinct()
    )


# --- the person asking for help -----------------------------------------------------------------------


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


def _attach(*, request: Request, key: bytes, message: Message | None, uploads: Sequence[CleanFile], day: date) -> None:
    for upload in uploads:
        file_id = files.file_put(key_set=request.key_set, content=upload.data, set_key=key, when=_day_start(day))
        attachment = Attachment(request=request, message=message, key_set=request.key_set, file_id=file_id)
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


def submission_create(*, data: Submission, uploads: Sequence[CleanFile], want_duress: bool, nonce: str) -> Receipt:
    """Seal and store a new request; return the receipt code (never stored) and the optional duress code.

    Raises Replayed when this form was already sent, OverCap when the hourly limit is reached."""
    now = timezone.now()
    if not EscrowKey.objects.exists():
        # Before the first administrator exists nothing could be sealed safely: refuse, keeping the text.
        raise NotReady(_("This service is not ready to receive messages yet."))
    cap = settings.FERRY_INTAKE_HOURLY_CAP
    if cap and limits.window_count("submit", now) >= cap:
        limits.window_bump("refused", now)
        raise OverCap(_("We are receiving very many requests right now, and yours was not sent."))
    code = requester.code_new()
    duress = requester.code_new(locator=code.locator) if want_duress else None
    # The slow part runs before the transaction, so it never holds the database's write lock.
    enrolment, _private = requester.enrol(code=code, duress=duress, profile=_requester_profile())
    day = now.astimezone(UTC).date()
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    FormNonce.objects.create(digest=nonce, day=day)
            except IntegrityError:
                raise Replayed(_("This form was already sent once.")) from None
            if cap and limits.window_bump("submit", now) > cap:
                raise OverCap(_("We are receiving very many requests right now, and yours was not sent."))
            locator = _store_request(data=data, uploads=uploads, enrolment=enrolment, code=code, day=day, now=now)
    except OverCap:
        limits.window_bump("refused", now)
        raise
    final = requester.ReceiptCode(locator=locator, secret=code.secret)
    final_duress = requester.ReceiptCode(locator=locator, secret=duress.secret) if duress else None
    return Receipt(code=final.grouped(), duress_code=final_duress.grouped() if final_duress else None)


def _store_request(
    *,
    data: Submission,
    uploads: Sequence[CleanFile],
    enrolment: requester.Enrolment,
    code: requester.ReceiptCode,
    day: date,
    now: datetime,
) -> str:
    coordinators = intake_coordinators()
    key_set, key = keysets.keyset_create(
        purpose=KeySet.Purpose.CASE,
        grant_to=coordinators,
        requester_key=enrolment.public_key,
        when=_day_start(day),
    )
    request = Request(key_set=key_set, urgency=data.urgency, received_on=day, last_activity_on=day)
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
    locator = code.locator
    for _attempt in range(50):
        try:
            with transaction.atomic():
                Mailbox.objects.create(
                    request=request,
                    locator=locator,
                    kdf=enrolment.kdf,
                    public_key=enrolment.public_key,
                    duress_check=enrolment.duress_check,
                )
            break
        except IntegrityError:
            # The locator only finds the mailbox; the secret digits were derived without it.
            locator = requester.code_new().locator
    else:  # pragma: no cover - a million locators
        raise IntegrityError("no free locator")
    _attach(request=request, key=key, message=None, uploads=uploads, day=day)
    activity_alert(kind=StaffAlert.Kind.NEW_REQUEST, recipient_ids=coordinators)
    return locator


# --- the mailbox --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailboxAccess:
    token: str
    duress: bool


def _throttle_blocked(locator: str, now: datetime) -> bool:
    return LookupThrottle.objects.filter(locator=locator, blocked_until__gt=now).exists()


def _throttle_fail(locator: str, now: datetime) -> None:
    row, _created = LookupThrottle.objects.get_or_create(locator=locator, defaults={"day": now.date()})
    failures = row.failures + 1
    blocked_until = None
    if failures >= LOOKUP_FAILURES_FREE:
        blocked_until = now + min(timedelta(minutes=2 ** (failures - LOOKUP_FAILURES_FREE)), LOOKUP_BACKOFF_MAX)
    LookupThrottle.objects.filter(pk=row.pk).update(failures=failures, blocked_until=blocked_until, day=now.date())


def _wrong_code() -> IntakeError:
    return IntakeError(_("This code does not open a mailbox. Check the digits and try again."))


def mailbox_open(code_text: str) -> MailboxAccess:
    """Check a receipt or duress code; wrong codes cost the same time and count against the code's locator."""
    code = requester.code_parse(code_text)
    if code is None:
        raise IntakeError(_("A code has 24 digits. Check it and try again."))
    now = timezone.now()
    if not limits.lookup_admitted(now):
        raise Busy(_("Too many people are trying codes right now. Wait a minute and try again."))
    if _throttle_blocked(code.locator, now):
        raise Busy(
            _(
                "Too many wrong tries with these first digits. "
                "Wait a while and try again; each wrong try makes the wait longer."
            )
        )
    mailbox = Mailbox.objects.filter(locator=code.locator).first()
    try:
        if mailbox is None:
            requester.dummy_open(profile=_requester_profile(), timeout=LOOKUP_WAIT_SECONDS)
            opened = None
        else:
            opened = requester.open_mailbox(
                code=code,
                kdf=mailbox.kdf,
                public_key=bytes(mailbox.public_key),
                duress_check=bytes(mailbox.duress_check),
                timeout=LOOKUP_WAIT_SECONDS,
            )
    except vault_errors.Busy:
        raise Busy(_("Too many people are trying codes right now. Wait a minute and try again.")) from None
    if opened is None or mailbox is None:
        _throttle_fail(code.locator, now)
        raise _wrong_code()
    LookupThrottle.objects.filter(locator=code.locator).delete()
    session_id = secrets.token_hex(16)
    wrapped = None
    client_key = secrets.token_urlsafe(32)
    if opened.private_key is not None:
        client_key, wrapped = session.session_wrap(
            private_key=opened.private_key, session_id=session_id, kind="mailbox_session"
        )
    with transaction.atomic():
        MailboxSession.objects.create(
            id=session_id,
            mailbox=mailbox,
            wrapped_key=wrapped,
            duress=opened.duress,
            expires_at=now + timedelta(minutes=settings.FERRY_MAILBOX_IDLE_MINUTES),
        )
        if opened.duress:
            _duress_checkin(mailbox.request)
    return MailboxAccess(token=f"{session_id}.{client_key}", duress=opened.duress)


def _duress_checkin(request: Request) -> None:
    from ferry.cases.checkins import services as checkins  # cases build on intake; this one call goes the other way

    at = timezone.now()
    CheckIn.objects.create(request=request, at=at, kind=CheckIn.Kind.DURESS, source=CheckIn.Source.REQUESTER)
    if checkins.from_requester(request=request, kind=CheckIn.Kind.DURESS, at=at):
        return  # the request is a case: its team and the coordinators were alerted as an emergency
    activity_alert(
        kind=StaffAlert.Kind.REQUESTER_DURESS,
        recipient_ids=set(_holders(request.key_set)) | set(intake_coordinators()),
        reference=request.reference,
    )


@dataclass
class MailboxState:
    session: MailboxSession
    request: Request
    key: bytes | None = field(repr=False)

    @property
    def duress(self) -> bool:
        return self.session.duress


def _session_id(text: str) -> str:
    """A well-formed session id, or "" (which matches nothing): what reaches the query is hex only."""
    return text if len(text) == 32 and all(ch in "0123456789abcdef" for ch in text) else ""


def mailbox_state(token: str) -> MailboxState:
    """The open mailbox behind a form's token; MailboxClosed when it expired, was closed, or never was."""
    session_id, _dot, client_key = (token or "").partition(".")
    now = timezone.now()
    row = (
        MailboxSession.objects.select_related("mailbox__request__key_set")
        .filter(id=_session_id(session_id), expires_at__gt=now)
        .first()
    )
    closed = MailboxClosed(_("Your mailbox was closed. Enter your code again to open it."))
    if row is None or not client_key:
        raise closed
    key = None
    if not row.duress:
        if row.wrapped_key is None:
            raise closed
        try:
            private, _session_key = session.session_unwrap(
                client_key=client_key, wrapped=bytes(row.wrapped_key), session_id=row.id, kind="mailbox_session"
            )
            key = keysets.requester_key_open(key_set=row.mailbox.request.key_set, private_key=private)
        except vault_errors.VaultError:
            raise closed from None
    MailboxSession.objects.filter(pk=row.pk).update(
        expires_at=now + timedelta(minutes=settings.FERRY_MAILBOX_IDLE_MINUTES)
    )
    return MailboxState(session=row, request=row.mailbox.request, key=key)


@dataclass(frozen=True)
class ThreadItem:
    sender: str
    text: str
    at: datetime | None
    attachments: list[str]


def mailbox_thread(state: MailboxState) -> list[ThreadItem]:
    """The conversation as the person sees it; a duress mailbox is always empty."""
    if state.key is None:
        return []
    return _thread(state.key, state.request)


def _thread(key: bytes, request: Request) -> list[ThreadItem]:
    messages = list(Message.objects.filter(request=request).prefetch_related("attachments"))
    items = []
    for message in messages:
        content = keysets.open_json(key, message, "content")
        names = [keysets.open_json(key, a, "meta").get("name", "") for a in message.attachments.all()]
        at = datetime.fromisoformat(content["at"]) if content.get("at") else None
        items.append(ThreadItem(sender=message.sender, text=content.get("text", ""), at=at, attachments=names))
    items.sort(key=lambda item: item.at or datetime.min.replace(tzinfo=UTC))
    return items


def mailbox_send(state: MailboxState, *, text: str, uploads: Sequence[CleanFile]) -> None:
    """A message from the person. Under the duress code it is accepted and dropped: there is no key to seal it."""
    if state.key is None:
        return
    now = timezone.now()
    day = _today()
    with transaction.atomic():
        request = Request.objects.select_for_update().get(pk=state.request.pk)
        message = Message(request=request, key_set=request.key_set, sender=Message.Sender.REQUESTER, sent_on=day)
        keysets.seal_json(state.key, message, "content", {"text": text, "at": now.isoformat()})
        message.save(force_insert=True)
        _attach(request=request, key=state.key, message=message, uploads=uploads, day=day)
        Request.objects.filter(pk=request.pk).update(awaiting_reply=True, last_activity_on=day)
        activity_alert(
            kind=StaffAlert.Kind.NEW_MESSAGE, recipient_ids=_holders(request.key_set), reference=request.reference
        )


def mailbox_checkin(state: MailboxState) -> datetime:
    """ "I am safe". Under the duress code it is recorded as an emergency and alerts the case's staff."""
    with transaction.atomic():
        if state.duress:
            _duress_checkin(state.request)
        else:
            from ferry.cases.checkins import (
                services as checkins,  # cases build on intake; this one call goes the other way
            )

            at = timezone.now()
            CheckIn.objects.create(
                request=state.request, at=at, kind=CheckIn.Kind.SAFE, source=CheckIn.Source.REQUESTER
            )
            checkins.from_requester(request=state.request, kind=CheckIn.Kind.SAFE, at=at)
    return timezone.now()


def mailbox_last_checkin(state: MailboxState) -> datetime | None:
    if state.duress:
        return None
    return (
        CheckIn.objects.filter(request=state.request, kind=CheckIn.Kind.SAFE)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def mailbox_close(token: str) -> None:
    session_id = (token or "").partition(".")[0]
    MailboxSession.objects.filter(id=_session_id(session_id)).delete()
