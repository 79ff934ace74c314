"""The worker's heartbeat and the scheduler's record of which periodic runs were enqueued."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row, rewritten by the heartbeat job each minute; /healthz reports its age."""

    beat_at = models.DateTimeField()
    worker_id = models.CharField(max_length=64)


class ScheduledRun(models.Model):
    """One row per periodic job and time slot: the unique key makes enqueueing exactly-once."""

    job = models.CharField(max_length=100)
    slot = models.BigIntegerField(help_text="Seconds since the epoch divided by the job's interval.")
    enqueued_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once")]
