"""What accounts add to the dashboard: the viewer's open alerts (a colleague's duress login first, with its own
instructions), and the unsplit escrow key (administrators)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ferry.accounts import alerts
from ferry.accounts.ceremony import escrow_status
from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role, Staff
from ferry.core.dashboard import ALERTS, URGENT, WARNINGS, Part
from ferry.core.hooks import Hook
from ferry.vault import staffkeys

# Which alert references the viewer can open as cases (their alerts link to the case only then). The cases app
# answers (cases.apps); each receiver gets the ring and the references and returns a set of them.
REFERENCES_OPENABLE = Hook("alert_references_openable")
# The open cases a colleague is assigned to, for the entry of their duress login: the cases app answers
# (cases.apps) with a list of CaseOfStaff for the staff id, given the viewer's ring.
STAFF_CASES = Hook("staff_cases")


@dataclass(frozen=True)
class CaseOfStaff:
    """One open case a colleague is on: metadata only (its reference, who else is assigned)."""

    reference: str
    others: list[str]
    can_open: bool


@dataclass
class DuressEntry:
    """A colleague's duress login, as a coordinator or administrator must act on it."""

    about: Staff
    since: datetime
    cases: list[CaseOfStaff] = field(default_factory=list)
    show_cases: bool = False
    error: str = ""

    @property
    def openable(self) -> int:
        return sum(1 for c in self.cases if c.can_open)


def duress_entry(request: StaffRequest, group: alerts.AlertGroup, error: str = "") -> DuressEntry:
    """The entry of one colleague's duress login; their cases are listed to coordinators (who reassign them)."""
    about = group.first.about_staff
    assert about is not None  # noqa: S101 - a duress alert always names the colleague
    cases = [c for found in STAFF_CASES.send(ring=request.ring, staff_id=about.pk) for c in found]
    return DuressEntry(
        about=about,
        since=min(a.created_at for a in group.alerts),
        cases=cases,
        show_cases=request.user.has_role(Role.COORDINATOR),
        error=error,
    )


def duress_entry_of(request: StaffRequest, about_id: int, error: str = "") -> DuressEntry | None:
    """The viewer's entry for one colleague's duress login, if the viewer has it open."""
    group = next(
        (g for g in alerts.alerts_grouped(recipient=request.user) if g.duress and g.first.about_staff_id == about_id),
        None,
    )
    return duress_entry(request, group, error) if group is not None else None


def alerts_part(request: StaffRequest) -> Part | None:
    if request.staff_session.duress:
        # An account that holds nothing has no alerts: a duress session shows none of the coerced person's.
        return None
    groups = alerts.alerts_grouped(recipient=request.user)
    if not groups:
        return None
    references = {g.first.reference for g in groups if g.first.reference}
    openable: set[str] = set()
    for found in REFERENCES_OPENABLE.send(ring=request.ring, references=references):
        openable |= found
    context = {
        "duress": [duress_entry(request, g) for g in groups if g.duress],
        "groups": [g for g in groups if not g.duress],
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
