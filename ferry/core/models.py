"""The worker processes' heartbeats, the health probe's row, and the scheduler's record of enqueued periodic runs."""

from __future__ import annotations

from django.db import models


class WorkerProcess(models.Model):
    """One row per worker process, rewritten by its scheduler thread every few seconds. /healthz reports the
    freshest; a task left running by a process whose row went stale was left by a dead worker."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    beat_at = models.DateTimeField(db_index=True)


class HealthProbe(models.Model):
    """One row that /healthz rewrites: the proof that the database takes writes, not only reads."""

    written_at = models.DateTimeField()


class ScheduledRun(models.Model):
    """One row per periodic job and time slot: the unique key makes enqueueing exactly-once."""

    job = models.CharField(max_length=100)
    slot = models.BigIntegerField(help_text="Seconds since the epoch divided by the job's interval.")
    enqueued_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once")]
