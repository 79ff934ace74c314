"""Reads for check-ins: the "missed check-ins" list (most urgent first), and how a plan reads on a page.

The list is metadata (reference, stage, risk, times); a name is shown only where the viewer holds the case's
key, and each such decryption is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.alerts import CHECKIN_EMERGENCY, checkin_alerts_open
from ferry.accounts.models import Role, Staff, StaffAlert
from ferry.audit.services import audit_record
from ferry.cases.checkins import schedule as checkin_schedule
from ferry.cases.models import Assignment, Case, CheckInPlan
from ferry.cases.selectors import RISK_ORDER
from ferry.cases.services import open_json
from ferry.core.text import without_bidi
from ferry.vault.keyring import KeyRing

MISSED_LIMIT = 200
_STATE_ORDER = {"lost": 0, "overdue": 1, "due": 2, "ok": 3}


def staff_zone(staff: Any) -> str:
    """The staff member's time zone for display, or UTC if theirs is unknown here."""
    name = getattr(staff, "time_zone", "") or "UTC"
    return name if name in checkin_schedule.known_zones() else "UTC"


@dataclass
class MissedRow:
    case: Case
    plan: CheckInPlan | None
    duress: bool = False
    duress_at: datetime | None = None
    can_open: bool = False
    name: str = ""
    assignees: list[str] = field(default_factory=list)
    open_alerts: set[str] = field(default_factory=set)

    @property
    def urgency(self) -> tuple[int, int, int, datetime]:
        """Duress first; then lost contact, overdue, due; then the highest risk; then the longest overdue."""
        state = self.plan.state if self.plan else "ok"
        since = self.plan.next_due_at if self.plan else (self.duress_at or timezone.now())
        return (0 if self.duress else 1, _STATE_ORDER.get(state, 9), RISK_ORDER.get(self.case.risk, 9), since)


@dataclass
class Missed:
    rows: list[MissedRow]
    total: int
    due: list[MissedRow]


def _scope(staff: Staff, *, duress: bool = False) -> Q | None:
    """Which cases the viewer's list covers: coordinators all; caseworkers theirs; administrators what was
    escalated to them. None: nothing. A duress session has no cases of its own, like an account that holds
    nothing: its list must not name the cases the coerced person really carries."""
    roles = staff.role_set()
    if Role.COORDINATOR in roles:
        return Q()
    parts = []
    if Role.CASEWORKER in roles and not duress:
        parts.append(Q(assignments__staff=staff))
    if Role.ADMINISTRATOR in roles:
        parts.append(Q(checkin_plan__escalation_step__gte=checkin_schedule.LAST_STEP))
        parts.append(Q(checkin_plan__state="lost"))
    if not parts:
        return None
    scope = parts[0]
    for part in parts[1:]:
        scope |= part
    return scope


def missed(
    *, ring: KeyRing | None, staff: Staff, limit: int = MISSED_LIMIT, with_due: bool = False, duress: bool = False
) -> Missed:
    """Cases whose person has gone silent or checked in under duress, the most urgent first."""
    scope = _scope(staff, duress=duress)
    if scope is None:
        return Missed(rows=[], total=0, due=[])
    states = ["overdue", "lost", *(["due"] if with_due else [])]
    # Every plan in these states is past its due time: the due-time index keeps this to the few.
    silent = (
        CheckInPlan.objects.filter(active=True, next_due_at__lte=timezone.now(), state__in=states)
        .order_by("next_due_at")
        .values_list("case_id", flat=True)[:2000]
    )
    duress_at: dict[str, datetime] = {}
    for reference, at in (
        StaffAlert.objects.filter(kind__in=CHECKIN_EMERGENCY, acknowledged_at__isnull=True)
        .order_by("created_at")
        .values_list("reference", "created_at")
    ):
        duress_at.setdefault(reference, at)
    # Open cases only; checked here rather than in SQL, where SQLite would walk every open case's index entry.
    cases = {
        c.pk: c
        for c in Case.objects.filter(Q(pk__in=list(silent)) | Q(reference__in=duress_at.keys()))
        .filter(scope)
        .select_related("stage", "key_set")
        .defer("identity", "contacts", "risk_reason")
        .distinct()
        if c.closed_at is None and c.shredded_at is None
    }
    plan_of = {p.case_id: p for p in CheckInPlan.objects.filter(case_id__in=cases.keys(), active=True)}
    rows = [
        MissedRow(
            case=c,
            plan=plan_of.get(c.pk),
            duress=c.reference in duress_at,
            duress_at=duress_at.get(c.reference),
        )
        for c in cases.values()
    ]
    rows.sort(key=lambda r: r.urgency)
    urgent = [r for r in rows if r.duress or (r.plan and r.plan.state in ("overdue", "lost"))]
    due = [r for r in rows if r not in urgent]
    shown = urgent[:limit]
    _fill(ring, staff, shown + due[:limit])
    return Missed(rows=shown, total=len(urgent), due=due[:limit])


def _fill(ring: KeyRing | None, staff: Staff, rows: list[MissedRow]) -> None:
    if not rows:
        return
    keys = ring.keys_for(r.case.key_set for r in rows) if ring is not None else {}
    alerts = checkin_alerts_open(references=[r.case.reference for r in rows])
    names: dict[Any, list[str]] = {}
    for case_id, display, email in Assignment.objects.filter(case__in=[r.case for r in rows]).values_list(
        "case_id", "staff__display_name", "staff__email"
    ):
        names.setdefault(case_id, []).append(display or email)
    for row in rows:
        row.assignees = sorted(names.get(row.case.pk, []))
        row.open_alerts = alerts.get(row.case.reference, set())
        key = keys.get(row.case.key_set_id)
        if key is None:
            continue
        row.can_open = True
        row.name = without_bidi(open_json(key, row.case, "card").get("name", ""))
        audit_record(action="checkin.missed_list", actor_id=staff.pk, object_type="case", object_id=row.case.pk.hex)


def openable(*, ring: KeyRing | None, references: set[str]) -> set[str]:
    """The references among these that the viewer can open (for the dashboard's alert links)."""
    if ring is None or not references:
        return set()
    cases = list(Case.objects.filter(reference__in=references).select_related("key_set"))
    keys = ring.keys_for(c.key_set for c in cases)
    return {c.reference for c in cases if c.key_set_id in keys}


def alerted(plan: CheckInPlan | None) -> str:
    """Who the plan's escalation has reached so far."""
    if plan is None:
        return ""
    if plan.state == "lost" or plan.escalation_step >= checkin_schedule.LAST_STEP:
        return _("The caseworkers, the coordinators and all administrators")
    if plan.escalation_step == 2:
        return _("The caseworkers and the coordinators")
    if plan.escalation_step == 1:
        return _("The caseworkers")
    return _("Nobody yet")
