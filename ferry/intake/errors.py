"""The intake's refusals: shown to the person (or staff member) in their language, holding no data."""

from __future__ import annotations

from ferry.core.errors import FerryError


class IntakeError(FerryError):
    """A problem the person (or staff member) can act on; the message is translated and holds no data."""


class Replayed(IntakeError):
    """The form was sent once already (its single-use token is spent)."""


class StorageFull(IntakeError):
    """The files would take the mailbox, or the whole intake, past its storage allowance."""


class Busy(IntakeError):
    """Too many look-ups at once; try again in a moment."""


class NotReady(IntakeError):
    """The intake cannot take requests yet (no escrow key, no coordinator)."""


class MailboxClosed(IntakeError):
    """The mailbox session expired, was closed, or never was."""
