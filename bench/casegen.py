"""Seeded bulk cases for benchmarks: staff, a key set per case sealed as the real flow seals it, timelines,
needs, tasks, staff check-ins and check-in plans. Writes to the (throwaway) database; the content comes
from bench.generator. Used by bench_cases.py; `generate(Shape(...))` for another benchmark.

The shape of each case is what the product writes (ferry.cases.services, checkins): a KeySet of purpose
"case" with three grants at generation 1 (the escrow key, the case's caseworker and one coordinator,
each an X25519 sealed box of the key); the Case with its sealed card, identity, contacts and risk reason,
each bound to its record and field by ferry.vault.keysets.seal_field; one Assignment; a timeline that
opens with "created" and "assigned" and carries the stage entered on stage events; each staff check-in
as a CheckInRecord and its Event; Needs and Tasks with sealed texts; a CheckInPlan as plan_set leaves it
(state ok, the next action at the due time), active for open cases and stopped for closed ones.
Not made: an intake Request behind each case (so no requester grant), audit entries, alerts (the first
sweep raises those, as it would after a worker outage).

How: the main process draws the plan of the whole data set from the seed (who holds which case, stages,
timeline lengths); worker processes build the rows of 1,000 cases at a time (faker text, sealing, X25519)
from a seed of their own, so the output does not depend on scheduling; the main process writes them with
executemany (COPY on PostgreSQL), ten chunks per transaction. The ORM's bulk_create costs 3x more per row;
every value still goes through its model field's get_db_prep_save. Random beyond the seed: key material
and nonces, as always; ids, references, times and texts come from the seed (times relative to `now`).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import json
import math
import multiprocessing
import os
import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from types import SimpleNamespace
from typing import Any

from bench.generator import EN, RU, Generator

PASSPHRASE = "violet harbour compass lantern 1917"  # noqa: S105 - throwaway accounts in a throwaway database
CHUNK_CASES = 1_000
CHUNKS_PER_TRANSACTION = 10
SQLITE_WRITE_CACHE_KIB = 2 * 1024 * 1024

# Synthetic mix of open stages (keys of the default pipeline; closed cases are counted apart) and risks.
OPEN_STAGE_WEIGHTS = {
    "new": 3,
    "verifying": 8,
    "accepted": 14,
    "safe_house": 14,
    "documents": 16,
    "exit": 10,
    "asylum": 12,
    "resettled": 11,
}
CLOSED = "closed"
RISK_WEIGHTS = {"critical": 5, "high": 20, "medium": 40, "low": 35}
ABROAD_STAGES = {"exit", "asylum", "resettled", CLOSED}
EARLY_STAGES = {"new", "verifying", "accepted"}  # the person is still at home
EVENT_KIND_WEIGHTS = {
    "note": 47,  # and stage moves: as many as each case's path along the pipeline takes
    "checkin": 26,
    "task": 8,
    "need": 8,
    "risk": 4,
    "plan": 2,
    "referral": 2,
    "alert": 3,
}
NEED_KINDS = ("shelter", "transport", "documents", "visa", "medical", "psychological", "money", "legal")
NEED_STATUS_WEIGHTS = {"open": 4, "in_progress": 3, "met": 3, "not_needed": 1}
CHANNEL_WEIGHTS = {"phone": 40, "messenger": 45, "in_person": 8, "third_party": 5, "other": 2}
PARTNERS = ("Civil Rights Defenders", "Memorial Human Rights Defence Centre", "SK SOS", "UNHCR Georgia")
TIME_ZONES = {
    "RU": "Europe/Moscow",
    "GE": "Asia/Tbilisi",
    "AM": "Asia/Yerevan",
    "KZ": "Asia/Almaty",
    "TR": "Europe/Istanbul",
    "LT": "Europe/Vilnius",
    "DE": "Europe/Berlin",
    "GB": "Europe/London",
    "CA": "America/Toronto",
    "US": "America/New_York",
}
SUBDIVISION_ZONES = {"RU-SVE": "Asia/Yekaterinburg"}

# Check-in plans: interval and grace (hours), missed check-ins before lost contact, quiet hours (a share).
INTERVALS = {24: 55, 12: 15, 48: 15, 72: 10, 168: 5}
GRACES = {1: 15, 2: 30, 4: 30, 6: 20, 12: 5}
LOST_AFTER = {2: 20, 3: 60, 5: 20}
QUIET_SHARE = 0.3
# Where active plans' due times fall at the generation moment, by weight: ahead (checked in within the
# interval), just due (inside the grace period), overdue (escalating step by step), long lost.
DUE_WEIGHTS = {"ahead": 88, "due": 5, "overdue": 4, "lost": 3}

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # as bench.generator's reference codes
REFERENCE_SPACE = len(REFERENCE_ALPHABET) ** 6
REFERENCE_STRIDE = 387_420_489  # 9**9: prime to 31, so i -> i * stride is a bijection of the space


def log(message: str) -> None:
    print(f"bench casegen: {message}", flush=True)


_CUMULATIVE: dict[int, tuple[list[Any], list[int]]] = {}


def weighted(rng: random.Random, table: dict[Any, int]) -> Any:
    """One key of the table, drawn by its weight."""
    found = _CUMULATIVE.get(id(table))
    if found is None:
        found = _CUMULATIVE[id(table)] = (list(table), list(itertools.accumulate(table.values())))
    keys, cumulative = found
    return keys[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


# --- the shape and the plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """How much to make. The focus caseworker (the first) holds exactly focus_open open cases."""

    cases: int = 100_000  # open cases, each with an active check-in plan
    closed: int = 10_000  # closed cases besides, their plans stopped
    events_per_case: float = 20.0  # timeline entries, on average (at least 2 per case)
    caseworkers: int = 450
    coordinators: int = 50  # case i is granted to coordinator i % coordinators
    focus_open: int = 200
    focus_closed: int = 20  # closed cases of the focus caseworker, which "my cases" must leave out
    seed: int = 1991
    workers: int = 0  # processes building rows; 0: one per CPU

    @property
    def total(self) -> int:
        return self.cases + self.closed

    @property
    def events(self) -> int:
        return round(self.total * self.events_per_case)


@dataclass(frozen=True)
class Member:
    staff_id: int
    email: str
    name: str
    public_key: bytes
    private_key: bytes  # kept for checks only: a throwaway account in a throwaway database
    totp_secret: str


@dataclass(frozen=True)
class Team:
    admin: Member
    coordinators: list[Member]
    caseworkers: list[Member]
    escrow_id: int
    escrow_public: bytes

    @property
    def focus(self) -> Member:
        """The caseworker whose caseload is exactly Shape.focus_open open cases."""
        return self.caseworkers[0]

    def coordinator_of(self, index: int) -> Member:
        return self.coordinators[index % len(self.coordinators)]


def _member(created: Any, name: str) -> Member:
    from ferry.vault.models import StaffKey

    public = bytes(StaffKey.objects.get(staff_id=created.staff.pk).public_key)
    return Member(
        staff_id=created.staff.pk,
        email=created.staff.email,
        name=name,
        public_key=public,
        private_key=created.private_key,
        totp_secret=created.totp_secret,
    )


def team_create(shape: Shape) -> Team:
    """An administrator (the escrow key), the coordinators and caseworkers, made by the real service.

    Their keys use the test-only Argon2id cost, as the tests do: deriving 500 staff keys is not measured."""
    from django.conf import settings

    from ferry.accounts.services import staff_create_active
    from ferry.vault.models import EscrowKey

    generator = Generator(seed=shape.seed + 7)
    saved = settings.FERRY_KDF_PROFILE
    settings.FERRY_KDF_PROFILE = "insecure-fast-test"
    try:

        def make(email: str, role: str) -> Member:
            name = generator.person(RU if generator.rng.random() < 0.85 else EN).full_name
            created = staff_create_active(email=email, roles=[role], passphrase=PASSPHRASE, display_name=name)
            return _member(created, name)

        admin = make("bench-admin@example.org", "administrator")
        coordinators = [make(f"bench-coord{n}@example.org", "coordinator") for n in range(shape.coordinators)]
        caseworkers = [make(f"bench-cw{n}@example.org", "caseworker") for n in range(shape.caseworkers)]
    finally:
        settings.FERRY_KDF_PROFILE = saved
    escrow = EscrowKey.objects.order_by("-created_at").get()
    return Team(
        admin=admin,
        coordinators=coordinators,
        caseworkers=caseworkers,
        escrow_id=escrow.pk,
        escrow_public=bytes(escrow.public_key),
    )


@dataclass(frozen=True)
class Plan:
    """Per case (by index): its caseworker (index into Team.caseworkers), stage key and timeline length."""

    caseworker: list[int]
    stage: list[str]
    events: list[int]

    def cases_of(self, caseworker: int, *, closed: bool) -> list[int]:
        return [i for i, w in enumerate(self.caseworker) if w == caseworker and (self.stage[i] == CLOSED) == closed]


def plan_draw(shape: Shape) -> Plan:
    rng = random.Random(shape.seed)
    n = shape.total
    stage = rng.choices(list(OPEN_STAGE_WEIGHTS), weights=list(OPEN_STAGE_WEIGHTS.values()), k=n)
    closed_cases = sorted(rng.sample(range(n), shape.closed))
    for i in closed_cases:
        stage[i] = CLOSED
    caseworker = [rng.randrange(1, shape.caseworkers) for _ in range(n)]
    open_cases = [i for i in range(n) if stage[i] != CLOSED]
    if len(open_cases) < shape.focus_open or len(closed_cases) < shape.focus_closed:
        raise ValueError("too few cases for the focus caseworker's caseload")
    for i in rng.sample(open_cases, shape.focus_open) + rng.sample(closed_cases, shape.focus_closed):
        caseworker[i] = 0
    # Timeline lengths: opened, assigned and at least one stage move past the first stage; a long tail;
    # summing to exactly shape.events.
    first = next(iter(OPEN_STAGE_WEIGHTS))
    least = [2 if s == first else 3 for s in stage]
    if shape.events < sum(least):
        raise ValueError("too few timeline entries: 2 per case, 3 past the first stage")
    mean_extra = shape.events / n - 2
    events = [max(low, 2 + round(rng.gammavariate(2.0, mean_extra / 2.0))) for low in least]
    difference = shape.events - sum(events)
    while difference:
        i = rng.randrange(n)
        if difference > 0:
            events[i] += 1
            difference -= 1
        elif events[i] > least[i]:
            events[i] -= 1
            difference += 1
    return Plan(caseworker=caseworker, stage=stage, events=events)


def reference_for(index: int) -> str:
    """A unique seven-character reference per case index (same alphabet and form as the generator's)."""
    number = (index * REFERENCE_STRIDE + 12_345_678) % REFERENCE_SPACE
    letters = []
    for _ in range(6):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    return f"{''.join(letters[:3])}-{''.join(letters[3:])}"


# --- building rows (in worker processes) ---------------------------------------------------------------


@dataclass
class Chunk:
    """Rows of some cases per model label: while built, dicts of field name to Python value; once built,
    the columns and a tuple of database values per row (prepared by each field, as the ORM would)."""

    number: int
    cases: int
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    prepared: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = field(default_factory=dict)

    def add(self, label: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(label, []).append(row)

    def prepare(self) -> None:
        for label, rows in self.rows.items():
            if rows:
                self.prepared[label] = prepare_rows(label, rows)
        self.rows = {}


# Field types whose Python values both drivers take as they are (None always passes).
PASS_THROUGH = ("CharField", "TextField", "IntegerField", "AutoField", "BooleanField", "BinaryField", "SlugField")
_converters: dict[tuple[str, tuple[str, ...]], list[tuple[int, Callable[[Any], Any]]]] = {}
# Shortcuts for the conversions that dominate (ids and times on SQLite), each checked against the field's own
# get_db_prep_save on the first values it converts; on any difference the field's conversion is used instead.
SQLITE_SHORTCUTS: dict[str, Callable[[Any], Any]] = {
    "UUIDField": lambda v: v.hex,
    "DateTimeField": lambda v: str(v.astimezone(UTC).replace(tzinfo=None)),
}
CHECKED_VALUES = 50


class _Checked:
    """A shortcut conversion, compared with the field's own for its first CHECKED_VALUES values."""

    def __init__(self, shortcut: Callable[[Any], Any], exact: Callable[[Any], Any]) -> None:
        self.shortcut, self.exact, self.left = shortcut, exact, CHECKED_VALUES

    def __call__(self, value: Any) -> Any:
        if self.left <= 0:
            return self.shortcut(value)
        self.left -= 1
        exact = self.exact(value)
        if self.shortcut(value) != exact:
            self.shortcut, self.left = self.exact, 0
        return exact


def _converters_for(label: str, names: tuple[str, ...]) -> list[tuple[int, Callable[[Any], Any]]]:
    from django.apps import apps
    from django.db import DEFAULT_DB_ALIAS, connections

    found = _converters.get((label, names))
    if found is None:
        wrapper = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-access proxy
        model, found = apps.get_model(label), []
        for i, name in enumerate(names):
            f = model._meta.get_field(name)
            kind = (f.target_field if f.is_relation else f).get_internal_type()
            if kind.endswith(PASS_THROUGH):
                continue
            exact = functools.partial(lambda v, f: f.get_db_prep_save(v, wrapper), f=f)
            shortcut = SQLITE_SHORTCUTS.get(kind) if wrapper.vendor == "sqlite" else None
            found.append((i, _Checked(shortcut, exact) if shortcut else exact))
        _converters[(label, names)] = found
    return found


def prepare_rows(label: str, rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and database values, through each field's get_db_prep_save (no database needed)."""
    from django.apps import apps

    names = tuple(rows[0])
    converters = _converters_for(label, names)
    prepared = []
    for row in rows:
        value = [row[n] for n in names]
        for i, convert in converters:
            if value[i] is not None:
                value[i] = convert(value[i])
        prepared.append(tuple(value))
    model = apps.get_model(label)
    return [model._meta.get_field(n).column for n in names], prepared


@dataclass(frozen=True)
class Job:
    number: int
    first: int  # index of the chunk's first case
    caseworker: list[int]
    stage: list[str]
    events: list[int]


@dataclass(frozen=True)
class Static:
    """What every worker needs, sent once."""

    shape: Shape
    team: Team
    now: datetime
    stages: list[tuple[str, int]]  # (key, id) of the active stages, in pipeline order
    reasons: list[tuple[str, int]]  # (key, id) of the closing reasons
    key_set_base: int  # key set ids are given, not drawn from the sequence, so workers need no database
    plan_fields: frozenset[str]  # CheckInPlan's fields, so a column added by a migration is filled if known


_static: Static | None = None
_generator: Generator | None = None


def _worker_init(static: Static) -> None:
    global _static, _generator  # noqa: PLW0603 - one per worker process
    _static = static
    _generator = Generator(seed=static.shape.seed)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class _Sealable(SimpleNamespace):
    """Stands in for a model instance in keysets.seal_field: the same _meta and pk, so the same context."""


def _sealed(key: bytes, meta: Any, pk: Any, name: str, text: str) -> bytes:
    from ferry.vault import keysets

    holder = _Sealable(_meta=meta, pk=pk)
    keysets.seal_field(key, holder, name, text)
    return getattr(holder, name)  # type: ignore[no-any-return]


def _json(value: dict[str, Any]) -> str:
    """As ferry.cases.services seals JSON fields."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def chunk_build(job: Job) -> Chunk:
    if _static is None or _generator is None:
        raise RuntimeError("chunk_build runs in a worker started by generate()")
    return _Builder(_static, _generator, job).build()


@dataclass(frozen=True)
class _One:
    """One case being built: what its timeline, needs, tasks and plan need to know."""

    key: bytes
    case_id: uuid.UUID
    key_set_id: int
    locale: str
    stage: str
    opened: datetime
    closed_at: datetime | None
    caseworker: Member
    coordinator: Member


class _Builder:
    def __init__(self, static: Static, generator: Generator, job: Job) -> None:
        from ferry.cases.models import Case, CheckInRecord, Event, Need, Task

        self.s = static
        self.job = job
        seed = static.shape.seed * 1_000_003 + job.number
        generator.rng.seed(seed)
        generator.fakers[RU].seed_instance(seed)
        generator.fakers[EN].seed_instance(seed + 1)
        self.g = generator
        self.rng = generator.rng
        self.meta = {
            "case": Case._meta,
            "event": Event._meta,
            "need": Need._meta,
            "task": Task._meta,
            "record": CheckInRecord._meta,
        }
        self.stage_ids = dict(static.stages)
        self.open_path = [key for key, _id in static.stages if key != CLOSED]
        self.chunk = Chunk(number=job.number, cases=len(job.stage))
        # Text pools for this chunk: drawing 20 paragraphs per case from faker would dominate the build.
        self.notes = {loc: [generator.narrative(loc, self.rng.randint(1, 4)) for _ in range(120)] for loc in (RU, EN)}
        self.short = {
            loc: [generator.fakers[loc].sentence(nb_words=self.rng.randint(3, 8)) for _ in range(80)]
            for loc in (RU, EN)
        }

    def build(self) -> Chunk:
        from ferry.vault import crypto

        for offset, stage in enumerate(self.job.stage):
            index = self.job.first + offset
            self.case(index, stage, crypto.random_key(), self.job.caseworker[offset], self.job.events[offset])
        for label in ("cases.event", "cases.need", "cases.task", "cases.checkinrecord"):
            # By id: a chunk's cases interleaved (as time interleaves them), and primary keys in order.
            self.chunk.rows.get(label, []).sort(key=lambda row: row["id"].int)
        self.chunk.prepare()
        return self.chunk

    def text(self, locale: str, short: bool = False) -> str:
        return self.rng.choice((self.short if short else self.notes)[locale])

    def case(self, index: int, stage: str, key: bytes, worker_index: int, event_count: int) -> None:
        from ferry.vault import crypto

        s, rng, now = self.s, self.rng, self.s.now
        # As Generator.case() draws a story, without the title and narrative nothing here shows.
        person = self.g.person()
        locale = person.locale
        summary = self.g.fakers[locale].text(max_nb_chars=200).replace("\n", " ")
        caseworker, coordinator = s.team.caseworkers[worker_index], s.team.coordinator_of(index)
        opened = now - timedelta(days=rng.uniform(0.5, 3 * 365))
        key_set_id = s.key_set_base + index
        self.chunk.add(
            "vault.keyset",
            {
                "id": key_set_id,
                "purpose": "case",
                "generation": 1,
                "created_at": opened,
                "shredded_at": None,
                "rekey_needed": False,
            },
        )
        for recipient, public in (
            ({"escrow_id": s.team.escrow_id}, s.team.escrow_public),
            ({"staff_id": caseworker.staff_id}, caseworker.public_key),
            ({"staff_id": coordinator.staff_id}, coordinator.public_key),
        ):
            # Grants have random ids in Ferry (vault.models.random_id); drawn from the seeded generator.
            grant = {"id": rng.getrandbits(62) + 1, "key_set_id": key_set_id, "staff_id": None, "escrow_id": None}
            grant["requester_key"] = None
            grant |= {"generation": 1, "sealed_key": crypto.seal_to(public, key), "created_at": opened, **recipient}
            self.chunk.add("vault.grant", grant)

        times = sorted(opened + (now - opened) * rng.random() ** 0.7 for _ in range(event_count - 2))
        case_id = _uuid(rng)
        abroad = rng.choice(list(TIME_ZONES)[1:])
        if stage in ABROAD_STAGES:
            where = self.g.place(abroad)
        else:
            where = person.home if stage in EARLY_STAGES else self.g.place()
        risk = weighted(rng, RISK_WEIGHTS)
        one = _One(key, case_id, key_set_id, locale, stage, opened, None, caseworker, coordinator)
        last, stage_changed = self.events(one, times)
        closed_at = stage_changed if stage == CLOSED else None
        one = dataclasses.replace(one, closed_at=closed_at)
        m = self.meta["case"]
        card = {"name": person.full_name, "summary": summary.split(". ")[0][:140]}
        contacts = {
            "phone": person.phone.typed,
            "handle": person.telegram,
            "email": f"{person.telegram[1:]}@example.org" if rng.random() < 0.3 else "",
            "country": where.country,
            "region": where.subdivision,
            "place": where.city,
        }
        self.chunk.add(
            "cases.case",
            {
                "id": case_id,
                "reference": reference_for(index),
                "key_set_id": key_set_id,
                "request_id": None,
                "stage_id": self.stage_ids[stage],
                "risk": risk,
                "risk_reason": _sealed(key, m, case_id, "risk_reason", self.text(locale, short=True)),
                "card": _sealed(key, m, case_id, "card", _json(card)),
                "identity": _sealed(key, m, case_id, "identity", _json({"name": person.full_name})),
                "contacts": _sealed(key, m, case_id, "contacts", _json(contacts)),
                "closing_reason_id": rng.choice(s.reasons)[1] if closed_at else None,
                "destination_country": where.country if stage in ABROAD_STAGES and where.country != "RU" else "",
                "created_at": opened,
                "updated_at": last,
                "stage_changed_at": stage_changed,
                "closed_at": closed_at,
                "shredded_at": None,
                "version": 1 + rng.randrange(8),
            },
        )
        self.chunk.add(
            "cases.assignment",
            {
                "case_id": case_id,
                "staff_id": caseworker.staff_id,
                "assigned_by_id": coordinator.staff_id,
                "assigned_at": opened,
            },
        )
        self.needs(one, last)
        self.tasks(one)
        zone = SUBDIVISION_ZONES.get(where.subdivision, TIME_ZONES.get(where.country, "UTC"))
        self.plan(one, zone)

    def stage_moves(self, stage: str, available: int) -> list[tuple[str, str]]:
        """(from, to) of the case's stage moves along the pipeline, ending at its stage; with fewer timeline
        entries than moves, the first move skips ahead."""
        if stage == CLOSED:
            path = [*self.open_path[: self.rng.randint(1, len(self.open_path))], CLOSED]
        else:
            path = self.open_path[: self.open_path.index(stage) + 1]
        count = min(len(path) - 1, available)
        return list(itertools.pairwise([path[0], *path[len(path) - count :]])) if count else []

    def events(self, one: _One, times: list[datetime]) -> tuple[datetime, datetime]:
        """The timeline; returns when the case last changed and when it entered its stage."""
        rng, locale, s = self.rng, one.locale, self.s
        caseworker, coordinator = one.caseworker, one.coordinator
        # Every stage move is a timeline entry, at random places in it; other kinds are drawn by weight.
        moves = self.stage_moves(one.stage, len(times))
        kinds = [weighted(rng, EVENT_KIND_WEIGHTS) for _ in times]
        for i in rng.sample(range(len(times)), len(moves)):
            kinds[i] = "stage"
        first_stage = self.open_path[0]
        entries: list[tuple[str, datetime, int, dict[str, Any], str | None]] = [
            ("created", one.opened, coordinator.staff_id, {}, first_stage),
            ("assigned", one.opened + timedelta(seconds=1), coordinator.staff_id, {"staff": caseworker.name}, None),
        ]
        stage_changed = one.opened
        moves_left = iter(moves)
        for kind, at in zip(kinds, times, strict=True):
            actor = caseworker.staff_id if rng.random() < 0.85 else coordinator.staff_id
            stage = None
            if kind == "stage":
                before, stage = next(moves_left)
                reason = rng.choice(s.reasons)[0] if stage == CLOSED else ""
                detail = {"from": before, "to": stage, "reason": reason, "note": ""}
                stage_changed = at
            elif kind == "checkin":
                detail = self.checkin(one, at, actor)
            else:
                detail = self.detail(kind, locale, at)
            entries.append((kind, at, actor, detail, stage))
        m = self.meta["event"]
        for kind, at, actor, detail, stage in entries:
            event_id = _uuid(rng)
            self.chunk.add(
                "cases.event",
                {
                    "id": event_id,
                    "case_id": one.case_id,
                    "key_set_id": one.key_set_id,
                    "kind": kind,
                    "at": at,
                    "actor_id": actor,
                    "detail": _sealed(one.key, m, event_id, "detail", _json(detail)),
                    "stage_id": self.stage_ids[stage] if stage else None,
                },
            )
        return entries[-1][1], stage_changed

    def detail(self, kind: str, locale: str, at: datetime) -> dict[str, Any]:
        """What the services seal for an entry of this kind (stage moves and check-ins apart)."""
        rng = self.rng
        short = self.text(locale, short=True)
        made: dict[str, Callable[[], dict[str, Any]]] = {
            "note": lambda: {"text": self.text(locale)},
            "task": lambda: {"title": short, "due": (at + timedelta(days=7)).date().isoformat()},
            "need": lambda: {"kind": rng.choice(NEED_KINDS), "status": weighted(rng, NEED_STATUS_WEIGHTS)},
            "risk": lambda: {"risk": weighted(rng, RISK_WEIGHTS), "reason": short},
            "plan": lambda: {"interval_minutes": 1440, "grace_minutes": 240, "lost_after_missed": 3, "active": True},
            "referral": lambda: {"partner": rng.choice(PARTNERS), "status": "sent"},
            "alert": lambda: {"alerts": ["checkin_overdue"], "text": "", "note": short},
        }
        return made[kind]()

    def checkin(self, one: _One, at: datetime, actor: int) -> dict[str, Any]:
        """A check-in heard by staff: its record (with the sealed note) and the timeline entry's detail."""
        rng = self.rng
        channel = weighted(rng, CHANNEL_WEIGHTS)
        note = self.text(one.locale, short=True) if rng.random() < 0.5 else ""
        record_id = _uuid(rng)
        self.chunk.add(
            "cases.checkinrecord",
            {
                "id": record_id,
                "case_id": one.case_id,
                "key_set_id": one.key_set_id,
                "at": at,
                "channel": channel,
                "duress": False,
                "recorded_by_id": actor,
                "note": _sealed(one.key, self.meta["record"], record_id, "note", note),
            },
        )
        return {"at": at.isoformat(), "channel": channel, "duress": False, "note": note, "text": channel}

    def needs(self, one: _One, last: datetime) -> None:
        rng, m = self.rng, self.meta["need"]
        for kind in rng.sample(NEED_KINDS, rng.choice((0, 1, 2, 2, 3, 4))):
            need_id = _uuid(rng)
            self.chunk.add(
                "cases.need",
                {
                    "id": need_id,
                    "case_id": one.case_id,
                    "key_set_id": one.key_set_id,
                    "kind": kind,
                    "status": weighted(rng, NEED_STATUS_WEIGHTS),
                    "detail": _sealed(one.key, m, need_id, "detail", self.text(one.locale, short=True)),
                    "updated_at": last,
                },
            )

    def tasks(self, one: _One) -> None:
        rng, m, now, opened = self.rng, self.meta["task"], self.s.now, one.opened
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            task_id = _uuid(rng)
            created = opened + (now - opened) * rng.random()
            due = (created + timedelta(days=rng.randint(1, 30))).date()
            done = one.closed_at is not None or rng.random() < 0.6
            self.chunk.add(
                "cases.task",
                {
                    "id": task_id,
                    "case_id": one.case_id,
                    "key_set_id": one.key_set_id,
                    "title": _sealed(one.key, m, task_id, "title", self.text(one.locale, short=True)),
                    "due_on": due,
                    "owner_id": one.caseworker.staff_id,
                    "created_at": created,
                    "done_at": min(now, created + timedelta(days=rng.uniform(0.1, 20))) if done else None,
                },
            )

    def plan(self, one: _One, zone: str) -> None:
        """The check-in plan as plan_set and check-ins leave it: state ok, the next action at the due time.

        Due times are spread by DUE_WEIGHTS, so a sweep at `now` finds plans due, overdue, escalating, lost."""
        rng, now = self.rng, self.s.now
        interval = timedelta(hours=weighted(rng, INTERVALS))
        grace = min(timedelta(hours=weighted(rng, GRACES)), interval / 2)
        lost_after = weighted(rng, LOST_AFTER)
        quiet = rng.random() < QUIET_SHARE
        where = weighted(rng, DUE_WEIGHTS)
        if where == "ahead":
            due = now + interval * (1 - rng.random())
        elif where == "due":
            due = now - grace * rng.random()
        elif where == "overdue":
            due = now - grace - (2 * grace + interval) * rng.random()
        else:
            due = now - (lost_after * interval + grace) - timedelta(days=1 + 30 * rng.random())
        active = one.closed_at is None
        row = {
            "case_id": one.case_id,
            "interval_minutes": int(interval.total_seconds()) // 60,
            "grace_minutes": int(grace.total_seconds()) // 60,
            "lost_after_missed": lost_after,
            "quiet_start": clock(23, 0) if quiet else None,
            "quiet_end": clock(7, 0) if quiet else None,
            "time_zone": zone,
            "active": active,
            "last_checkin_at": due - interval,
            "next_due_at": due,
            "state": "ok",
            "escalation_step": 0,
            "missed": 0,
            "updated_at": one.closed_at or (due - interval),
        }
        if "next_action_at" in self.s.plan_fields:
            row["next_action_at"] = due if active else None
        self.chunk.add("cases.checkinplan", row)


# --- writing ------------------------------------------------------------------------------------------

# Parents before children.
ORDER = (
    "vault.keyset",
    "vault.grant",
    "cases.case",
    "cases.assignment",
    "cases.event",
    "cases.checkinrecord",
    "cases.need",
    "cases.task",
    "cases.checkinplan",
)


class Writer:
    """Writes prepared chunks: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        from django.apps import apps
        from django.db import connection

        self.connection = connection
        self.models = {label: apps.get_model(label) for label in ORDER}
        self.counts = dict.fromkeys(ORDER, 0)
        self.waited = 0.0  # seconds waiting for the workers
        self.writing = 0.0
        if connection.vendor == "sqlite":
            # This connection only, while it writes: with the default 2 MiB page cache every insert into
            # an index keyed by random UUIDs is a read. Closed afterwards: nothing measured keeps it.
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_WRITE_CACHE_KIB}")

    def write(self, label: str, columns: list[str], values: list[tuple[Any, ...]]) -> None:
        quote = self.connection.ops.quote_name
        table = quote(self.models[label]._meta.db_table)
        column_list = ", ".join(quote(c) for c in columns)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                    for value in values:
                        copy.write_row(value)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({marks})", values)  # noqa: S608
        self.counts[label] += len(values)

    def write_chunk(self, chunk: Chunk) -> None:
        began = time.perf_counter()
        for label in ORDER:
            if label in chunk.prepared:
                self.write(label, *chunk.prepared[label])
        self.writing += time.perf_counter() - began

    def sequences_reset(self) -> None:
        """Key set ids were given; point the id sequence past them (PostgreSQL; SQLite follows by itself)."""
        from django.core.management.color import no_style

        statements = self.connection.ops.sequence_reset_sql(no_style(), [self.models["vault.keyset"]])
        with self.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


# --- the whole run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    shape: Shape
    team: Team
    plan: Plan
    now: datetime
    counts: dict[str, int]
    seconds: float
    team_seconds: float


def _jobs(shape: Shape, plan: Plan) -> Iterator[Job]:
    for number, first in enumerate(range(0, shape.total, CHUNK_CASES)):
        last = min(first + CHUNK_CASES, shape.total)
        yield Job(
            number=number,
            first=first,
            caseworker=plan.caseworker[first:last],
            stage=plan.stage[first:last],
            events=plan.events[first:last],
        )


def generate(shape: Shape, *, now: datetime | None = None, progress_every: int = 10) -> Generated:
    """Staff, then every case with its key set, grants, timeline, needs, tasks and check-in plan."""
    from django.db import connection, transaction

    from ferry.cases.models import CheckInPlan, ClosingReason, Stage
    from ferry.cases.services import pipeline_ensure
    from ferry.vault.models import KeySet

    began = time.perf_counter()
    team = team_create(shape)
    team_seconds = time.perf_counter() - began
    log(f"{1 + shape.coordinators + shape.caseworkers} staff made in {team_seconds:.1f} s")
    pipeline_ensure()
    now = now or datetime.now(UTC)
    plan = plan_draw(shape)
    last_key_set = KeySet.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    static = Static(
        shape=shape,
        team=team,
        now=now,
        stages=list(Stage.objects.filter(active=True).order_by("position", "pk").values_list("key", "pk")),
        reasons=list(ClosingReason.objects.filter(active=True).order_by("position", "pk").values_list("key", "pk")),
        key_set_base=last_key_set + 1,
        plan_fields=frozenset(f.name for f in CheckInPlan._meta.concrete_fields),
    )
    if missing := {*OPEN_STAGE_WEIGHTS, CLOSED} - {key for key, _id in static.stages}:
        raise RuntimeError(f"the pipeline has no active stage {sorted(missing)}")
    workers = shape.workers or os.cpu_count() or 1
    jobs = list(_jobs(shape, plan))
    connection.close()  # the workers are forked: none may inherit a live connection
    context = multiprocessing.get_context("fork")
    writer = Writer()
    with context.Pool(workers, initializer=_worker_init, initargs=(static,)) as pool:
        started = time.perf_counter()
        built = _built(pool, jobs, workers, writer)
        # Several chunks per transaction: each commit rewrites every index page its rows touched, and rows
        # keyed by random UUIDs touch most pages of their indexes, so fewer, larger commits write far less.
        for group in iter(lambda: list(itertools.islice(built, CHUNKS_PER_TRANSACTION)), []):
            with transaction.atomic():
                for chunk in group:
                    writer.write_chunk(chunk)
                    _progress(writer, shape, started, progress_every)
    writer.sequences_reset()
    connection.close()
    return Generated(
        shape=shape,
        team=team,
        plan=plan,
        now=now,
        counts=dict(writer.counts),
        seconds=time.perf_counter() - began,
        team_seconds=team_seconds,
    )


def _built(pool: Any, jobs: list[Job], workers: int, writer: Writer) -> Iterator[Chunk]:
    """The workers' chunks in order, with a few in flight at most, so memory stays flat."""
    pending: deque[Any] = deque()
    for job in [*jobs, None]:
        if job is not None:
            pending.append(pool.apply_async(chunk_build, (job,)))
        while pending and (job is None or len(pending) > workers + 1):
            waited = time.perf_counter()
            chunk = pending.popleft().get()
            writer.waited += time.perf_counter() - waited
            yield chunk


def _progress(writer: Writer, shape: Shape, started: float, every: int) -> None:
    done = writer.counts["cases.case"]
    if done and (done // CHUNK_CASES) % every == 0:
        rate = done / (time.perf_counter() - started)
        log(
            f"{done:,} of {shape.total:,} cases, {writer.counts['cases.event']:,} timeline entries "
            f"({rate:,.0f} cases/s, {math.ceil((shape.total - done) / rate)} s to go; "
            f"so far {writer.writing:.0f} s writing, {writer.waited:.0f} s waiting for rows)"
        )


def check(generated: Generated, samples: int = 20) -> None:
    """Read some cases back as the product does: the focus caseworker's and a coordinator's grants open
    the key, which opens the card, the timeline, needs, tasks and check-ins. Raises if the shape is wrong."""
    from ferry.cases.models import Case, CheckInPlan, Event

    plan, shape = generated.plan, generated.shape
    rng = random.Random(shape.seed)
    focus = plan.cases_of(0, closed=False) + plan.cases_of(0, closed=True)
    for index in rng.sample(focus, min(samples, len(focus))):
        _check_case(generated.team, index)
    counted = {
        "cases.case": Case.objects.count(),
        "cases.event": Event.objects.count(),
        "cases.checkinplan": CheckInPlan.objects.count(),
    }
    for label, count in counted.items():
        if count != generated.counts[label]:
            raise RuntimeError(f"{label}: {generated.counts[label]} rows written, {count} counted")
    active = CheckInPlan.objects.filter(active=True).count()
    if active != shape.cases:
        raise RuntimeError(f"{active} active check-in plans, not {shape.cases}")


def _check_case(team: Team, index: int) -> None:
    from ferry.cases.models import Case, CheckInPlan, Event, Stage
    from ferry.cases.services import open_json
    from ferry.vault import keysets
    from ferry.vault.keyring import KeyRing
    from ferry.vault.models import Grant

    case = Case.objects.select_related("key_set", "stage").get(reference=reference_for(index))
    keys = [
        KeyRing(staff_id=member.staff_id, private_key=member.private_key).keys_for([case.key_set])
        for member in (team.focus, team.coordinator_of(index))
    ]
    key = keys[0].get(case.key_set_id)
    if key is None or keys[1].get(case.key_set_id) != key:
        raise RuntimeError(f"case {case.reference}: the caseworker's and coordinator's grants do not agree")
    if Grant.objects.filter(key_set=case.key_set).count() != 3:
        raise RuntimeError(f"case {case.reference}: not three grants (escrow, caseworker, coordinator)")
    if not open_json(key, case, "card").get("name") or "phone" not in open_json(key, case, "contacts"):
        raise RuntimeError(f"case {case.reference}: card or contacts do not open")
    keysets.open_field(key, case, "risk_reason")
    stage_keys = dict(Stage.objects.values_list("pk", "key"))
    entered = None
    for event in Event.objects.filter(case=case).order_by("at"):
        detail = open_json(key, event, "detail")
        if event.kind in ("created", "stage"):
            entered = event.stage_id
        if event.kind == "stage" and detail["to"] != stage_keys.get(event.stage_id):
            raise RuntimeError(f"case {case.reference}: a stage event disagrees with its stage")
    if entered != case.stage_id:
        raise RuntimeError(f"case {case.reference}: the last stage entered is not the case's stage")
    texts = [(n, "detail") for n in case.needs.all()] + [(t, "title") for t in case.tasks.all()]
    texts += [(r, "note") for r in case.staff_checkins.all()]
    for obj, name in texts:
        keysets.open_field(key, obj, name)
    plan_row = CheckInPlan.objects.get(case=case)
    if case.assignments.get().staff_id != team.focus.staff_id or plan_row.active != (case.closed_at is None):
        raise RuntimeError(f"case {case.reference}: not assigned to the focus caseworker, or its plan is wrong")
