"""The refusals every service raises, mapped once to pages (core.middleware) and, later, to the API.

Messages are translated and hold no personal data: they are shown to the person who asked."""

from __future__ import annotations


class FerryError(Exception):
    """A refusal the user can act on (a form error on an action page)."""


class NotFound(FerryError):
    """Missing, or not for this user (no grant, no role): the same answer for all three, on purpose."""


class Refused(FerryError):
    """The user's role does not allow this (403), checked before anything is looked up, so the answer is the
    same whatever record the address names."""


class Conflict(FerryError):
    """Somebody changed the record since the page was shown (optimistic locking)."""
