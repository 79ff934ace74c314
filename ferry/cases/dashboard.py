"""What cases add to the dashboard: missed check-ins, above everything else while there are any."""

from __future__ import annotations

from ferry.accounts.http import StaffRequest
from ferry.cases.checkins import selectors as checkin_selectors
from ferry.core.dashboard import URGENT, Part

# Missed check-ins shown on the dashboard before anything else; the full list has the rest.
DASHBOARD_MISSED_ROWS = 15


def missed_part(request: StaffRequest) -> Part | None:
    missed = checkin_selectors.missed(
        ring=request.ring,
        staff=request.user,
        limit=DASHBOARD_MISSED_ROWS,
        duress=request.staff_session.duress,
    )
    if not missed.rows:
        return None
    context = {"missed": missed, "checkin_tz": checkin_selectors.staff_zone(request.user)}
    return Part(URGENT, "cases/dashboard_missed.html", context)
