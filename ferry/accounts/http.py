"""The request a signed-in staff page receives, typed: its staff member, unlocked key ring and session."""

from __future__ import annotations

from django.http import HttpRequest

from ferry.accounts.models import Staff, StaffSession
from ferry.vault.keyring import KeyRing


class StaffRequest(HttpRequest):
    """Set by accounts.middleware.StaffUnlockMiddleware for every page under the staff path that a signed-in,
    unlocked staff member opens; a view decorated with core.permissions.roles only ever sees this kind."""

    user: Staff
    ring: KeyRing
    staff_session: StaffSession
