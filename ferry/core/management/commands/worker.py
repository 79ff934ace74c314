"""Runs the background worker: the periodic scheduler beside the database task queue."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from ferry.core import scheduler
from ferry.core.scheduler import SchedulerThread
from ferry.core.workers import (
    RECONNECT_FIRST_SECONDS,
    RECONNECT_MAX_SECONDS,
    QueueWorker,
    tasks_lost_fail,
    worker_beat,
    worker_id_new,
)

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run Ferry's background worker (scheduler and task queue)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run one scheduler tick, process the queue, exit.")

    def handle(self, *args: Any, batch: bool = False, **options: Any) -> None:
        # The queue's own loggers, quiet at -v 0 as `db_worker -v 0` makes them.
        DbWorkerCommand().configure_logging(options.get("verbosity", 1))
        worker_id = worker_id_new()

        def on_tick() -> None:
            # The beat first: it proves this process alive, so its own running task is not taken for lost.
            worker_beat(worker_id)
            tasks_lost_fail()
            scheduler.tick()

        if batch:
            on_tick()
        else:
            self._first_beat(worker_id)
        thread = SchedulerThread(on_tick=on_tick)
        if not batch:
            thread.start()
        queue = QueueWorker(
            queue_names=["default"],
            interval=0.5,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        queue.configure_signals()
        try:
            queue.run()
        finally:
            thread.stop()

    @staticmethod
    def _first_beat(worker_id: str) -> None:
        """Wait for the database as the queue loop does: a worker started before its database comes up waits."""
        wait = RECONNECT_FIRST_SECONDS
        while True:
            try:
                worker_beat(worker_id)
                return
            except (OperationalError, InterfaceError) as exc:
                logger.warning("worker: database unavailable (%s); trying again in %.0f s", type(exc).__name__, wait)
                time.sleep(wait)
                wait = min(wait * 2, RECONNECT_MAX_SECONDS)
