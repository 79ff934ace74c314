"""Seeded bulk documentation for benchmarks: incidents, their victims and acts, perpetrators and involvements,
each incident and each victim under its own key set with grants, written with executemany (COPY on
PostgreSQL) as bench/casegen.py writes cases. Used by bench_incidents.py.

Real and prepared: every key set is its own row with two grants (the escrow key and the documenter's), and
every incident's title (the card, what the list page opens) is sealed for real under its key set's key and
bound to its record. For speed, two things are prepared once and reused (documented in docs/operations.md,
"Benchmarks"): the key-set keys come from a pool of KEY_POOL random keys, each sealed (X25519) once to the
escrow key and once to the documenter, and those sealed grant blobs are copied into each key set's grant
rows; and the other sealed fields (narratives, locations, notes, victims' identities, act notes,
involvement details) hold one prepared ciphertext of realistic length each, which would not open (its
associated data names another record). No measured page opens them. Nothing else is reused: ids,
references, dates, places, codes and links are drawn from the seed per row."""

# ruff: noqa: RUF001

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.casegen import PASSPHRASE, Member, Writer, _member, _sealed, reference_for
from bench.generator import ABROAD_REGIONS, RU, RU_REGIONS, RU_WEIGHTS, Generator

KEY_POOL = 256
CHUNK_INCIDENTS = 5_000
CHUNKS_PER_TRANSACTION = 10
YEARS_BACK = 15

PRECISION_WEIGHTS = {"day": 70, "month": 20, "year": 7, "approximate": 3}
VERIFICATION_WEIGHTS = {"unverified": 50, "partly": 25, "verified": 20, "disputed": 5}
VICTIMS = {1: 75, 2: 20, 3: 5}
ACTS_PER_INCIDENT = (1, 2, 3, 4, 5)  # equally likely: three on average
ENTITY_SHARE = 0.65  # of involvements naming a registered perpetrator; the rest only a (private) type
PLACE_SHARE = 0.15
PLACES = 400


def log(message: str) -> None:
    print(f"bench incidentgen: {message}", flush=True)


@dataclass(frozen=True)
class Shape:
    incidents: int = 1_000_000
    acts: int = 3_000_000  # about: each incident has 1 to 5
    perpetrators: int = 20_000
    hot_acts: int = 5_000  # acts linked to one perpetrator, for its page
    seed: int = 2017

    def scaled(self, scale: float) -> Shape:
        return Shape(
            incidents=max(1_000, round(self.incidents * scale)),
            acts=max(3_000, round(self.acts * scale)),
            perpetrators=max(200, round(self.perpetrators * scale)),
            hot_acts=self.hot_acts if scale >= 0.01 else max(100, round(self.hot_acts * scale * 100)),
            seed=self.seed,
        )


@dataclass(frozen=True)
class Generated:
    documenter: Member
    hot_perpetrator: int
    counts: dict[str, int]
    seconds: float


def team_create() -> tuple[Member, Member]:
    """An administrator (the escrow key) and a documenter, through the real service (test-only Argon2 cost)."""
    from django.conf import settings

    from ferry.accounts.services import staff_create_active

    saved = settings.FERRY_KDF_PROFILE
    settings.FERRY_KDF_PROFILE = "insecure-fast-test"
    try:
        admin = staff_create_active(
            email="bench-admin@example.org", roles=["administrator"], passphrase=PASSPHRASE, display_name="A"
        )
        documenter = staff_create_active(
            email="bench-doc@example.org", roles=["documenter"], passphrase=PASSPHRASE, display_name="D"
        )
    finally:
        settings.FERRY_KDF_PROFILE = saved
    return _member(admin, "A"), _member(documenter, "D")


def _now_text(now: datetime) -> str:
    """A time as each database reads it from text: SQLite as the ORM writes it (UTC, no offset), PostgreSQL ISO."""
    from django.db import connection

    return str(now.astimezone(UTC).replace(tzinfo=None)) if connection.vendor == "sqlite" else now.isoformat()


def _uuid_hex(rng: random.Random) -> str:
    """A random (version 4) UUID from the seed, as 32 hex digits: how SQLite stores it, and PostgreSQL reads it."""
    n = rng.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (4 << 76)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    return f"{n:032x}"


COLUMNS = {
    "vault.keyset": ("id", "purpose", "generation", "rekey_needed", "created_at", "shredded_at"),
    "vault.grant": ("id", "key_set", "staff", "escrow", "requester_key", "generation", "sealed_key", "created_at"),
    "incidents.incident": (
        "id", "key_set", "reference", "country", "subdivision", "place_precision", "place", "victim_count",
        "verification", "restricted", "author", "verified_by", "verified_at", "created_at", "updated_at", "version",
        "card", "narrative", "location", "notes", "start_date", "start_precision", "end_date", "end_precision",
    ),
    "incidents.victim": ("id", "key_set", "incident", "position", "identity", "case_link", "created_at"),
    "incidents.act": (
        "id", "key_set", "incident", "victim", "act_type", "method", "consequence", "created_at", "notes",
        "start_date", "start_precision", "end_date", "end_precision",
    ),
    "incidents.involvement": ("id", "key_set", "act", "perpetrator", "perpetrator_type", "degree", "detail"),
}  # fmt: skip


@dataclass
class _Setting:
    """What every row draws on: the team, the key pool and its sealed grants, the codes and the register."""

    documenter: Member
    escrow_id: int
    pool: list[bytes]
    sealed_escrow: list[bytes]
    sealed_doc: list[bytes]
    prepared: dict[str, bytes]
    act_types: list[int]
    methods: list[int]
    consequences: list[int]
    public_types: list[int]
    private_types: list[int]
    titles: list[str]
    hot: int
    others: list[int]
    places_by_region: dict[str, list[int]]


def _setting(shape: Shape, rng: random.Random, now: datetime) -> _Setting:
    from ferry.incidents.models import Perpetrator, Place, Term
    from ferry.vault import crypto
    from ferry.vault.models import EscrowKey

    _admin, documenter = team_create()
    escrow = EscrowKey.objects.get()
    pool = [crypto.random_key() for _ in range(KEY_POOL)]
    dummy = crypto.random_key()
    terms = {
        v: list(Term.objects.filter(vocabulary=v, deprecated_at__isnull=True))
        for v in ("act_type", "method", "consequence", "perpetrator_type")
    }
    public = [t.pk for t in terms["perpetrator_type"] if not t.private]
    generator = Generator(seed=shape.seed)
    perpetrators = []
    for i in range(shape.perpetrators):
        kind = rng.choice(("person",) * 6 + ("unit",) * 3 + ("institution",))
        name = f"{generator.person(RU).full_name if kind == 'person' else 'Подразделение №'} {i}"
        perpetrators.append(
            Perpetrator(
                kind=kind,
                perpetrator_type_id=public[0] if i == 0 else rng.choice(public),
                name_original=name,
                name_key=name.casefold(),
                country="RU",
                created_at=now,
                created_by_id=documenter.staff_id,
            )
        )
    Perpetrator.objects.bulk_create(perpetrators, batch_size=2_000)
    ids = list(Perpetrator.objects.order_by("pk").values_list("pk", flat=True))
    places = Place.objects.bulk_create(
        [
            Place(name=f"Место {i}", kind="detention", country="RU", subdivision=r.subdivision, created_at=now)
            for i, r in enumerate(rng.choices(RU_REGIONS, weights=RU_WEIGHTS, k=PLACES))
        ]
    )
    places_by_region: dict[str, list[int]] = {}
    for place in places:
        places_by_region.setdefault(place.subdivision, []).append(place.pk)
    return _Setting(
        documenter=documenter,
        escrow_id=escrow.pk,
        pool=pool,
        sealed_escrow=[crypto.seal_to(bytes(escrow.public_key), k) for k in pool],
        sealed_doc=[crypto.seal_to(documenter.public_key, k) for k in pool],
        # One prepared ciphertext per kind of sealed field, of realistic length (see the module's docstring).
        prepared={
            name: crypto.seal(dummy, ("x" * size).encode(), ("bench", "prepared", name))
            for name, size in {"narrative": 900, "location": 60, "notes": 150, "identity": 220, "short": 0}.items()
        },
        act_types=[t.pk for t in terms["act_type"]],
        methods=[t.pk for t in terms["method"]],
        consequences=[t.pk for t in terms["consequence"]],
        public_types=public,
        private_types=[t.pk for t in terms["perpetrator_type"] if t.private],
        titles=[f"{t.label_ru}: {r.name}" for t in terms["act_type"] for r in RU_REGIONS],
        hot=ids[0],
        others=ids[1:],
        places_by_region=places_by_region,
    )


def _cumulative(table: dict[Any, int]) -> tuple[list[Any], list[int]]:
    keys, total, cumulative = list(table), 0, []
    for weight in table.values():
        total += weight
        cumulative.append(total)
    return keys, cumulative


class _Builder:
    """Rows of incidents, one incident at a time, into per-table lists of tuples (written per chunk)."""

    def __init__(self, shape: Shape, setting: _Setting, rng: random.Random, now: datetime) -> None:
        from ferry.incidents.models import Incident

        self.shape, self.s, self.rng = shape, setting, rng
        self.now = _now_text(now)
        self.today = now.date()
        self.meta = Incident._meta
        self.hot_every = max(1, shape.acts // max(1, shape.hot_acts))
        self.acts = 0
        self.hot_linked = 0
        self.rows: dict[str, list[tuple[Any, ...]]] = {label: [] for label in COLUMNS}
        self.precisions = _cumulative(PRECISION_WEIGHTS)
        self.verifications = _cumulative(VERIFICATION_WEIGHTS)
        self.victim_counts = _cumulative(VICTIMS)

    def _draw(self, table: tuple[list[Any], list[int]]) -> Any:
        keys, cumulative = table
        return self.rng.choices(keys, cum_weights=cumulative)[0]

    def _random_id(self) -> int:
        """Key sets and grants have random ids in Ferry (vault.models.random_id); drawn here from the seeded
        generator, so a run is repeatable."""
        return self.rng.getrandbits(62) + 1

    def _key_set(self, slot: int) -> int:
        key_set = self._random_id()
        now = self.now
        self.rows["vault.keyset"].append((key_set, "documentation", 1, False, now, None))
        grants = self.rows["vault.grant"]
        grants.append((self._random_id(), key_set, None, self.s.escrow_id, None, 1, self.s.sealed_escrow[slot], now))
        grants.append(
            (self._random_id(), key_set, self.s.documenter.staff_id, None, None, 1, self.s.sealed_doc[slot], now)
        )
        return key_set

    def incident(self, i: int) -> None:
        rng, s = self.rng, self.s
        abroad = rng.random() < 0.15
        region = rng.choice(ABROAD_REGIONS) if abroad else rng.choices(RU_REGIONS, weights=RU_WEIGHTS)[0]
        start = self.today - timedelta(days=rng.randint(30, YEARS_BACK * 365))
        precision = self._draw(self.precisions)
        if precision == "month":
            start = start.replace(day=1)
        elif precision == "year":
            start = start.replace(month=1, day=1)
        end, end_precision = (None, "")
        if rng.random() < 0.4:
            end, end_precision = (start + timedelta(days=rng.randint(0, 60))).isoformat(), "day"
        dates = (start.isoformat(), precision, end, end_precision)
        slot = i % KEY_POOL
        key_set = self._key_set(slot)
        incident_id = _uuid_hex(rng)
        place = None
        if not abroad and rng.random() < PLACE_SHARE and region.subdivision in s.places_by_region:
            place = rng.choice(s.places_by_region[region.subdivision])
        title = json.dumps({"title": rng.choice(s.titles)}, ensure_ascii=False)
        card = _sealed(s.pool[slot], self.meta, uuid.UUID(incident_id), "card", title)
        p = s.prepared
        self.rows["incidents.incident"].append(
            (
                incident_id, key_set, reference_for(i), region.country, region.subdivision,
                rng.choice((1, 2, 2, 3, 3, 3)), place, self._draw(self.victim_counts) + rng.randint(0, 2),
                self._draw(self.verifications), False, s.documenter.staff_id, None, None, self.now, self.now, 1,
                card, p["narrative"], p["location"], p["notes"], *dates,
            )
        )  # fmt: skip
        victims = []
        for position in range(1, self._draw(self.victim_counts) + 1):
            victim_id = _uuid_hex(rng)
            victims.append(victim_id)
            self.rows["incidents.victim"].append(
                (
                    victim_id,
                    self._key_set((i + position) % KEY_POOL),
                    incident_id,
                    position,
                    p["identity"],
                    p["short"],
                    self.now,
                )
            )
        for _ in range(rng.choice(ACTS_PER_INCIDENT)):
            self._act(incident_id, key_set, rng.choice(victims), dates)

    def _act(self, incident_id: str, key_set: int, victim_id: str, dates: tuple[Any, ...]) -> None:
        rng, s = self.rng, self.s
        act_id = _uuid_hex(rng)
        method = rng.choice(s.methods) if rng.random() < 0.5 else None
        consequence = rng.choice(s.consequences) if rng.random() < 0.5 else None
        self.rows["incidents.act"].append(
            (
                act_id, key_set, incident_id, victim_id, rng.choice(s.act_types), method, consequence, self.now,
                s.prepared["short"], *dates,
            )
        )  # fmt: skip
        if self.acts % self.hot_every == 0 and self.hot_linked < self.shape.hot_acts:
            perpetrator, kind = s.hot, s.public_types[0]
            self.hot_linked += 1
        elif rng.random() < ENTITY_SHARE:
            perpetrator, kind = rng.choice(s.others), rng.choice(s.public_types)
        else:
            perpetrator, kind = None, rng.choice(s.private_types)
        degree = rng.choice(("direct", "ordered", "present", "unknown"))
        self.rows["incidents.involvement"].append(
            (_uuid_hex(rng), key_set, act_id, perpetrator, kind, degree, s.prepared["short"])
        )
        self.acts += 1

    def write(self, writer: Writer) -> None:
        from django.apps import apps

        for label, rows in self.rows.items():
            if rows:
                model = apps.get_model(label)
                writer.write(label, [model._meta.get_field(n).column for n in COLUMNS[label]], rows)
        self.rows = {label: [] for label in COLUMNS}


def generate(shape: Shape, *, now: datetime | None = None) -> Generated:
    from django.apps import apps
    from django.db import transaction

    from ferry.incidents import act_counts, term_index

    began = time.perf_counter()
    now = now or datetime.now(UTC)
    rng = random.Random(shape.seed)
    setting = _setting(shape, rng, now)
    writer = Writer()
    for label in COLUMNS:
        writer.models[label] = apps.get_model(label)
        writer.counts.setdefault(label, 0)
    builder = _Builder(shape, setting, rng, now)
    started = time.perf_counter()
    group = CHUNK_INCIDENTS * CHUNKS_PER_TRANSACTION
    for group_start in range(0, shape.incidents, group):
        with transaction.atomic():
            for chunk_start in range(group_start, min(shape.incidents, group_start + group), CHUNK_INCIDENTS):
                for i in range(chunk_start, min(shape.incidents, chunk_start + CHUNK_INCIDENTS)):
                    builder.incident(i)
                builder.write(writer)
        done = min(shape.incidents, group_start + group)
        log(f"{done:,} incidents, {builder.acts:,} acts ({done / (time.perf_counter() - started):,.0f} incidents/s)")
    writer.sequences_reset()
    with transaction.atomic():
        # What the pages keep as they write, built at once
        writer.counts["incidents.incidentterm"] = term_index.rebuild()
        writer.counts["incidents.actcount"] = act_counts.rebuild()
    counts = {label: n for label, n in writer.counts.items() if n}
    return Generated(
        documenter=setting.documenter, hot_perpetrator=setting.hot, counts=counts, seconds=time.perf_counter() - began
    )


def rows_iter(count: int, *, seed: int) -> Iterator[list[str]]:
    """Rows of a CSV sheet to import, as an organisation keeps one: each a new incident with a victim and an act."""
    from ferry.incidents.models import Perpetrator, Term

    rng = random.Random(seed)
    codes = list(Term.objects.filter(vocabulary="act_type", deprecated_at__isnull=True).values_list("code", flat=True))
    names = list(Perpetrator.objects.order_by("?").values_list("name_original", flat=True)[:500])
    generator = Generator(seed=seed)
    people = [generator.person(RU).full_name for _ in range(500)]
    today = datetime.now(UTC).date()
    for n in range(count):
        region = rng.choices(RU_REGIONS, weights=RU_WEIGHTS)[0]
        start = today - timedelta(days=rng.randint(30, YEARS_BACK * 365))
        yield [
            f"Задержание {n}: {rng.choice(region.cities)}",
            start.isoformat(),
            "RU",
            region.subdivision,
            "Его задержали у дома и увезли в отдел; держали трое суток, требовали назвать знакомых.",
            rng.choice(people),
            str(rng.randint(18, 45)),
            rng.choice(codes),
            rng.choice(names) if rng.random() < 0.5 else "",
        ]


IMPORT_HEADINGS = ["Название", "Дата", "Страна", "Регион", "Рассказ", "Имя", "Возраст", "Вид", "Кто"]
IMPORT_MAPPING = {
    "title": 0,
    "start": 1,
    "country": 2,
    "subdivision": 3,
    "narrative": 4,
    "victim_name": 5,
    "victim_age": 6,
    "act_type": 7,
    "perpetrators": 8,
}
