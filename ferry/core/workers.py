"""The worker process: its heartbeat, the tasks a dead worker left running, old task rows, and a queue loop
that waits for a lost database instead of dying.

Each worker process beats (one `WorkerProcess` row) every scheduler tick, a few seconds apart. A task row
still RUNNING whose worker has not beaten for WORKER_DEAD_SECONDS was left by a process that died (kill -9,
out of memory, power): it is marked failed, and if it was a periodic job of the current slot, the slot's
marker goes too, so the next tick enqueues it again at once instead of at the next slot (an hour later for
the retention shred). Periodic jobs are idempotent sweeps, so running one again is safe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from ferry.core.models import ScheduledRun, WorkerProcess
from ferry.core.scheduler import PERIODIC

logger = logging.getLogger(__name__)

WORKER_DEAD_SECONDS = 30  # six missed beats of a scheduler ticking every 5 s
LOST_MARK = "ferry.core.workers.WorkerLost"  # recorded as the failed task's exception class; no traceback
RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 30.0


def worker_id_new() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"[:64]


def worker_beat(worker_id: str, now: datetime | None = None) -> None:
    WorkerProcess.objects.update_or_create(worker_id=worker_id, defaults={"beat_at": now or timezone.now()})


def _slot_free(job: str, enqueued_at: datetime, now: datetime) -> bool:
    """Drop the marker of the slot a lost periodic run was enqueued for, if that slot is the current one."""
    every = next((p.every_seconds for p in PERIODIC if p.job == job), None)
    if every is None:
        return False
    marker = ScheduledRun.objects.filter(job=job, enqueued_at__lte=enqueued_at).order_by("-slot").first()
    if marker is None or marker.slot != int(now.timestamp()) // every:
        return False  # an older slot: the current one has, or will get, its own run
    marker.delete()
    return True


def tasks_lost_fail(now: datetime | None = None, *, own_worker_id: str = "") -> list[str]:
    """Mark failed the tasks left RUNNING by a worker that is gone; returns their task paths.

    `own_worker_id` names this process when it has just reconnected to the database: it runs nothing at
    that moment, so any task still RUNNING under its name was lost with the connection.
    """
    now = now or timezone.now()
    alive = set(
        WorkerProcess.objects.filter(beat_at__gte=now - timedelta(seconds=WORKER_DEAD_SECONDS)).values_list(
            "worker_id", flat=True
        )
    )
    alive.discard(own_worker_id)
    lost = []
    for row in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only(
        "id", "task_path", "worker_ids", "enqueued_at"
    ):
        if row.worker_ids and row.worker_ids[-1] in alive:
            continue
        with transaction.atomic():
            marked = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=LOST_MARK,
                traceback="",
                return_value=None,
            )
            if marked:
                _slot_free(row.task_path, row.enqueued_at, now)
                lost.append(row.task_path)
    for job in lost:
        logger.warning("worker: a run of %s was left unfinished by a worker that stopped; it runs again", job)
    return lost


def tasks_prune(now: datetime | None = None) -> int:
    """Delete finished task rows older than FERRY_TASK_RESULTS_KEEP_DAYS, and rows of long-gone workers."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FERRY_TASK_RESULTS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=cutoff
    ).delete()
    WorkerProcess.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()
    return deleted


def _connection_drop() -> None:
    with contextlib.suppress(OperationalError, InterfaceError):
        connection.close()


class QueueWorker(Worker):
    """django-tasks-db's queue loop, which ends at the first failed query, run again until it ends by itself.

    When the database goes away (restarted, unreachable) the loop waits, doubling the wait up to
    RECONNECT_MAX_SECONDS, and carries on once it answers; a task it was running is marked failed then.
    """

    def run(self) -> None:
        wait = RECONNECT_FIRST_SECONDS
        lost_connection = False
        while self.running:
            try:
                if lost_connection:
                    tasks_lost_fail(own_worker_id=self.worker_id)
                    logger.warning("worker: the database answers again; carrying on")
                    lost_connection, wait = False, RECONNECT_FIRST_SECONDS
                super().run()
                return
            except (OperationalError, InterfaceError) as exc:
                if self.batch:
                    raise
                # The class name only: a database message can quote the statement's values.
                logger.warning("worker: database unavailable (%s); trying again in %.0f s", type(exc).__name__, wait)
                lost_connection = True
                self.running_task = False
                _connection_drop()
                time.sleep(wait)
                wait = min(wait * 2, RECONNECT_MAX_SECONDS)
