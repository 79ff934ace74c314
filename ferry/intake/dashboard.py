"""What the intake adds to the dashboard: a warning when no coordinator can read new requests.

Opening the dashboard is also when a holder of the contact-index key shares it with coordinators who lack
it (audited), so the index keeps working as coordinators join."""

from __future__ import annotations

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.core.dashboard import WARNINGS, Part
from ferry.intake.recipients import index_share, intake_coordinators


def intake_part(request: StaffRequest) -> Part | None:
    if request.ring is not None:
        index_share(ring=request.ring, staff=request.user)
    if request.user.has_role(Role.ADMINISTRATOR) and not intake_coordinators():
        return Part(WARNINGS, "intake/dashboard_no_coordinators.html")
    return None
