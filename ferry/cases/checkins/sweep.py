"""The worker's minute sweep over check-in plans: due, overdue, escalation, lost contact. It never holds a key.
Nobody is called lost while the intake was refusing receipt-code look-ups: the hotline is told of the attack.

Set-based: one index look-up finds the plans whose next step has come; they are read as plain columns and
moved in chunks. Each chunk moves its plans and raises their alerts in one transaction, and every alert
carries a dedup key (plan, due time, step) under a unique constraint: a sweep killed half-way leaves each
chunk done or not done, and the next sweep finishes the rest without raising anything twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import F, Field, Q

from ferry.accounts.alerts import NewAlert, alerts_raise_once
from ferry.accounts.models import Role, StaffAlert
from ferry.audit.services import audit_record
from ferry.cases.checkins import schedule
from ferry.cases.checkins.services import caseworkers, recipients, with_role
from ferry.cases.models import CheckInPlan
from ferry.intake.limits import lookups_refused_since

CHUNK = 500
KIND = {
    "due": StaffAlert.Kind.CHECKIN_DUE,
    "step1": StaffAlert.Kind.CHECKIN_OVERDUE,
    "step2": StaffAlert.Kind.CHECKIN_ESCALATED,
    "step3": StaffAlert.Kind.CHECKIN_ESCALATED,
    "lost": StaffAlert.Kind.CHECKIN_LOST,
    "attack": StaffAlert.Kind.INTAKE_ATTACK,
}
# While the intake refuses receipt-code look-ups (a flood of guesses), a person may have tried to say "I am safe"
# and been turned away: their plan is held short of lost contact and looked at again an hour later.
HOLD = timedelta(hours=1)
_COLUMNS = (
    "pk",
    "case_id",
    "case__reference",
    "case__closed_at",
    "case__shredded_at",
    "interval_minutes",
    "grace_minutes",
    "lost_after_missed",
    "quiet_start",
    "quiet_end",
    "time_zone",
    "next_due_at",
    "state",
    "escalation_step",
)
_MOVED = ("state", "escalation_step", "missed", "next_action_at", "active", "updated_at")


@lru_cache(maxsize=512)
def rules(
    *, interval: int, grace: int, lost_after: int, quiet_start: time | None, quiet_end: time | None, tz: str
) -> schedule.Rules:
    """A plan's timings as schedule rules (many plans share them, so they are built once)."""
    quiet = None
    if quiet_start is not None and quiet_end is not None:
        quiet = schedule.Quiet(quiet_start, quiet_end, schedule.zone(tz))
    return schedule.Rules(
        interval=timedelta(minutes=interval), grace=timedelta(minutes=grace), lost_after=max(lost_after, 1), quiet=quiet
    )


@dataclass
class Move:
    pk: int
    case_id: Any
    reference: str
    due_at: datetime
    state: str
    step: int
    missed: int
    next_action_at: datetime | None
    active: bool
    hit: schedule.Raise | None


def sweep_plans(now: datetime) -> int:
    """Move every active plan whose next step has come; returns how many moved."""
    active = CheckInPlan.objects.filter(active=True)
    # A plan written without a next step time (an import, an older version) that is not due yet just waits
    # for its due time: one statement, not a read of each.
    unscheduled = active.filter(next_action_at__isnull=True).exclude(state=schedule.LOST)
    if unscheduled.exists():
        unscheduled.filter(state=schedule.OK, next_due_at__gt=now).update(next_action_at=F("next_due_at"))
    ids = set(active.filter(next_action_at__lte=now).values_list("pk", flat=True))
    ids |= set(unscheduled.values_list("pk", flat=True))
    if not ids:
        return 0
    people = {"coordinators": with_role(Role.COORDINATOR), "admins": with_role(Role.ADMINISTRATOR)}
    ordered = sorted(ids)
    return sum(_chunk(ordered[start : start + CHUNK], now, people) for start in range(0, len(ordered), CHUNK))


def _chunk(ids: list[int], now: datetime, people: dict[str, set[int]]) -> int:
    """Move one chunk of plans and raise their alerts in one transaction: both happen, or neither."""
    with transaction.atomic():
        # PostgreSQL: rows another sweep holds are skipped, it moves them. SQLite: the transaction holds the
        # write lock from its start (ferry.config), so nobody moves these plans meanwhile.
        rows = (
            CheckInPlan.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, active=True)
            .filter(Q(next_action_at__lte=now) | Q(next_action_at__isnull=True))
            .values_list(*_COLUMNS)
        )
        moves = [_move(row, now) for row in rows]
        _save(moves, now)
        _raise([m for m in moves if m.hit is not None], now, people)
        if moves:
            # One entry per chunk, not per plan: machine moves would otherwise flood the chain (100,000 plans
            # make several each a day). Which case was escalated to whom, and when, is in the alerts.
            audit_record(action="checkin.sweep", object_type="checkin_plan", object_id=str(len(moves)))
    return len(moves)


def _move(row: tuple[Any, ...], now: datetime) -> Move:
    pk, case_id, reference, closed_at, shredded_at, interval, grace, lost_after, qs, qe, tz, due, state, step = row
    if closed_at is not None or shredded_at is not None:
        # A closed case's plan stops; reopening the case and saving the plan starts it again.
        return Move(pk, case_id, reference, due, state, step, 0, None, False, None)
    timings = rules(interval=interval, grace=grace, lost_after=lost_after, quiet_start=qs, quiet_end=qe, tz=tz)
    new = schedule.position(timings, due, now)
    if new.state == schedule.LOST and state != schedule.LOST and _intake_refused(due, timings, now):
        missed = min(new.missed, timings.lost_after - 1)
        attack = schedule.Raise("attack", 2)
        return Move(pk, case_id, reference, due, schedule.OVERDUE, new.step, missed, now + HOLD, True, attack)
    hit = schedule.alert_for(old_state=state, old_step=step, new=new)
    return Move(pk, case_id, reference, due, new.state, new.step, new.missed, new.next_action_at, True, hit)


def _intake_refused(due: datetime, timings: schedule.Rules, now: datetime) -> bool:
    """Whether the intake refused look-ups since the check-in fell due, within the last interval: once a whole
    interval has passed without refusals, the person had their chance to check in."""
    return lookups_refused_since(max(due, now - timings.interval))


def _save(moves: list[Move], now: datetime) -> None:
    """Write the moves with one statement per chunk on PostgreSQL (UPDATE ... FROM VALUES) and one prepared
    statement run for all on SQLite: bulk_update's CASE per row is quadratic."""
    if not moves:
        return
    ops = connection.ops
    table = ops.quote_name(CheckInPlan._meta.db_table)
    names = [ops.quote_name(cast(Field, CheckInPlan._meta.get_field(f)).column) for f in _MOVED]
    pk_column = ops.quote_name(CheckInPlan._meta.pk.column)
    stamp = ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = "(%s::bigint, %s::varchar, %s::smallint, %s::smallint, %s::timestamptz, %s::boolean)"
            state, step, missed, action, active, updated = names
            cursor.execute(
                f"UPDATE {table} AS p SET {state} = v.state, {step} = v.step, {missed} = v.missed, "  # noqa: S608 - model names
                f"{action} = v.action, {active} = v.active, {updated} = %s "
                f"FROM (VALUES {', '.join([casts] * len(moves))}) AS v(id, state, step, missed, action, active) "
                f"WHERE p.{pk_column} = v.id",
                [stamp, *(x for m in moves for x in (m.pk, m.state, m.step, m.missed, m.next_action_at, m.active))],
            )
            return
        columns = ", ".join(f"{name} = %s" for name in names)
        params = [
            (m.state, m.step, m.missed, ops.adapt_datetimefield_value(m.next_action_at), m.active, stamp, m.pk)
            for m in moves
        ]
        cursor.executemany(f"UPDATE {table} SET {columns} WHERE {pk_column} = %s", params)  # noqa: S608 - model names


def _raise(moves: list[Move], now: datetime, people: dict[str, set[int]]) -> None:
    workers = caseworkers({m.case_id for m in moves})
    alerts = []
    for move in moves:
        assert move.hit is not None  # noqa: S101 - filtered by the caller
        dedup = f"checkin:{move.pk}:{int(move.due_at.timestamp())}:{move.hit.code}"
        who = recipients(move.hit.level, workers.get(move.case_id, set()), people["coordinators"], people["admins"])
        alerts += [
            NewAlert(
                kind=KIND[move.hit.code],
                recipient_id=pk,
                reference=move.reference,
                dedup_key=dedup,
                email=move.hit.code != "due",  # a reminder inside the grace period wakes nobody
            )
            for pk in sorted(who)
        ]
    alerts_raise_once(alerts, at=now)
