"""The person's mailbox, opened with the receipt code: replies, messages, "I am safe", closing it.

Receipt codes are checked on their own bounded look-up lane, and right, wrong, unknown and duress codes
run the same derivations (tests/intake/test_timing.py counts them)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.alerts import activity_alert
from ferry.accounts.models import StaffAlert
from ferry.core.hooks import Hook
from ferry.core.text import without_bidi
from ferry.intake import limits
from ferry.intake.errors import Busy, IntakeError, MailboxClosed, StorageFull
from ferry.intake.models import CheckIn, LookupThrottle, Mailbox, MailboxSession, Message, Request
from ferry.intake.recipients import holders, intake_coordinators
from ferry.intake.submission import attachments_store, requester_profile, today
from ferry.intake.uploads import CleanFile
from ferry.vault import errors as vault_errors
from ferry.vault import keysets, requester, session

LOOKUP_WAIT_SECONDS = 1.0

# The person checked in ("I am safe", or the duress code): the cases app registers the receiver that resets
# the case's check-in plan (cases.apps); it answers True when the request is a case whose team it alerted.
PERSON_CHECKED_IN = Hook("person_checked_in")


@dataclass(frozen=True)
class MailboxAccess:
    token: str
    duress: bool


def _failure_count(locator: str, now: datetime) -> None:
    """Count a wrong code against its locator (for the day). It locks nothing: the right code always passes, and
    what slows guessing is the look-up budget (18 secret digits at its rate take longer than anyone lives)."""
    row, _created = LookupThrottle.objects.get_or_create(locator=locator, defaults={"day": now.date()})
    LookupThrottle.objects.filter(pk=row.pk).update(failures=F("failures") + 1, day=now.date())


def _wrong_code() -> IntakeError:
    return IntakeError(_("This code does not open a mailbox. Check it and try again."))


def _busy() -> Busy:
    return Busy(_("Too many people are trying codes right now. Wait a minute and try again."))


def _may_use_reserve(mailbox: Mailbox | None) -> bool:
    """A mailbox opened before, whose request the hotline has not dismissed, and that is not a new request that
    came in past the hourly cap (a flood's own mailboxes, whose codes the flooder holds, get no reserve)."""
    if mailbox is None or not mailbox.opened:
        return False
    request = mailbox.request
    if request.status in (Request.Status.DECLINED, Request.Status.DUPLICATE):
        return False
    return not (request.overflow and request.status == Request.Status.NEW)


def _admitted(code: requester.ReceiptCode, mailbox: Mailbox | None, now: datetime) -> bool:
    if limits.lookup_admitted(now):
        return True
    # The allowance is taken only when the reserve has room, so a full reserve spends nobody's tries.
    return (
        _may_use_reserve(mailbox)
        and limits.lookup_room(now, lane="reserve")
        and limits.reserve_allowance_take(code.locator, now)
        and limits.lookup_admitted(now, lane="reserve")
    )


def mailbox_open(code_text: str) -> MailboxAccess:
    """Check a receipt or duress code; every code costs the same derivation, and wrong ones are counted.

    A flood of guesses can fill the general share of the look-up budget, never the reserve that mailboxes
    opened before draw on; look-ups refused for the budget mark the hour for the check-in sweep."""
    code = requester.code_parse(code_text)
    if code is None:
        if any(ch.isalpha() for ch in code_text):
            raise IntakeError(
                _("A code in words has seven words from the list it was given in. Check it and try again.")
            )
        raise IntakeError(_("A code has 24 digits. Check it and try again."))
    now = timezone.now()
    mailbox = (
        Mailbox.objects.select_related("request")
        .filter(Q(locator=code.locator) | Q(duress_locator=code.locator))
        .first()
    )
    if not _admitted(code, mailbox, now):
        limits.lookups_refused_mark(now)
        raise _busy()
    try:
        if mailbox is None:
            requester.dummy_open(profile=requester_profile(), timeout=LOOKUP_WAIT_SECONDS)
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
        limits.lookups_refused_mark(now)
        raise _busy() from None
    if opened is not None and not opened.duress and mailbox is not None and code.locator != mailbox.locator:
        opened = None  # the duress code's locator opens the duress side only
    if opened is None or mailbox is None:
        _failure_count(code.locator, now)
        raise _wrong_code()
    session_id = secrets.token_hex(16)
    # The real code's private key, or the duress code's decoy key: wrapped alike, under the form's key.
    inner = opened.private_key if opened.private_key is not None else opened.decoy_key
    assert inner is not None  # noqa: S101 - open_mailbox gives one or the other
    client_key, wrapped = session.session_wrap(private_key=inner, session_id=session_id, kind="mailbox_session")
    with transaction.atomic():
        MailboxSession.objects.create(
            id=session_id,
            mailbox=mailbox,
            wrapped_key=wrapped,
            duress=opened.duress,
            expires_at=now + timedelta(minutes=settings.FERRY_MAILBOX_IDLE_MINUTES),
        )
        if not mailbox.opened:
            Mailbox.objects.filter(pk=mailbox.pk).update(opened=True)
        if opened.duress:
            _duress_checkin(mailbox.request)
    return MailboxAccess(token=f"{session_id}.{client_key}", duress=opened.duress)


def _duress_checkin(request: Request) -> None:
    at = timezone.now()
    CheckIn.objects.create(request=request, at=at, kind=CheckIn.Kind.DURESS, source=CheckIn.Source.REQUESTER)
    if any(PERSON_CHECKED_IN.send(request=request, kind=CheckIn.Kind.DURESS, at=at)):
        return  # the request is a case: its team and the coordinators were alerted as an emergency
    activity_alert(
        kind=StaffAlert.Kind.REQUESTER_DURESS,
        recipient_ids=set(holders(request.key_set)) | set(intake_coordinators()),
        reference=request.reference,
    )


@dataclass
class MailboxState:
    session: MailboxSession
    request: Request
    key: bytes | None = field(repr=False)
    decoy_key: bytes | None = field(default=None, repr=False)
    # What the session wraps (the real code's private key, or the decoy key): to re-wrap it under a new token.
    inner: bytes | None = field(default=None, repr=False)

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
        MailboxSession.objects.select_related("mailbox__request__conversation")
        .filter(id=_session_id(session_id), expires_at__gt=now)
        .first()
    )
    closed = MailboxClosed(_("Your mailbox was closed. Enter your code again to open it."))
    if row is None or not client_key:
        raise closed
    if row.wrapped_key is None:
        raise closed
    key = decoy_key = None
    try:
        inner, _session_key = session.session_unwrap(
            client_key=client_key, wrapped=bytes(row.wrapped_key), session_id=row.id, kind="mailbox_session"
        )
        if row.duress:
            decoy_key = inner
        else:
            conversation = row.mailbox.request.conversation
            if conversation is None:
                raise closed
            key = keysets.requester_key_open(key_set=conversation, private_key=inner)
    except vault_errors.VaultError:
        raise closed from None
    MailboxSession.objects.filter(pk=row.pk).update(
        expires_at=now + timedelta(minutes=settings.FERRY_MAILBOX_IDLE_MINUTES)
    )
    return MailboxState(session=row, request=row.mailbox.request, key=key, decoy_key=decoy_key, inner=inner)


def mailbox_rotate(state: MailboxState) -> str:
    """Replace the open mailbox's session with a new one under a new token (the old token opens nothing)."""
    assert state.inner is not None  # noqa: S101 - mailbox_state always unwraps it
    session_id = secrets.token_hex(16)
    client_key, wrapped = session.session_wrap(private_key=state.inner, session_id=session_id, kind="mailbox_session")
    old = state.session
    with transaction.atomic():
        # The old session goes first: of two pages sent at once with one token, only one finds it to delete,
        # and the other is answered as a closed mailbox (nothing it carried is done twice).
        deleted, _detail = MailboxSession.objects.filter(pk=old.pk).delete()
        if not deleted:
            raise MailboxClosed(_("Your mailbox was closed. Enter your code again to open it."))
        state.session = MailboxSession.objects.create(
            id=session_id,
            mailbox_id=old.mailbox_id,
            wrapped_key=wrapped,
            duress=old.duress,
            expires_at=timezone.now() + timedelta(minutes=settings.FERRY_MAILBOX_IDLE_MINUTES),
        )
    return f"{session_id}.{client_key}"


# --- the decoy mailbox (the duress code) ---------------------------------------------------------------


def decoy_read(state: MailboxState) -> dict[str, Any]:
    """What was typed under the duress code, and its last "I am safe"; empty if nothing was."""
    assert state.decoy_key is not None  # noqa: S101 - only a duress mailbox has one
    wrapped = Mailbox.objects.filter(pk=state.session.mailbox_id).values_list("decoy", flat=True).first()
    if wrapped is None:
        return {"messages": [], "last_checkin": None}
    try:
        plain = requester.decoy_open(
            decoy_key=state.decoy_key, mailbox_id=state.session.mailbox_id, sealed=bytes(wrapped)
        )
        return dict(json.loads(plain))
    except (vault_errors.VaultError, ValueError):
        return {"messages": [], "last_checkin": None}


def _decoy_write(state: MailboxState, decoy: dict[str, Any]) -> None:
    assert state.decoy_key is not None  # noqa: S101 - only a duress mailbox has one
    plain = json.dumps(decoy, ensure_ascii=False).encode()
    sealed = requester.decoy_seal(decoy_key=state.decoy_key, mailbox_id=state.session.mailbox_id, content=plain)
    Mailbox.objects.filter(pk=state.session.mailbox_id).update(decoy=sealed)


@dataclass(frozen=True)
class ThreadItem:
    sender: str
    text: str
    at: datetime | None
    attachments: list[str]


def mailbox_thread(state: MailboxState) -> list[ThreadItem]:
    """The conversation as the person sees it; under the duress code, what was typed under it."""
    if state.duress:
        return [
            ThreadItem(
                sender=Message.Sender.REQUESTER,
                text=item["text"],
                at=datetime.fromisoformat(item["at"]),
                attachments=list(item.get("files", [])),
            )
            for item in decoy_read(state)["messages"]
        ]
    if state.key is None or state.request.conversation_id is None:
        return []
    return thread_of({state.request.conversation_id: state.key}, state.request)


def thread_of(keys: Mapping[int, bytes], request: Request) -> list[ThreadItem]:
    """The messages of a request that these keys open (by key set id), oldest first.

    The person's key opens the conversation; staff also open messages sealed before the conversation was
    split off, until conversation_settle moves them."""
    messages = list(Message.objects.filter(request=request).prefetch_related("attachments"))
    items = []
    for message in messages:
        key = keys.get(message.key_set_id)
        if key is None:
            continue
        try:
            content = keysets.open_json(key, message, "content")
        except vault_errors.VaultError:
            # Sealed under a key that a re-key replaced in the same instant: skipped, never a broken mailbox.
            continue
        names = [keysets.open_json(key, a, "meta").get("name", "") for a in message.attachments.all()]
        at = datetime.fromisoformat(content["at"]) if content.get("at") else None
        items.append(
            ThreadItem(
                sender=message.sender,
                text=without_bidi(content.get("text", "")),
                at=at,
                attachments=[without_bidi(name) for name in names],
            )
        )
    items.sort(key=lambda item: item.at or datetime.min.replace(tzinfo=UTC))
    return items


def mailbox_send(state: MailboxState, *, text: str, uploads: Sequence[CleanFile]) -> None:
    """A message from the person. Under the duress code it goes to the decoy mailbox only: shown back to
    whoever typed it (as under the real code), never to staff, and its files are not kept.
    Raises StorageFull when its files would pass the mailbox's or the intake's storage allowance."""
    if state.duress:
        with transaction.atomic():
            Mailbox.objects.select_for_update().filter(pk=state.session.mailbox_id).first()
            decoy = decoy_read(state)
            decoy["messages"].append(
                {"text": text, "at": timezone.now().isoformat(), "files": [upload.name for upload in uploads]}
            )
            _decoy_write(state, decoy)
        return
    if state.key is None:
        return
    try:
        _message_store(state, text=text, uploads=uploads)
    except StorageFull:
        limits.window_bump("refused", timezone.now())
        raise


def _message_store(state: MailboxState, *, text: str, uploads: Sequence[CleanFile]) -> None:
    assert state.key is not None  # noqa: S101 - mailbox_send checked it
    now = timezone.now()
    day = today()
    with transaction.atomic():
        request = Request.objects.select_for_update().get(pk=state.request.pk)
        conversation = request.conversation
        if conversation is None:  # pragma: no cover - mailbox_state opens no mailbox without one
            return
        message = Message(request=request, key_set=conversation, sender=Message.Sender.REQUESTER, sent_on=day)
        keysets.seal_json(state.key, message, "content", {"text": text, "at": now.isoformat()})
        message.save(force_insert=True)
        attachments_store(
            request=request, key_set=conversation, key=state.key, message=message, uploads=uploads, day=day
        )
        Request.objects.filter(pk=request.pk).update(awaiting_reply=True, last_activity_on=day)
        activity_alert(
            kind=StaffAlert.Kind.NEW_MESSAGE, recipient_ids=holders(request.key_set), reference=request.reference
        )


def mailbox_checkin(state: MailboxState) -> datetime:
    """ "I am safe". Under the duress code it is recorded as an emergency and alerts the case's staff."""
    with transaction.atomic():
        if state.duress:
            _duress_checkin(state.request)
            decoy = decoy_read(state)
            decoy["last_checkin"] = timezone.now().isoformat()
            _decoy_write(state, decoy)
        else:
            at = timezone.now()
            CheckIn.objects.create(
                request=state.request, at=at, kind=CheckIn.Kind.SAFE, source=CheckIn.Source.REQUESTER
            )
            PERSON_CHECKED_IN.send(request=state.request, kind=CheckIn.Kind.SAFE, at=at)
    return timezone.now()


def mailbox_last_checkin(state: MailboxState) -> datetime | None:
    if state.duress:
        last = decoy_read(state)["last_checkin"]
        return datetime.fromisoformat(last) if last else None
    return (
        CheckIn.objects.filter(request=state.request, kind=CheckIn.Kind.SAFE)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def mailbox_close(token: str) -> None:
    session_id = (token or "").partition(".")[0]
    MailboxSession.objects.filter(id=_session_id(session_id)).delete()
