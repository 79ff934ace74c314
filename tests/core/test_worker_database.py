"""A worker whose database goes away waits and carries on when it is back, instead of stopping for good.

PostgreSQL only: the test's database refuses new connections and every other connection to it is cut
(as a restart of the server does to its clients), then connections are allowed again."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ferry.core.models import WorkerProcess
from ferry.core.tasks import task_results_prune

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 4.0


def _until(what: str, check: Callable[[], object], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"not seen within {seconds:.0f} s: {what}")


def _outage() -> None:
    import psycopg

    db = connection.settings_dict
    name, quoted = db["NAME"], connection.ops.quote_name(db["NAME"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (ours,) = cursor.fetchone()
    # From the server's maintenance database: a database cannot shut its own doors.
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f"ALTER DATABASE {quoted} ALLOW_CONNECTIONS false")
        try:
            deadline = time.monotonic() + OUTAGE_SECONDS
            while time.monotonic() < deadline:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                    [name, ours],
                )
                time.sleep(0.5)
        finally:
            admin.execute(f"ALTER DATABASE {quoted} ALLOW_CONNECTIONS true")


def test_the_worker_waits_for_its_database_and_carries_on(subprocess_env: dict[str, str]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: an SQLite file does not go away")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "-v", "1"],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    mine = f":{worker.pid}:"
    try:
        _until("the worker's heartbeat", lambda: WorkerProcess.objects.filter(worker_id__contains=mine).exists())
        _outage()
        back = timezone.now()
        assert worker.poll() is None, "the worker kept running through the outage"
        # It beats again and runs a job enqueued after the outage.
        _until(
            "a heartbeat after the outage",
            lambda: WorkerProcess.objects.filter(worker_id__contains=mine, beat_at__gt=back).exists(),
        )
        result = task_results_prune.enqueue()
        _until(
            "the job enqueued after the outage done",
            lambda: DBTaskResult.objects.filter(pk=result.id, status=TaskResultStatus.SUCCESSFUL).exists(),
        )
        assert worker.poll() is None
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert "database unavailable" in output
    assert "Traceback" not in output
