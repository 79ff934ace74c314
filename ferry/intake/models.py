"""Anonymous requests for help, their mailboxes, messages, attachments and check-ins.

In clear: the reference, urgency, status, the day (never the time) of arrival, flags, and the links
between a request and its two key sets. Two compartments, so a receipt code opens only what the person
was shown: the request's own key set (the form's details, the files sent with it, staff notes; later the
whole case) is sealed to staff and the escrow key only, never to the person; the conversation key set
(messages both ways and their files) is also sealed to the person's receipt-code key.
Rows a person creates carry dates, not times: a seized database must not tell when someone wrote.
Check-ins are the exception the check-in plan needs; they carry their time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ferry.vault.models import OrderFree, SealedField, SealedRecord, random_id


class Urgency(models.TextChoices):
    NOW = "now", _("In danger now")
    SOON = "soon", _("Soon: within days")
    LATER = "later", _("Not immediately")


URGENCY_ORDER = {Urgency.NOW: 0, Urgency.SOON: 1, Urgency.LATER: 2}


class Request(OrderFree, SealedRecord):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("In conversation")
        ACCEPTED = "accepted", _("Accepted into a case")
        DUPLICATE = "duplicate", _("Duplicate")
        DECLINED = "declined", _("Declined")

    class DeclineReason(models.TextChoices):
        SPAM = "spam", _("Spam or abuse")
        OUT_OF_SCOPE = "out_of_scope", _("Outside what we can help with")
        UNVERIFIABLE = "unverifiable", _("Could not be verified")
        NO_CONTACT = "no_contact", _("No way to reach the person")
        OTHER = "other", _("Other reason")

    reference = models.CharField(max_length=7, unique=True)
    # The person's compartment: messages and their files. Empty only before the split migration ran.
    conversation = models.ForeignKey("vault.KeySet", on_delete=models.PROTECT, null=True, related_name="+")
    urgency = models.CharField(max_length=8, choices=Urgency.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    received_on = models.DateField()
    details = SealedField()
    awaiting_reply = models.BooleanField(default=True)
    last_activity_on = models.DateField()
    entrapment_flag = models.BooleanField(default=False)
    entrapment_note = SealedField()
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, related_name="+")
    decline_reason = models.CharField(max_length=15, choices=DeclineReason.choices, blank=True)
    decline_note = SealedField()
    contacts_indexed = models.BooleanField(default=False)
    # Arrived past the hourly cap: kept and sealed like any other, marked so the hotline sees a flood as such.
    overflow = models.BooleanField(default=False)
    # Files kept for this request and its messages, in KiB rounded up to 64 KiB per file: its storage allowance.
    storage_kib = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["status", "urgency", "received_on"])]

    def __str__(self) -> str:
        return self.reference


class Mailbox(OrderFree, models.Model):
    """How the person finds their request again: a locator in clear, and what their receipt code derives.

    The duress code has a locator of its own (random when there is none, so every row looks alike): whoever
    holds the duress code does not learn the digits that find the real code's mailbox. `opened` says the
    mailbox was opened once (with either code): such a mailbox may use the look-up reserve during a flood."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="mailbox")
    locator = models.CharField(max_length=6, unique=True)
    duress_locator = models.CharField(max_length=6, unique=True, null=True)
    opened = models.BooleanField(default=False)
    kdf = models.JSONField()
    public_key = models.BinaryField()
    duress_check = models.BinaryField()
    # The decoy mailbox the duress code opens: what was typed under it, sealed under a key derived from the
    # duress code alone (vault.requester), so a captor sees their test message come back. Staff never read it.
    decoy = models.BinaryField(null=True)


class MailboxSession(OrderFree, models.Model):
    """An opened mailbox: the requester's private key wrapped under a key that only the page's form holds."""

    id = models.CharField(max_length=32, primary_key=True)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    wrapped_key = models.BinaryField(null=True)
    duress = models.BooleanField(default=False)
    expires_at = models.DateTimeField()


class Message(OrderFree, SealedRecord):
    class Sender(models.TextChoices):
        REQUESTER = "requester", _("The person")
        STAFF = "staff", _("Staff")
        DURESS = "duress", _("Sent with the duress code")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=10, choices=Sender.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_on = models.DateField()
    content = SealedField()


class Attachment(OrderFree, SealedRecord):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, related_name="attachments")
    file_id = models.UUIDField()
    meta = SealedField()


class ContactIndex(models.Model):
    """Blind index of one contact detail of a request, for duplicate and entrapment hints."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="contact_indexes")
    digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "digest"], name="contact_index_once")]


class CheckIn(OrderFree, models.Model):
    class Kind(models.TextChoices):
        SAFE = "safe", _("Safe")
        DURESS = "duress", _("Duress: emergency")

    class Source(models.TextChoices):
        REQUESTER = "requester", _("The person, with their code")
        STAFF = "staff", _("Recorded by staff")

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="checkins")
    at = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    source = models.CharField(max_length=10, choices=Source.choices)


class FormNonce(OrderFree, models.Model):
    """A request form that was sent, so sending the same page twice makes no second request."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    digest = models.CharField(max_length=64, unique=True)
    day = models.DateField()


class LookupThrottle(models.Model):
    """Per locator: wrong codes today (counted, never a lock: the right code always passes), and the tries this
    hour taken from the look-up reserve (its allowance). Deleted when they stop mattering."""

    locator = models.CharField(max_length=6, unique=True)
    failures = models.PositiveIntegerField(default=0)
    reserve_hour = models.DateTimeField(null=True)
    reserve_used = models.PositiveIntegerField(default=0)
    day = models.DateField()


class IntakeWindow(models.Model):
    """Counters for the current window only (submissions and refusals per hour, look-ups per minute).

    Finished hours are folded into IntakeDay, so a seized database shows counts per day, not per hour."""

    kind = models.CharField(max_length=12)
    start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "start"], name="intake_window_once")]


class IntakeDay(models.Model):
    kind = models.CharField(max_length=12)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "day"], name="intake_day_once")]
