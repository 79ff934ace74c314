"""What /healthz reports: the database, migrations and the worker's heartbeat."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ferry.core.models import WorkerHeartbeat

_migrations_seen_applied = False


@dataclass(frozen=True)
class Health:
    database: bool
    migrations: bool
    heartbeat_age: float | None

    @property
    def worker(self) -> str:
        if self.heartbeat_age is None:
            return "never"
        return "ok" if self.heartbeat_age <= settings.FERRY_HEARTBEAT_STALE_SECONDS else "stale"

    @property
    def ok(self) -> bool:
        return self.database and self.migrations and self.worker == "ok"

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "degraded",
            "database": "ok" if self.database else "unreachable",
            "migrations": "ok" if self.migrations else "pending",
            "worker": self.worker,
            "worker_heartbeat_age_seconds": None if self.heartbeat_age is None else round(self.heartbeat_age, 1),
        }


def migrations_applied() -> bool:
    global _migrations_seen_applied  # noqa: PLW0603 - migrations never un-apply while a process runs
    if not _migrations_seen_applied:
        executor = MigrationExecutor(connection)
        _migrations_seen_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_seen_applied


def check() -> Health:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return Health(database=False, migrations=False, heartbeat_age=None)
    try:
        applied = migrations_applied()
        beat = WorkerHeartbeat.objects.filter(pk=1).values_list("beat_at", flat=True).first()
    except DatabaseError:
        return Health(database=True, migrations=False, heartbeat_age=None)
    age = None if beat is None else max(0.0, (timezone.now() - beat).total_seconds())
    return Health(database=True, migrations=applied, heartbeat_age=age)
