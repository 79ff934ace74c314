"""Evidence and custody: adding a large file, an item's chain checked against a large audit log (its page), and
verifying every item without keys (the command) and with a documenter's keys (the page's run, chunk by chunk:
each chunk is one request, so the slowest chunk is what a proxy's timeout and a web worker see)."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import Any

from bench.figures import Figure
from bench.samples import median

NAME = "evidence"

PASSPHRASE = "violet harbour compass lantern 1917"  # noqa: S105 - throwaway accounts in a throwaway database
ITEMS = 1_000
EVENTS_PER_ITEM = 4  # acquired, viewed, handed, checked
CONTENT_BYTES = 64 * 1024
LARGE_BYTES = 20 * 1024 * 1024
AUDIT_NOISE = 300_000  # other audit entries: the custody cross-check reads past them
CHAIN_RUNS = 15

MAX_ADD_LARGE_S = 2.0  # a 20 MB video sealed, stored, read back and hashed, on one core
MAX_CHAIN_MS = 150.0  # an item's page checks its chain and the audit log within a list page's budget
MAX_VERIFY_ALL_S = 30.0  # the command over 1,000 items, 4,000 entries, 1,000 stored files
VIDEO_BYTES = 25 * 1024 * 1024  # the page's run also meets a few videos (its chunks stop at a byte budget)
VIDEOS = 3
MAX_CHUNK_MS = 2000.0  # one request of the Verify page, whatever the files: well within a proxy's timeout


def log(message: str) -> None:
    print(f"bench evidence: {message}", flush=True)


def _setup() -> tuple[Any, Any, Any]:
    from ferry.accounts.services import staff_create_active
    from ferry.incidents.services import IncidentData, PartialDate, incident_create
    from ferry.vault.keyring import KeyRing

    staff_create_active(email="bench-admin@example.org", roles=["administrator"], passphrase=PASSPHRASE)
    documenter = staff_create_active(email="bench-doc@example.org", roles=["documenter"], passphrase=PASSPHRASE)
    from django.utils import timezone

    day = timezone.localdate() - timedelta(days=100)
    incident, _key = incident_create(
        staff=documenter.staff,
        data=IncidentData(title="bench", start=PartialDate(year=day.year, month=day.month, day=day.day), country="RU"),
    )
    return documenter, KeyRing(staff_id=documenter.staff.pk, private_key=documenter.private_key), incident


def _audit_noise(count: int) -> None:
    """Other entries in the audit log, written directly (their hashes do not matter to this benchmark)."""
    from django.utils import timezone

    from ferry.audit.models import AuditEntry

    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    now = timezone.now()
    batch = []
    for n in range(1, count + 1):
        batch.append(
            AuditEntry(
                seq=last + n,
                at=now,
                actor_id=1,
                action="case.view",
                object_type="case",
                object_id=hashlib.md5(str(n).encode(), usedforsecurity=False).hexdigest(),
                prev_hash="0" * 64,
                entry_hash="0" * 64,
            )
        )
        if len(batch) == 5_000:
            AuditEntry.objects.bulk_create(batch)
            batch = []
    AuditEntry.objects.bulk_create(batch)


def run() -> list[Figure]:
    from ferry.incidents import custody, custody_check
    from ferry.incidents import evidence as services
    from ferry.incidents.models import Evidence

    documenter, ring, incident = _setup()
    who = {"ring": ring, "staff": documenter.staff}

    def data() -> services.EvidenceData:
        return services.EvidenceData(name="clip.mp4", content_type="video/mp4", kind="video", how="bench")

    started = time.perf_counter()
    services.evidence_add(**who, reference=incident.reference, content=b"\x00" * LARGE_BYTES, data=data())
    add_large = time.perf_counter() - started
    log(f"a {LARGE_BYTES // (1024 * 1024)} MB file added in {add_large:.2f} s")

    started = time.perf_counter()
    for n in range(ITEMS - 1):
        item = services.evidence_add(
            **who, reference=incident.reference, content=n.to_bytes(4, "big") * (CONTENT_BYTES // 4), data=data()
        )
        services.evidence_content(**who, reference=item.reference)
        services.evidence_handover(**who, reference=item.reference, recipient="partner", method="in person")
        services.evidence_recheck(**who, reference=item.reference)
    made = time.perf_counter() - started
    log(f"{ITEMS - 1} items with {EVENTS_PER_ITEM} events each in {made:.1f} s")
    _audit_noise(AUDIT_NOISE)
    log(f"{AUDIT_NOISE:,} other audit entries written")

    sample = Evidence.objects.order_by("-acquired_at").first()
    assert sample is not None  # noqa: S101 - made just above
    timings = []
    for _run in range(CHAIN_RUNS):
        started = time.perf_counter()
        verdict = custody.chain_verify(sample)
        timings.append((time.perf_counter() - started) * 1000)
        assert verdict.ok  # noqa: S101
    chain_ms = median(timings)

    started = time.perf_counter()
    report = custody_check.verify_without_keys()
    keyless = time.perf_counter() - started
    assert report.items == ITEMS and not report.problems  # noqa: S101, PT018

    for n in range(VIDEOS):
        video = n.to_bytes(4, "big") * (VIDEO_BYTES // 4)
        services.evidence_add(**who, reference=incident.reference, content=video, data=data())
    chunks = _verify_run(ring, documenter.staff)
    with_keys = sum(chunks) / 1000
    log(f"the Verify page's run: {ITEMS + VIDEOS:,} items in {len(chunks)} chunks, {with_keys:.1f} s")
    return [
        Figure(
            f"add a {LARGE_BYTES // (1024 * 1024)} MB file",
            add_large,
            "s",
            f"< {MAX_ADD_LARGE_S:g} s",
            add_large < MAX_ADD_LARGE_S,
        ),
        Figure(
            f"one item's chain with {AUDIT_NOISE // 1000}k audit entries (median)",
            chain_ms,
            "ms",
            f"< {MAX_CHAIN_MS:g} ms",
            chain_ms < MAX_CHAIN_MS,
        ),
        Figure(
            f"evidence_verify, {ITEMS:,} items, no keys",
            keyless,
            "s",
            f"< {MAX_VERIFY_ALL_S:g} s",
            keyless < MAX_VERIFY_ALL_S,
        ),
        Figure(
            f"Verify page, {ITEMS:,} items and {VIDEOS} x {VIDEO_BYTES >> 20} MB re-checked (all chunks)",
            with_keys,
            "s",
            "",
            True,
        ),
        Figure("Verify page, one chunk (median)", median(chunks), "ms", "", True),
        Figure(
            f"Verify page, slowest chunk (of {len(chunks)})",
            max(chunks),
            "ms",
            f"< {MAX_CHUNK_MS:g} ms",
            max(chunks) < MAX_CHUNK_MS,
        ),
    ]


def _verify_run(ring: Any, staff: Any) -> list[float]:
    """A run of the Verify page driven to its end as its page does, one chunk per call: each chunk's ms."""
    from ferry.incidents import custody_runs

    run = custody_runs.verify_start(staff=staff)
    chunks = []
    while run.state != run.State.DONE:
        started = time.perf_counter()
        run = custody_runs.verify_step(ring=ring, staff=staff, run_id=run.pk)
        chunks.append((time.perf_counter() - started) * 1000)
    assert run.rechecked == run.checked == ITEMS + VIDEOS and not run.problems  # noqa: S101, PT018
    return chunks
