"""After a worker crash: a task it left RUNNING is marked failed and a periodic job runs again at the next tick
(not at its next slot, an hour later for the retention shred); finished task rows do not pile up."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ferry.core.scheduler import Periodic, tick
from ferry.core.workers import LOST_MARK, WORKER_DEAD_SECONDS, tasks_lost_fail, tasks_prune, worker_beat

pytestmark = pytest.mark.django_db(transaction=True)

RETENTION = "ferry.cases.tasks.retention_shred"
HOURLY = (Periodic(RETENTION, 3600),)


def _retention_claimed_by(worker_id: str) -> DBTaskResult:
    """This hour's retention run, enqueued by a tick and taken by a worker (as the queue loop claims it)."""
    assert tick(periodic=HOURLY) == [RETENTION]
    row = DBTaskResult.objects.get(task_path=RETENTION)
    row.claim(worker_id)
    return row


def test_a_run_left_by_a_dead_worker_fails_and_runs_again_at_the_next_tick() -> None:
    worker_beat("dead")
    row = _retention_claimed_by("dead")
    # Killed mid-way: its worker beats no more. Within the hour, not at the next one:
    later = timezone.now() + timedelta(seconds=WORKER_DEAD_SECONDS + 5)
    with time_machine.travel(later):
        if int(later.timestamp()) // 3600 != int(row.enqueued_at.timestamp()) // 3600:
            pytest.skip("the hour turned during the test: the next slot enqueues it anyway")
        worker_beat("alive")
        assert tasks_lost_fail() == [RETENTION]
        assert tick(periodic=HOURLY) == [RETENTION]
    row.refresh_from_db()
    assert (row.status, row.exception_class_path, row.traceback) == (TaskResultStatus.FAILED, LOST_MARK, "")
    again = DBTaskResult.objects.exclude(pk=row.pk).get(task_path=RETENTION)
    assert again.status == TaskResultStatus.READY


def test_a_run_of_a_live_worker_is_left_alone() -> None:
    worker_beat("busy")
    row = _retention_claimed_by("busy")
    with time_machine.travel(timezone.now() + timedelta(seconds=WORKER_DEAD_SECONDS - 10)):
        worker_beat("busy")  # a long shred: the worker's scheduler thread keeps beating
        assert tasks_lost_fail() == []
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING
    assert tick(periodic=HOURLY) == []


def test_a_worker_that_reconnects_fails_its_own_lost_run() -> None:
    worker_beat("me")
    row = _retention_claimed_by("me")
    # The database went away while the run was on; when it answers again this worker runs nothing.
    assert tasks_lost_fail(own_worker_id="me") == [RETENTION]
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED


def test_a_real_worker_resumes_a_run_left_by_a_killed_one(subprocess_env: dict[str, str]) -> None:
    """The retention run of this hour was taken by a worker that is gone; the next worker's first tick
    marks it failed and runs it again."""
    row = _retention_claimed_by("killed-worker")
    done = subprocess.run(
        [sys.executable, "manage.py", "worker", "--batch", "-v", "0"],
        env=subprocess_env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    rerun = DBTaskResult.objects.exclude(pk=row.pk).filter(task_path=RETENTION)
    if int(timezone.now().timestamp()) // 3600 == int(row.enqueued_at.timestamp()) // 3600:
        assert [r.status for r in rerun] == [TaskResultStatus.SUCCESSFUL]


def test_finished_task_rows_older_than_the_keep_period_are_pruned(settings) -> None:
    settings.FERRY_TASK_RESULTS_KEEP_DAYS = 7
    tick()
    first = list(DBTaskResult.objects.all())
    assert first
    for row in first[:-1]:
        row.claim("w")
        row.set_successful(None)
    waiting = first[-1]  # never taken: kept however old
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert tasks_prune() == 0
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        recent = tick()
        assert recent
        assert tasks_prune() == len(first) - 1
    assert DBTaskResult.objects.filter(pk=waiting.pk).exists()
    assert DBTaskResult.objects.count() == 1 + len(recent)
