"""What accounts add to the dashboard: the viewer's open alerts, and the unsplit escrow key (administrators)."""

from __future__ import annotations

from ferry.accounts import alerts
from ferry.accounts.ceremony import escrow_status
from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.core.dashboard import ALERTS, URGENT, WARNINGS, Part
from ferry.core.hooks import Hook
from ferry.vault import staffkeys

# Which alert references the viewer can open (check-in alerts link to the case only then). The cases app
# answers (cases.apps); each receiver gets the ring and the references and returns a set of them.
REFERENCES_OPENABLE = Hook("alert_references_openable")


def alerts_part(request: StaffRequest) -> Part | None:
    if request.staff_session.duress:
        # An account that holds nothing has no alerts: a duress session shows none of the coerced person's.
        return None
    open_alerts = alerts.alerts_open(recipient=request.user)
    if not open_alerts:
        return None
    checkin_refs = {a.reference for a in open_alerts if a.kind in alerts.CHECKIN_KINDS}
    openable: set[str] = set()
    for found in REFERENCES_OPENABLE.send(ring=request.ring, references=checkin_refs):
        openable |= found
    context = {
        "alerts": open_alerts,
        "checkin_kinds": alerts.CHECKIN_KINDS,
        # Alerts a person caused carry the day only: showing "midnight" would mislead.
        "day_only_kinds": ["new_request", "new_message"],
        "openable": openable,
    }
    return Part(ALERTS, "accounts/dashboard_alerts.html", context)


def pending_part(request: StaffRequest) -> Part | None:
    """A new account that administrators have not confirmed yet: its fingerprint, to read aloud to them."""
    if staffkeys.staff_key_confirmed(staff_id=request.user.pk):
        return None
    return Part(
        URGENT, "accounts/dashboard_pending.html", {"fingerprint": staffkeys.fingerprint(staff_id=request.user.pk)}
    )


def escrow_part(request: StaffRequest) -> Part | None:
    if not request.user.has_role(Role.ADMINISTRATOR):
        return None
    status = escrow_status()
    if not status.exists or status.split:
        return None
    return Part(WARNINGS + 1, "accounts/dashboard_escrow.html")
