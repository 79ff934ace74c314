"""When a check-in plan's steps fall: due, overdue, escalation, lost contact, and quiet hours. Pure: no database.

From the due time D, with grace period G and interval I (all in UTC):
- at D the check-in is due;
- at D + G it is overdue and step 1 alerts the assigned caseworkers; each further grace period adds a step
  (2: coordinators too; 3: all administrators too);
- a check-in is counted missed at D + G, D + G + I, D + G + 2I...; after `lost_after` missed, contact is lost.
Quiet hours (in the plan's time zone) postpone a step that would fall inside them to their end, and the
steps after it keep their spacing: the clock pauses while the person is known to be asleep. The due
reminder is not held back: it is shown in the app only and wakes nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

OK, DUE, OVERDUE, LOST = "ok", "due", "overdue", "lost"
LAST_STEP = 3


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


@cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(known_zones()))


def zone(name: str) -> ZoneInfo:
    """The named zone, or UTC for a name this machine does not know (display never fails on it)."""
    try:
        return ZoneInfo(name) if name in known_zones() else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Quiet:
    """Daily quiet hours [start, end) in a time zone; start after end means they cross midnight."""

    start: time
    end: time
    tz: ZoneInfo

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz).astimezone(UTC)

    def postpone(self, at: datetime) -> datetime:
        """`at`, or the end of the quiet hours it falls in."""
        local = at.astimezone(self.tz)
        clock = local.time()
        if self.start < self.end:
            if self.start <= clock < self.end:
                return self._at(local.date(), self.end)
            return at
        if clock >= self.start:
            return self._at(local.date() + timedelta(days=1), self.end)
        if clock < self.end:
            return self._at(local.date(), self.end)
        return at


@dataclass(frozen=True)
class Rules:
    interval: timedelta
    grace: timedelta
    lost_after: int
    quiet: Quiet | None = None


@dataclass(frozen=True)
class Position:
    """Where a plan stands at a moment: its state, escalation step, missed count, and when it next moves."""

    state: str
    step: int
    missed: int
    next_action_at: datetime | None


def steps(rules: Rules, due_at: datetime) -> tuple[list[datetime], list[datetime]]:
    """The times of escalation steps 1..3 and of each missed check-in up to lost contact, for one due time."""
    post: Callable[[datetime], datetime] = rules.quiet.postpone if rules.quiet else (lambda t: t)
    escalation = []
    moment = due_at
    for _step in range(LAST_STEP):
        moment = post(moment + rules.grace)
        escalation.append(moment)
    # The first miss is step 1 itself; each later one an interval after the one before, also held back by
    # quiet hours (check-ins that would fall while the person sleeps are not counted as missed).
    misses = [escalation[0]]
    for _miss in range(1, rules.lost_after):
        misses.append(post(misses[-1] + rules.interval))
    return escalation, misses


def position(rules: Rules, due_at: datetime, now: datetime) -> Position:
    if now < due_at:
        return Position(OK, 0, 0, due_at)
    escalation, misses = steps(rules, due_at)
    step = sum(1 for t in escalation if t <= now)
    missed = sum(1 for t in misses if t <= now)
    if missed >= rules.lost_after:
        return Position(LOST, step, missed, None)
    upcoming = [t for t in (*escalation, *misses) if t > now]
    return Position(OVERDUE if step else DUE, step, missed, min(upcoming))


@dataclass(frozen=True)
class Raise:
    """An alert to raise for a move: its code (for the dedup key) and how far up the chain it goes."""

    code: str
    level: int


def alert_for(*, old_state: str, old_step: int, new: Position) -> Raise | None:
    """The one alert a move calls for, at the highest level reached (a worker that was down catches up
    with one alert, not a burst of every step it slept through)."""
    if new.state == LOST:
        return Raise("lost", LAST_STEP) if old_state != LOST else None
    if new.step > old_step:
        return Raise(f"step{new.step}", new.step)
    if new.state == DUE and old_state == OK:
        return Raise("due", 0)
    return None


UNITS = {"minutes": 1, "hours": 60, "days": 1440}


def in_units(minutes: int) -> tuple[int, str]:
    """A number of minutes in the largest unit that divides it (1440 -> 1 day)."""
    for unit in ("days", "hours"):
        if minutes and minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit
    return minutes, "minutes"
