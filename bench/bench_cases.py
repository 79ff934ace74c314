"""Cases at scale (issue 5): the check-in sweep over 100,000 active plans, a caseworker's "my cases" page
with 200 cases and the coordinators' board with metadata counts, over 2.2 million timeline entries.

The data comes from bench/casegen.py (seeded; every case under its own key set, sealed as the real flow
seals it): 100,000 open cases, each with an active check-in plan, and 10,000 closed ones besides (plans
stopped), 20 timeline entries per case on average; 450 caseworkers, 50 coordinators (2,200 cases each).

Sweep: first a catch-up sweep at the generation moment moves every plan already past its due time (as
after a worker outage) and raises its alerts; then the sweep is timed at the moment 3 % of the active
plans have a step due, SWEEP_RUNS times, the plans and alerts it wrote put back between runs.
Pages: through the real views with a test Client signed in through the real login pages (passphrase,
then a TOTP code), so every request unwraps the session key and opens case keys from the session's key
cache, as a browser's would; the first render, which opens every grant with X25519 and fills that cache,
is reported apart. The two pages then take turns (my cases, board, my cases, ...), so a change of load
hits both alike; each is reported as a median with its spread. A few profiled renders then show where
the time goes (logged).
PostgreSQL gets VACUUM ANALYZE after the load, as autovacuum would; SQLite nothing, as in production.
About 5 minutes of generation on 2 quiet CPUs (6 on PostgreSQL), then 1 to 2 minutes of measuring.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench import casegen
from bench.figures import Figure
from bench.samples import spread_figure, turns

NAME = "cases"

SHAPE = casegen.Shape()
WARM_UP_RENDERS = 3
RENDER_RUNS = 25
SWEEP_SHARE = 0.03  # of the active plans whose next step has come when the measured sweep runs
SWEEP_RUNS = 5

MAX_SWEEP_SECONDS = 2.0
MAX_MINE_MS = 150.0
MAX_BOARD_MS = 200.0

ROW = re.compile(r'<td><a href="/[^"]+/cases/([A-Z0-9]{3}-[A-Z0-9]{3})/">')
STAGE_COUNT = re.compile(r'<h2 id="stage-[^"]+">[^<]*<span class="hint">\((\d+)\)</span></h2>')


def log(message: str) -> None:
    print(f"bench cases: {message}", flush=True)


def database_name() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


# --- signed-in clients --------------------------------------------------------------------------------


def signed_in(member: casegen.Member) -> Any:
    """A test Client through both login steps, as a browser: session cookie plus the unlock cookie."""
    from base64 import b32decode

    from django.test import Client
    from django.urls import reverse
    from django_otp.oath import totp

    client = Client(HTTP_HOST="127.0.0.1")
    first = client.post(reverse("accounts:login"), {"email": member.email, "passphrase": casegen.PASSPHRASE})
    if first.status_code != 302:
        raise RuntimeError(f"login of {member.email}: HTTP {first.status_code}")
    code = f"{totp(b32decode(member.totp_secret)):06d}"
    second = client.post(reverse("accounts:login_code"), {"code": code})
    if second.status_code != 302:
        raise RuntimeError(f"second factor of {member.email}: HTTP {second.status_code}")
    return client


@dataclass(frozen=True)
class Rendered:
    first_ms: float  # the first visit: grants opened with X25519, the session's key cache filled
    median_ms: float
    p90_ms: float
    queries: int
    page: str
    shares: str  # where the time of a render goes, from profiled renders
    times: list[float]  # seconds of each timed render


@contextmanager
def queries_counted() -> Iterator[list[str]]:
    """The statements run on the default connection."""
    from django.db import connection

    seen: list[str] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


Get = Callable[[], tuple[float, str]]


def getter(client: Any, path: str) -> Get:
    """A timed GET of the page: seconds, and the page's text."""

    def get() -> tuple[float, str]:
        began = time.perf_counter()
        response = client.get(path)
        seconds = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
        return seconds, response.content.decode()

    return get


def render_all(pages: dict[str, tuple[Any, str]]) -> dict[str, Rendered]:
    """Each (client, path): its first visit and warm-up renders, then RENDER_RUNS timed renders with the pages
    taking turns; then its queries counted and a few renders profiled."""
    gets = {label: getter(client, path) for label, (client, path) in pages.items()}
    firsts = {label: get() for label, get in gets.items()}
    for _ in range(WARM_UP_RENDERS - 1):
        for get in gets.values():
            get()
    times: dict[str, list[float]] = {label: [] for label in gets}
    for order in turns(list(gets), RENDER_RUNS):
        for label in order:
            times[label].append(gets[label]()[0])
    rendered = {}
    for label, get in gets.items():
        with queries_counted() as seen:
            get()
        ordered = sorted(times[label])
        first_seconds, page = firsts[label]
        rendered[label] = Rendered(
            first_ms=1000 * first_seconds,
            median_ms=1000 * statistics.median(ordered),
            p90_ms=1000 * ordered[int(0.9 * (len(ordered) - 1))],
            queries=len(seen),
            page=page,
            shares=profile_shares(get),
            times=times[label],
        )
    return rendered


def _in(path: str, *names: str) -> Callable[[str, str], bool]:
    return lambda file, name: file.endswith(path) and name in names


def _database(file: str, name: str) -> bool:
    """Running statements and fetching rows (SQLite steps through a query while rows are fetched)."""
    if file.endswith("django/db/backends/utils.py"):
        return name in ("_execute", "_executemany")
    if file.endswith("psycopg/cursor.py"):
        return name.startswith("fetch")
    return name.startswith("<method 'fetch") and "of 'sqlite3.Cursor'" in name


# Where a render's time goes: the cumulative time of these functions in profiled renders.
PARTS: dict[str, Callable[[str, str], bool]] = {
    "database": _database,
    "selector": _in("ferry/cases/selectors.py", "my_cases", "board"),
    "of it key ring": _in("ferry/vault/keyring.py", "keys_for"),
    "of it cards opened": _in("ferry/cases/services.py", "open_json"),
    "template": _in("django/shortcuts.py", "render"),
    "of it filter form widgets": _in("django/forms/widgets.py", "render"),
    "session unlock": _in("ferry/accounts/sessions.py", "staff_session_ring"),
}
PROFILED_RENDERS = 3


def profile_shares(get: Callable[[], object]) -> str:
    """Renders under cProfile: the share of each part of PARTS (profiling slows Python more than the database,
    so the database's share is if anything understated)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    for _ in range(PROFILED_RENDERS):
        profiler.runcall(get)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(ct for (file, _line, name), (*_n, ct, _c) in stats.items() if _in("bench_cases.py", "get")(file, name))
    shares = []
    for label, part in PARTS.items():
        spent = sum(ct for (file, _line, name), (*_n, ct, _c) in stats.items() if part(file, name))
        shares.append(f"{label} {100 * spent / total:.0f} %")
    return ", ".join(shares)


def mine_check(page: str, generated: casegen.Generated) -> int:
    """The page lists exactly the focus caseworker's open cases; returns how many rows it shows."""
    expected = {casegen.reference_for(i) for i in generated.plan.cases_of(0, closed=False)}
    shown = set(ROW.findall(page))
    if shown != expected:
        found = len(shown & expected)
        raise RuntimeError(f"my cases shows {len(shown)} cases, {found} of the {len(expected)} expected")
    return len(shown)


def board_check(page: str, shape: casegen.Shape) -> tuple[int, int]:
    """The board counts every case by stage; returns (rows shown, cases counted)."""
    counted = sum(int(n) for n in STAGE_COUNT.findall(page))
    if counted != shape.total:
        raise RuntimeError(f"the board counts {counted} cases, not {shape.total}")
    return len(ROW.findall(page)), counted


# --- the sweep ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Swept:
    seconds: float
    moved: int
    alerts: int


def sweep_once(now: datetime, *, undo: bool) -> Swept:
    """One sweep at `now`, timed; with undo, the plans it moved and the alerts it raised are put back after,
    so the next run has the same work (audit entries stay: the log is append-only)."""
    from ferry.accounts.models import StaffAlert
    from ferry.cases.checkins.sweep import sweep_plans as sweep
    from ferry.cases.models import CheckInPlan

    due = CheckInPlan.objects.filter(active=True, **{f"{action_field()}__lte": now})
    saved = list(due.values_list(*plan_columns()))
    last_alert = StaffAlert.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    began = time.perf_counter()
    moved = sweep(now=now)
    seconds = time.perf_counter() - began
    alerts = StaffAlert.objects.filter(pk__gt=last_alert)
    raised = alerts.count()
    if undo:
        plans_restore(saved)
        alerts.delete()
    return Swept(seconds=seconds, moved=moved, alerts=raised)


def action_field() -> str:
    """The indexed time the sweep selects plans by (next_action_at), or the due time before it existed."""
    from ferry.cases.models import CheckInPlan

    names = {f.name for f in CheckInPlan._meta.concrete_fields}
    return "next_action_at" if "next_action_at" in names else "next_due_at"


def plan_columns() -> list[str]:
    from ferry.cases.models import CheckInPlan

    return [f.attname for f in CheckInPlan._meta.concrete_fields]


def plans_restore(saved: list[tuple[Any, ...]]) -> None:
    """Write the saved plan rows back, every column, through each field's own database conversion."""
    from django.db import connection, transaction

    from ferry.cases.models import CheckInPlan

    fields = CheckInPlan._meta.concrete_fields
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields[1:])
    table, pk = quote(CheckInPlan._meta.db_table), quote(fields[0].column)
    values = [
        [None if v is None else f.get_db_prep_save(v, connection) for f, v in zip(fields[1:], row[1:], strict=True)]
        + [row[0]]
        for row in saved
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", values)  # noqa: S608 - model names


def moment_with_share(after: datetime, share: float) -> tuple[datetime, int]:
    """The earliest moment after `after` by which `share` of the active plans have a step due; and how many."""
    from ferry.cases.models import CheckInPlan

    active = CheckInPlan.objects.filter(active=True)
    wanted = max(1, round(share * active.count()))
    field = action_field()
    times = list(
        active.filter(**{f"{field}__gt": after}).order_by(field).values_list(field, flat=True)[wanted - 1 : wanted]
    )
    if not times:
        raise RuntimeError(f"fewer than {wanted} plans have a step after {after}")
    return times[0], wanted


@dataclass(frozen=True)
class Sweeps:
    catch_up: Swept  # the first sweep at the generation moment: every plan already past its due time moves
    minute: Swept  # a minute later, as the worker's next sweep
    median_s: float  # at the moment SWEEP_SHARE of the plans have crossed a threshold
    runs: list[Swept]
    share_due: int
    lag: timedelta  # how long after the catch-up that moment is


def sweeps_measure(generated: casegen.Generated) -> Sweeps:
    catch_up = sweep_once(generated.now, undo=False)
    log(f"catch-up sweep at the generation moment: {catch_up.moved:,} plans moved, {catch_up.alerts:,} alerts")
    analyse()
    minute = sweep_once(generated.now + timedelta(minutes=1), undo=True)
    moment, due = moment_with_share(generated.now, SWEEP_SHARE)
    runs = [sweep_once(moment, undo=True) for _ in range(SWEEP_RUNS)]
    if len({(r.moved, r.alerts) for r in runs}) != 1 or runs[0].moved < due:
        raise RuntimeError(f"the sweep runs did different work: {[(r.moved, r.alerts) for r in runs]}")
    return Sweeps(
        catch_up=catch_up,
        minute=minute,
        median_s=statistics.median(r.seconds for r in runs),
        runs=runs,
        share_due=due,
        lag=moment - generated.now,
    )


# --- the run ------------------------------------------------------------------------------------------


def run() -> list[Figure]:
    from django.urls import reverse

    log(f"database: {database_name()}")
    generated = casegen.generate(SHAPE)
    counts = generated.counts
    log(
        f"generated in {generated.seconds:.0f} s ({generated.team_seconds:.0f} s of it making "
        f"{1 + SHAPE.coordinators + SHAPE.caseworkers} staff): "
        + ", ".join(f"{n:,} {label}" for label, n in counts.items())
    )
    casegen.check(generated)
    sweeps = sweeps_measure(generated)
    one = sweeps.runs[0]
    log(
        f"sweep {sweeps.lag.total_seconds() / 60:.0f} min after the catch-up: {one.moved:,} plans moved, "
        f"{one.alerts:,} alerts raised; runs: " + ", ".join(f"{r.seconds:.2f} s" for r in sweeps.runs)
    )

    caseworker = signed_in(generated.team.focus)
    coordinator = signed_in(generated.team.coordinators[0])
    rendered = render_all({"mine": (caseworker, reverse("cases:mine")), "board": (coordinator, reverse("cases:board"))})
    mine, board = rendered["mine"], rendered["board"]
    shown = mine_check(mine.page, generated)
    log(f"my cases: {shown} rows, {mine.queries} queries, p90 {mine.p90_ms:.0f} ms; time spent: {mine.shares}")
    rows, counted = board_check(board.page, SHAPE)
    log(
        f"board: {rows} rows shown of the coordinator's {SHAPE.total // SHAPE.coordinators:,} cases, "
        f"{counted:,} counted, {board.queries} queries, p90 {board.p90_ms:.0f} ms; time spent: {board.shares}"
    )

    entries = f"{counts['cases.event'] / 1e6:.1f} million timeline entries"
    active = f"{SHAPE.cases:,} active plans"
    return [
        Figure(
            f"generate {counts['cases.case']:,} cases ({SHAPE.cases:,} open), {entries}",
            generated.seconds,
            "s",
            "",
            True,
        ),
        Figure(
            f"check-in sweep, {one.moved:,} of {active} moved ({one.alerts:,} alerts), median of {SWEEP_RUNS}",
            sweeps.median_s,
            "s",
            f"< {MAX_SWEEP_SECONDS:.0f} s",
            sweeps.median_s < MAX_SWEEP_SECONDS,
        ),
        spread_figure("check-in sweep", [r.seconds for r in sweeps.runs]),
        Figure(f"check-in sweep a minute on ({sweeps.minute.moved:,} moved)", sweeps.minute.seconds, "s", "", True),
        Figure(
            f"catch-up sweep ({sweeps.catch_up.moved:,} moved, {sweeps.catch_up.alerts:,} alerts)",
            sweeps.catch_up.seconds,
            "s",
            "",
            True,
        ),
        Figure(
            f"my cases ({shown} cases), median of {RENDER_RUNS}",
            mine.median_ms,
            "ms",
            f"< {MAX_MINE_MS:.0f} ms",
            mine.median_ms < MAX_MINE_MS,
        ),
        Figure("my cases, first visit (X25519 per grant)", mine.first_ms, "ms", "", True),
        spread_figure("my cases", mine.times),
        Figure(
            f"board ({rows} rows, counts of {counted:,}), median of {RENDER_RUNS}",
            board.median_ms,
            "ms",
            f"< {MAX_BOARD_MS:.0f} ms",
            board.median_ms < MAX_BOARD_MS,
        ),
        Figure("board, first visit (X25519 per grant)", board.first_ms, "ms", "", True),
        spread_figure("board", board.times),
    ]


def analyse() -> None:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum would soon after a load. SQLite: nothing, as in production
    (Ferry never runs ANALYZE there)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE took {time.perf_counter() - began:.0f} s")
