"""Staff alerts (duress, lockouts, new requests and messages, check-ins): raising, listing and acknowledging them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from django.db import connection
from django.db.models import Field
from django.db.models.constants import OnConflict
from django.utils import timezone

from ferry.accounts.models import Staff, StaffAlert
from ferry.audit.services import audit_record
from ferry.vault.models import random_id

# What a person on call must read first: someone in danger now, then people gone silent, then the rest.
_URGENCY: dict[str, int] = {
    StaffAlert.Kind.CHECKIN_DURESS: 0,
    StaffAlert.Kind.REQUESTER_DURESS: 0,
    StaffAlert.Kind.DURESS: 0,
    StaffAlert.Kind.CHECKIN_LOST: 1,
    StaffAlert.Kind.INTAKE_ATTACK: 1,
    StaffAlert.Kind.CHECKIN_ESCALATED: 2,
    StaffAlert.Kind.CHECKIN_OVERDUE: 3,
}


def alerts_open(*, recipient: Staff) -> list[StaffAlert]:
    """The recipient's open alerts, the most urgent first, then the newest."""
    alerts = list(
        StaffAlert.objects.filter(recipient=recipient, acknowledged_at__isnull=True)
        .select_related("about_staff")
        .order_by("-created_at")
    )
    alerts.sort(key=lambda a: _URGENCY.get(a.kind, 9))  # stable: newest first within a rank
    return alerts


# Check-in alerts (ferry.cases.checkins) stay until someone on the case acknowledges them with a note, which
# clears them for every recipient. Missed check-ins and duress are acknowledged separately.
CHECKIN_MISSED = frozenset(
    {
        StaffAlert.Kind.CHECKIN_DUE,
        StaffAlert.Kind.CHECKIN_OVERDUE,
        StaffAlert.Kind.CHECKIN_ESCALATED,
        StaffAlert.Kind.CHECKIN_LOST,
    }
)
CHECKIN_EMERGENCY = frozenset({StaffAlert.Kind.CHECKIN_DURESS})
CHECKIN_KINDS = CHECKIN_MISSED | CHECKIN_EMERGENCY


# Alerts that a click does not clear: check-in alerts (a note on the case, for everyone alerted) and a
# colleague's duress login (a note, for everyone alerted: cases.staff_duress).
NOTE_NEEDED = CHECKIN_KINDS | {StaffAlert.Kind.DURESS}


def _about(alert: StaffAlert) -> tuple[str, Any]:
    """What an alert is about, for grouping: a case or request, a colleague (per kind), or only its kind."""
    if alert.reference:
        return ("reference", alert.reference)
    if alert.about_staff_id is not None:
        return (f"staff:{alert.kind}", alert.about_staff_id)
    return ("kind", alert.kind)


@dataclass
class AlertGroup:
    """The viewer's open alerts about one thing, the most urgent first: one entry on the dashboard."""

    alerts: list[StaffAlert]

    @property
    def first(self) -> StaffAlert:
        return self.alerts[0]

    @property
    def latest(self) -> datetime:
        return max(a.created_at for a in self.alerts)

    @property
    def day_only(self) -> bool:
        """Every alert here carries the day only (caused by what a person did): showing "midnight" would mislead."""
        return all(a.kind in DAY_ONLY for a in self.alerts)

    @property
    def duress(self) -> bool:
        return self.first.kind == StaffAlert.Kind.DURESS

    def _kinds(self, alerts: list[StaffAlert]) -> list[tuple[str, str, int]]:
        counts: dict[str, int] = {}
        for alert in alerts:
            counts[alert.kind] = counts.get(alert.kind, 0) + 1
        return [(kind, str(StaffAlert.Kind(kind).label), n) for kind, n in counts.items()]

    @property
    def checkin_kinds(self) -> list[tuple[str, str, int]]:
        """The check-in alerts' kinds (kind, label, how many), acknowledged on the case's page with a note."""
        return self._kinds([a for a in self.alerts if a.kind in CHECKIN_KINDS])

    @property
    def quick(self) -> list[StaffAlert]:
        """The alerts one click acknowledges together."""
        return [a for a in self.alerts if a.kind not in NOTE_NEEDED]

    @property
    def quick_kinds(self) -> list[tuple[str, str, int]]:
        return self._kinds(self.quick)


def alerts_grouped(*, recipient: Staff) -> list[AlertGroup]:
    """The recipient's open alerts, one group per case or request (or colleague, or kind), the group with the
    most urgent alert first, then the newest."""
    groups: dict[tuple[str, Any], AlertGroup] = {}
    for alert in alerts_open(recipient=recipient):
        groups.setdefault(_about(alert), AlertGroup(alerts=[])).alerts.append(alert)
    return list(groups.values())


def alert_acknowledge(*, recipient: Staff, alert_id: int) -> int:
    """Acknowledge one's own alert and the others of its group (same case or request, same colleague and kind,
    or same kind), with one click; alerts that need a note are left (NOTE_NEEDED). Returns how many."""
    alert = (
        StaffAlert.objects.filter(pk=alert_id, recipient=recipient, acknowledged_at__isnull=True)
        .exclude(kind__in=NOTE_NEEDED)
        .first()
    )
    if alert is None:
        return 0
    group = next((g for g in alerts_grouped(recipient=recipient) if alert in g.alerts), None)
    ids = [a.pk for a in group.quick] if group is not None else [alert.pk]
    StaffAlert.objects.filter(pk__in=ids, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=recipient
    )
    for pk in ids:
        audit_record(action="alert.acknowledge", actor_id=recipient.pk, object_type="staff_alert", object_id=pk)
    return len(ids)


def duress_alerts_open(*, recipient: Staff, about_id: int) -> bool:
    """Whether the recipient has an open alert of this colleague's duress login."""
    return StaffAlert.objects.filter(
        recipient=recipient, about_staff_id=about_id, kind=StaffAlert.Kind.DURESS, acknowledged_at__isnull=True
    ).exists()


def duress_alerts_acknowledge(*, about_id: int, by: Staff, note_event: UUID | None) -> int:
    """Acknowledge a colleague's open duress-login alerts for everyone they went to; returns how many.

    The note itself is sealed in the colleague's cases' timelines (cases.staff_duress); only one entry's id
    is kept here."""
    return StaffAlert.objects.filter(
        about_staff_id=about_id, kind=StaffAlert.Kind.DURESS, acknowledged_at__isnull=True
    ).update(acknowledged_at=timezone.now(), acknowledged_by=by, note_event=note_event)


# Kinds that pile up under a flood: one unacknowledged alert per recipient (and reference) is enough.
_COALESCED = {
    StaffAlert.Kind.NEW_REQUEST,
    StaffAlert.Kind.NEW_MESSAGE,
    StaffAlert.Kind.CHECKIN_DURESS,
    StaffAlert.Kind.INTAKE_STORAGE,
}
# Alerts caused by what a person did on the intake carry the day only, like the rest of their traces.
DAY_ONLY = {StaffAlert.Kind.NEW_REQUEST, StaffAlert.Kind.NEW_MESSAGE}


def activity_alert(*, kind: str, recipient_ids: Iterable[int], reference: str = "") -> None:
    """Raise an in-app alert for each recipient; the worker's sweep e-mails them "new activity" (no content).

    Safe inside an anonymous request: nothing is sent from it, and nothing here holds personal data."""
    ids = set(recipient_ids)
    if kind in _COALESCED:
        ids -= set(
            StaffAlert.objects.filter(
                kind=kind, reference=reference, recipient_id__in=ids, acknowledged_at__isnull=True
            ).values_list("recipient_id", flat=True)
        )
    if not ids:
        return
    now = timezone.now()
    if kind in DAY_ONLY:
        now = now.replace(hour=0, minute=0, second=0, microsecond=0)
    StaffAlert.objects.bulk_create(
        [
            StaffAlert(kind=kind, recipient_id=pk, reference=reference, created_at=now, emailed=False)
            for pk in sorted(ids)
        ]
    )


# Rows per INSERT statement: well under SQLite's and PostgreSQL's limits on parameters.
_INSERT_ROWS = 1000


@dataclass(frozen=True)
class NewAlert:
    kind: str
    recipient_id: int
    reference: str
    dedup_key: str
    email: bool = True


def alerts_raise_once(alerts: Sequence[NewAlert], *, at: datetime) -> None:
    """Raise alerts that carry a dedup key: one already raised for the same recipient and key is not raised
    again (a unique constraint), so a sweep that is run twice, or killed and rerun, never alerts anyone twice.

    One prepared INSERT for all of them: the sweep may raise thousands after the worker was down."""
    if not alerts:
        return
    ops = connection.ops
    names = ["id", "kind", "recipient", "reference", "dedup_key", "emailed", "created_at"]
    fields = [StaffAlert._meta.get_field(name) for name in names]
    columns = ", ".join(ops.quote_name(cast(Field, f).column) for f in fields)
    insert = ops.insert_statement(on_conflict=OnConflict.IGNORE)
    suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    table = ops.quote_name(StaffAlert._meta.db_table)
    stamp = ops.adapt_datetimefield_value(at)
    rows = [(random_id(), a.kind, a.recipient_id, a.reference, a.dedup_key, not a.email, stamp) for a in alerts]
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _INSERT_ROWS):
            batch = rows[start : start + _INSERT_ROWS]
            cursor.execute(
                f"{insert} {table} ({columns}) VALUES {', '.join([row] * len(batch))} {suffix}",
                [value for values in batch for value in values],
            )


def checkin_alerts_open(*, references: Iterable[str]) -> dict[str, set[str]]:
    """The kinds of open check-in alerts, for any recipient, by case reference."""
    found: dict[str, set[str]] = {}
    rows = StaffAlert.objects.filter(
        reference__in=set(references), kind__in=CHECKIN_KINDS, acknowledged_at__isnull=True
    ).values_list("reference", "kind")
    for reference, kind in rows:
        found.setdefault(reference, set()).add(kind)
    return found


def checkin_alerts_acknowledge(
    *, reference: str, kinds: Iterable[str], by: Staff | None, note_event: UUID | None
) -> int:
    """Acknowledge the case's open check-in alerts of these kinds for every recipient; returns how many."""
    return StaffAlert.objects.filter(
        reference=reference, kind__in=set(kinds) & CHECKIN_KINDS, acknowledged_at__isnull=True
    ).update(acknowledged_at=timezone.now(), acknowledged_by=by, note_event=note_event)
