"""/healthz checks what people need: a database that takes writes, room on the disk, a live worker, jobs on time.

Each failing check answers 503 and names itself; nothing else is said."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from ferry.core import health
from ferry.core.scheduler import tick
from ferry.core.workers import worker_beat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_probe() -> Iterator[None]:
    health.probe_forget()
    yield
    health.probe_forget()


def _health() -> tuple[int, dict[str, object]]:
    response = Client().get("/healthz")
    return response.status_code, response.json()


def test_all_checks_green_with_a_live_worker() -> None:
    worker_beat("w1")
    tick()
    status, body = _health()
    assert (status, body["status"], body["failing"]) == (200, "ok", [])
    assert set(body) == {
        "status",
        "failing",
        "database",
        "migrations",
        "disk",
        "worker",
        "jobs",
        "worker_heartbeat_age_seconds",
    }


def test_a_worker_silent_for_longer_than_a_sweep_is_stale(settings) -> None:
    worker_beat("w1")
    assert _health()[0] == 200
    # The worker dies: a minute and a bit later (one sweep interval), health says so.
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.FERRY_HEARTBEAT_STALE_SECONDS + 1)):
        status, body = _health()
    assert status == 503
    assert body["worker"] == "stale"
    assert "worker" in body["failing"]
    assert settings.FERRY_HEARTBEAT_STALE_SECONDS <= 60


def test_disk_below_the_margin_is_reported(settings) -> None:
    worker_beat("w1")
    settings.FERRY_DISK_MARGIN_MB = 10**9  # a petabyte: more than this disk has free
    status, body = _health()
    assert status == 503
    assert (body["disk"], body["failing"]) == ("low", ["disk"])


def test_a_database_that_refuses_writes_is_reported() -> None:
    worker_beat("w1")
    read_only, writable = (
        ("PRAGMA query_only = ON", "PRAGMA query_only = OFF")
        if connection.vendor == "sqlite"
        else ("SET default_transaction_read_only = on", "SET default_transaction_read_only = off")
    )
    with connection.cursor() as cursor:
        cursor.execute(read_only)
    try:
        status, body = _health()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(writable)
    assert status == 503
    assert (body["database"], body["failing"]) == ("read-only", ["database"])


def test_queued_jobs_waiting_too_long_are_overdue(settings) -> None:
    tick()  # the minute jobs are queued; no worker takes them
    later = timezone.now() + timedelta(seconds=settings.FERRY_JOBS_OVERDUE_SECONDS + 5)
    with time_machine.travel(later):
        worker_beat("w1")  # a worker that beats but whose queue does not move
        status, body = _health()
    assert status == 503
    assert (body["jobs"], body["failing"]) == ("overdue", ["jobs"])


def test_a_scheduler_that_stopped_enqueueing_is_overdue(settings) -> None:
    from django_tasks_db.models import DBTaskResult

    tick()
    DBTaskResult.objects.all().delete()  # the jobs ran; then the scheduler enqueues nothing more
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.FERRY_JOBS_OVERDUE_SECONDS + 5)):
        worker_beat("w1")
        status, body = _health()
    assert status == 503
    assert body["failing"] == ["jobs"]
