"""What /healthz reports: what people need from the service, each as its own check.

- database: reachable and taking writes (a real write of one row, at most every few seconds per process,
  so polling /healthz cannot be turned into a stream of writes);
- migrations: all applied;
- disk: free space in the data folder above FERRY_DISK_MARGIN_MB (the same margin below which new requests,
  messages and uploads are refused with the person's text kept: see `space_low`);
- worker: the freshest worker heartbeat (written every few seconds by each worker's scheduler) is younger
  than FERRY_HEARTBEAT_STALE_SECONDS;
- jobs: no queued job waits longer than FERRY_JOBS_OVERDUE_SECONDS, and the scheduler has enqueued a job
  within that time.

Each check's answer is a fixed word; none holds data.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max, Q
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from ferry.core.models import HealthProbe, ScheduledRun, WorkerProcess
from ferry.core.scheduler import PERIODIC

# The database write is repeated at most this often per process; between two writes the last answer stands.
WRITE_PROBE_SECONDS = 5.0

_migrations_seen_applied = False
_last_write: tuple[float, bool] | None = None


def space_free_bytes() -> int:
    return shutil.disk_usage(settings.DATA_DIR).free


def space_low(incoming_bytes: int = 0) -> bool:
    """True when the data folder's free space, less what is about to be written, is below the margin.

    The intake calls this before it takes a request, message or upload, so a filling disk refuses new
    writes cleanly (the person's text stays on their page) long before the database or a file write fails.
    """
    return space_free_bytes() - incoming_bytes < settings.FERRY_DISK_MARGIN_MB * 1024 * 1024


@dataclass(frozen=True)
class Health:
    database: str  # ok, read-only, unreachable
    migrations: str  # ok, pending, unknown
    disk: str  # ok, low
    worker: str  # ok, stale, never, unknown
    jobs: str  # ok, overdue, unknown
    heartbeat_age: float | None

    def failing(self) -> list[str]:
        checks = {
            "database": self.database,
            "migrations": self.migrations,
            "disk": self.disk,
            "worker": self.worker,
            "jobs": self.jobs,
        }
        return [name for name, value in checks.items() if value != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failing()

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "degraded",
            "failing": self.failing(),
            "database": self.database,
            "migrations": self.migrations,
            "disk": self.disk,
            "worker": self.worker,
            "jobs": self.jobs,
            "worker_heartbeat_age_seconds": None if self.heartbeat_age is None else round(self.heartbeat_age, 1),
        }


def migrations_applied() -> bool:
    global _migrations_seen_applied  # noqa: PLW0603 - migrations never un-apply while a process runs
    if not _migrations_seen_applied:
        executor = MigrationExecutor(connection)
        _migrations_seen_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_seen_applied


def _writable() -> bool:
    """One committed write (repeated at most every WRITE_PROBE_SECONDS per process)."""
    global _last_write  # noqa: PLW0603 - a per-process cache of the last probe
    now = time.monotonic()
    if _last_write is not None and now - _last_write[0] < WRITE_PROBE_SECONDS:
        return _last_write[1]
    try:
        HealthProbe.objects.update_or_create(pk=1, defaults={"written_at": timezone.now()})
        ok = True
    except DatabaseError:
        ok = False
    _last_write = (now, ok)
    return ok


def probe_forget() -> None:
    """The next check writes again (for tests, which change the database between two checks)."""
    global _last_write  # noqa: PLW0603
    _last_write = None


def _jobs_overdue(now: datetime) -> bool:
    cutoff = now - timedelta(seconds=settings.FERRY_JOBS_OVERDUE_SECONDS)
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY).filter(
        Q(run_after=get_date_max(), enqueued_at__lt=cutoff) | Q(run_after__lt=cutoff)
    )
    if waiting.exists():
        return True
    # The newest run of the most frequent job, through the (job, slot) index: the scheduler is enqueueing.
    job = min(PERIODIC, key=lambda p: p.every_seconds).job
    newest = ScheduledRun.objects.filter(job=job).order_by("-slot").values_list("enqueued_at", flat=True).first()
    return newest is not None and newest < cutoff


def check() -> Health:
    disk = "low" if space_low() else "ok"
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return Health("unreachable", "unknown", disk, "unknown", "unknown", None)
    try:
        migrations = "ok" if migrations_applied() else "pending"
        database = "ok" if _writable() else "read-only"
        now = timezone.now()
        beat = WorkerProcess.objects.aggregate(newest=Max("beat_at"))["newest"]
        jobs = "overdue" if _jobs_overdue(now) else "ok"
    except DatabaseError:
        return Health("unreachable", "unknown", disk, "unknown", "unknown", None)
    age = None if beat is None else max(0.0, (now - beat).total_seconds())
    if age is None:
        worker = "never"
    else:
        worker = "ok" if age <= settings.FERRY_HEARTBEAT_STALE_SECONDS else "stale"
    return Health(database, migrations, disk, worker, jobs, age)
