"""Check-ins: a case's plan, check-ins from the person or heard by staff, and acknowledging check-in alerts
with a note. The worker's escalation sweep is in sweep.py; when steps fall, in schedule.py."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.alerts import (
    CHECKIN_EMERGENCY,
    CHECKIN_MISSED,
    activity_alert,
    checkin_alerts_acknowledge,
    checkin_alerts_open,
)
from ferry.accounts.models import Role, Staff, StaffAlert
from ferry.audit.services import audit_record
from ferry.cases.checkins import schedule
from ferry.cases.models import Assignment, Case, CheckInPlan, CheckInRecord, Event
from ferry.cases.services import CaseError, access_case, case_bump, event_add
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing

MIN_INTERVAL = 15  # minutes: the sweep runs every minute, and a person needs time to answer
MAX_INTERVAL = 60 * 24 * 60
MIN_GRACE = 5
MAX_LOST_AFTER = 20
MAX_QUIET_HOURS = 12
FAMILIES = {"missed": CHECKIN_MISSED, "duress": CHECKIN_EMERGENCY}


# --- the plan -----------------------------------------------------------------------------------------


def check_plan(
    *,
    interval_minutes: int,
    grace_minutes: int,
    lost_after_missed: int,
    quiet_start: time | None,
    quiet_end: time | None,
    time_zone: str,
) -> None:
    """Refuse a plan that cannot work, with a reason the person setting it can act on."""
    if interval_minutes <= 0:
        raise CaseError(_("The time between check-ins must be more than zero."))
    if interval_minutes < MIN_INTERVAL:
        raise CaseError(_("Check-ins must be at least 15 minutes apart."))
    if interval_minutes > MAX_INTERVAL:
        raise CaseError(_("Check-ins must be at most 60 days apart."))
    if grace_minutes < 0:
        raise CaseError(_("The grace period cannot be negative."))
    if grace_minutes < MIN_GRACE:
        raise CaseError(_("The grace period must be at least 5 minutes."))
    if grace_minutes >= interval_minutes:
        raise CaseError(_("The grace period must be shorter than the time between check-ins."))
    if not 1 <= lost_after_missed <= MAX_LOST_AFTER:
        raise CaseError(_("Lost contact must be declared after 1 to 20 missed check-ins."))
    if (quiet_start is None) != (quiet_end is None):
        raise CaseError(_("Give both the start and the end of the quiet hours, or neither."))
    if quiet_start is not None and quiet_end is not None:
        if quiet_start == quiet_end:
            raise CaseError(_("Quiet hours must start and end at different times."))
        length = (quiet_end.hour * 60 + quiet_end.minute - quiet_start.hour * 60 - quiet_start.minute) % 1440
        if length > MAX_QUIET_HOURS * 60:
            raise CaseError(_("Quiet hours can last at most 12 hours."))
    if time_zone not in schedule.known_zones():
        raise CaseError(_("Unknown time zone. Choose one from the list."))


def plan_set(
    *,
    ring: KeyRing,
    staff: Staff,
    reference: str,
    version: int,
    interval_minutes: int,
    grace_minutes: int,
    lost_after_missed: int = 3,
    quiet_start: time | None = None,
    quiet_end: time | None = None,
    time_zone: str = "UTC",
    active: bool = True,
) -> CheckInPlan:
    """Create or change the case's check-in plan. A new (or resumed) plan counts from now; a changed interval
    counts from the last check-in, and the sweep re-reads the plan within a minute."""
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    check_plan(
        interval_minutes=interval_minutes,
        grace_minutes=grace_minutes,
        lost_after_missed=lost_after_missed,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        time_zone=time_zone,
    )
    if case.closed_at is not None and active:
        raise CaseError(_("This case is closed. Reopen it before planning check-ins."))
    now = timezone.now()
    interval = timedelta(minutes=interval_minutes)
    with transaction.atomic():
        case_bump(case, version)
        plan = CheckInPlan.objects.select_for_update().filter(case=case).first()
        if plan is None or not plan.active:
            plan = plan or CheckInPlan(case=case)
            plan.last_checkin_at = plan.last_checkin_at or now
            plan.next_due_at = now + interval
            plan.state, plan.escalation_step, plan.missed = schedule.OK, 0, 0
            plan.next_action_at = plan.next_due_at
        else:
            due = plan.last_checkin_at + interval
            if due != plan.next_due_at:
                plan.next_due_at = due
                plan.state, plan.escalation_step, plan.missed = schedule.OK, 0, 0
            plan.next_action_at = min(plan.next_due_at, now)
        plan.interval_minutes = interval_minutes
        plan.grace_minutes = grace_minutes
        plan.lost_after_missed = lost_after_missed
        plan.quiet_start, plan.quiet_end = quiet_start, quiet_end
        plan.time_zone = time_zone
        plan.active = active
        if not active:
            plan.next_action_at = None
        plan.updated_at = now
        plan.save()
        # Keys only: the timeline words them in the reader's language (cases.checkins.timeline).
        detail = {
            "interval_minutes": interval_minutes,
            "grace_minutes": grace_minutes,
            "lost_after_missed": lost_after_missed,
            "quiet": f"{quiet_start:%H:%M}-{quiet_end:%H:%M}" if quiet_start and quiet_end else "",
            "time_zone": time_zone,
            "active": active,
        }
        event_add(case=case, key=key, kind=Event.Kind.PLAN, actor=staff, detail=detail)
        audit_record(action="case.checkin_plan", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)
    return plan


# --- check-ins ----------------------------------------------------------------------------------------


def caseworkers(case_ids: set[Any]) -> dict[Any, set[int]]:
    found: dict[Any, set[int]] = {}
    rows = Assignment.objects.filter(case_id__in=case_ids, staff__is_active=True).values_list("case_id", "staff_id")
    for case_id, staff_id in rows:
        found.setdefault(case_id, set()).add(staff_id)
    return found


def with_role(role: str) -> set[int]:
    return set(Staff.objects.filter(is_active=True, roles__role=role).values_list("pk", flat=True))


def recipients(level: int, workers: set[int], coordinators: set[int], admins: set[int]) -> set[int]:
    """Who is told at an escalation level; nobody is ever left without someone told (no caseworker: coordinators)."""
    people = set(workers)
    if level >= 2 or not people:
        people |= coordinators
    if level >= schedule.LAST_STEP or not people:
        people |= admins
    return people


def _emergency(*, case: Case, by: Staff | None) -> None:
    """A duress check-in: an urgent alert now, to the caseworkers and the coordinators; quiet hours do not apply."""
    people = recipients(2, caseworkers({case.pk}).get(case.pk, set()), with_role(Role.COORDINATOR), set())
    if by is not None:
        people.discard(by.pk)  # they know already; the others must hear
    if not people:
        people = with_role(Role.ADMINISTRATOR)
    activity_alert(kind=StaffAlert.Kind.CHECKIN_DURESS, recipient_ids=people, reference=case.reference)
    audit_record(action="checkin.duress", actor_id=by.pk if by else None, object_type="case", object_id=case.pk.hex)


def _heard_from(*, case: Case, at: datetime) -> bool:
    """The person is safe as of `at`: the plan starts a new interval from then (an older check-in changes nothing)."""
    plan = CheckInPlan.objects.select_for_update().filter(case_id=case.pk).first()
    if plan is None or at <= plan.last_checkin_at:
        return False
    due = at + timedelta(minutes=plan.interval_minutes)
    CheckInPlan.objects.filter(pk=plan.pk).update(
        last_checkin_at=at,
        next_due_at=due,
        state=schedule.OK,
        escalation_step=0,
        missed=0,
        next_action_at=due if plan.active else None,
        updated_at=timezone.now(),
    )
    # "Due" was only a reminder; overdue and later alerts stay until someone writes what happened.
    checkin_alerts_acknowledge(reference=case.reference, kinds={StaffAlert.Kind.CHECKIN_DUE}, by=None, note_event=None)
    return True


def from_requester(*, request: Any, kind: str, at: datetime) -> bool:
    """The person's own check-in from the intake mailbox ("I am safe", or under their duress code).

    Returns True when the request is a case, whose team this told (the intake then raises nothing itself)."""
    case = Case.objects.filter(request_id=request.pk, shredded_at__isnull=True).first()
    if case is None:
        return False
    with transaction.atomic():
        if kind == "duress":
            _emergency(case=case, by=None)
        elif _heard_from(case=case, at=at):
            audit_record(action="checkin.requester", object_type="case", object_id=case.pk.hex)
    return True


def checkin_record(
    *,
    ring: KeyRing,
    staff: Staff,
    reference: str,
    at: datetime,
    channel: str,
    duress: bool,
    note: str = "",
) -> CheckInRecord:
    """A check-in heard by staff ("spoke by phone"). Under duress it is an emergency and never counts as safe."""
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    if channel not in CheckInRecord.Channel.values:
        raise CaseError(_("Choose how you heard from the person."))
    now = timezone.now()
    if at > now + timedelta(minutes=5):
        raise CaseError(_("The time of the check-in is in the future. Check the date and time."))
    if at < case.created_at - timedelta(minutes=5):
        raise CaseError(_("The time of the check-in is before the case was opened. Check the date."))
    with transaction.atomic():
        record = CheckInRecord(
            case=case, key_set_id=case.key_set_id, at=at, channel=channel, duress=duress, recorded_by=staff
        )
        keysets.seal_field(key, record, "note", note)
        record.save(force_insert=True)
        detail = {"at": at.isoformat(), "channel": channel, "duress": duress, "note": note}
        event_add(case=case, key=key, kind=Event.Kind.CHECKIN, actor=staff, detail=detail)
        if duress:
            _emergency(case=case, by=staff)
        else:
            _heard_from(case=case, at=at)
        audit_record(action="case.checkin", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)
    return record


def alerts_acknowledge(*, ring: KeyRing, staff: Staff, reference: str, family: str, note: str) -> int:
    """Acknowledge the case's open check-in alerts of one family (missed, or duress) for everyone they went to.

    The note is sealed in the case's timeline; the alerts keep only that entry's id."""
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    kinds = FAMILIES.get(family)
    if kinds is None:
        raise CaseError(_("Choose which alerts to acknowledge."))
    if not note.strip():
        raise CaseError(_("Write what was done: the next person on call needs to know."))
    open_kinds = checkin_alerts_open(references=[case.reference]).get(case.reference, set()) & kinds
    if not open_kinds:
        raise CaseError(_("These alerts were already acknowledged."))
    with transaction.atomic():
        event = event_add(
            case=case,
            key=key,
            kind=Event.Kind.ALERT,
            actor=staff,
            detail={"alerts": sorted(open_kinds), "note": note},
        )
        done = checkin_alerts_acknowledge(reference=case.reference, kinds=kinds, by=staff, note_event=event.pk)
        if not done:
            # Someone acknowledged them a moment ago: undo this note rather than file it under nothing.
            raise CaseError(_("Someone else acknowledged these alerts a moment ago. Read their note."))
        audit_record(action="checkin.acknowledge", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)
    return done
