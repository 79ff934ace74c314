"""Enqueues periodic jobs exactly once per time slot, however many worker processes are running."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, InterfaceError, OperationalError, close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ferry.core.models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    job: str  # dotted path of a django_tasks task
    every_seconds: int


# Later apps add their minute jobs here (check-in sweep, retention, notifications).
PERIODIC: tuple[Periodic, ...] = (
    Periodic("ferry.accounts.tasks.sessions_purge", 60),
    Periodic("ferry.intake.tasks.intake_housekeeping", 60),
    Periodic("ferry.accounts.tasks.alerts_email", 60),
    Periodic("ferry.cases.tasks.checkin_sweep", 60),
    Periodic("ferry.cases.tasks.retention_shred", 3600),
    Periodic("ferry.incidents.tasks.tallies_refresh", 3600),
    Periodic("ferry.vault.tasks.stored_files_tidy", 3600),
    Periodic("ferry.core.tasks.task_results_prune", 3600),
    Periodic("ferry.audit.tasks.audit_anchor", 86400),
)


def tick(now: datetime | None = None, periodic: tuple[Periodic, ...] = PERIODIC) -> list[str]:
    """Enqueue every job whose current slot has not been enqueued yet; returns the jobs enqueued."""
    now = now or timezone.now()
    epoch = int(now.timestamp())
    enqueued = []
    for item in periodic:
        slot = epoch // item.every_seconds
        try:
            # The marker row and the queued task commit together: a crash leaves neither or both.
            with transaction.atomic():
                ScheduledRun.objects.create(job=item.job, slot=slot, enqueued_at=now)
                import_string(item.job).enqueue()
        except IntegrityError:
            continue
        enqueued.append(item.job)
    ScheduledRun.objects.filter(enqueued_at__lt=now - timedelta(days=2)).delete()
    return enqueued


class SchedulerThread(threading.Thread):
    """Calls tick() every few seconds until stopped."""

    def __init__(self, *, interval: float = 5.0, on_tick: Callable[[], object] = tick) -> None:
        super().__init__(name="ferry-scheduler", daemon=True)
        self.interval = interval
        self.on_tick = on_tick
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.on_tick()
            except (OperationalError, InterfaceError) as exc:
                # The database is away (restarting, unreachable): one line, the next tick tries again.
                logger.warning(
                    "scheduler: database unavailable (%s); next tick in %.0f s", type(exc).__name__, self.interval
                )
            except Exception:
                # A database hiccup must not kill the scheduler; the next tick retries.
                logger.exception("scheduler tick failed")
            finally:
                with contextlib.suppress(OperationalError, InterfaceError):
                    close_old_connections()
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
