"""The worker is a real process: it beats, the scheduler enqueues each slot once, and /healthz sees both."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from ferry.core.scheduler import PERIODIC, Periodic, tick

pytestmark = pytest.mark.django_db(transaction=True)


def test_health_reports_a_missing_worker_then_a_live_one(subprocess_env: dict[str, str]) -> None:
    client = Client()
    before = client.get("/healthz")
    assert before.status_code == 503
    assert before.json() == {
        "status": "degraded",
        "failing": ["worker"],
        "database": "ok",
        "migrations": "ok",
        "disk": "ok",
        "worker": "never",
        "jobs": "ok",
        "worker_heartbeat_age_seconds": None,
    }

    # When a real worker process runs one batch (a heartbeat, a scheduler tick, then the queue)...
    done = subprocess.run(
        [sys.executable, "manage.py", "worker", "--batch", "-v", "0"],
        env=subprocess_env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()

    # ...the heartbeat it wrote makes the health page green.
    after = client.get("/healthz")
    assert after.status_code == 200
    body = after.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["worker"] == "ok"
    assert 0 <= body["worker_heartbeat_age_seconds"] < 60


def test_scheduler_enqueues_each_slot_exactly_once() -> None:
    jobs = (Periodic("ferry.core.tasks.task_results_prune", 60), Periodic("ferry.accounts.tasks.sessions_purge", 300))
    now = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=5, microsecond=0)
    assert tick(now, jobs) == ["ferry.core.tasks.task_results_prune", "ferry.accounts.tasks.sessions_purge"]
    assert tick(now + timedelta(seconds=30), jobs) == []  # same slot: nothing more
    assert tick(now + timedelta(seconds=60), jobs) == ["ferry.core.tasks.task_results_prune"]
    assert DBTaskResult.objects.count() == 3
    assert {p.job for p in PERIODIC} >= {j.job for j in jobs}
