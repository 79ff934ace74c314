"""Background jobs of the shell: the heartbeat that proves the worker is alive."""

from __future__ import annotations

import os
import socket

from django.utils import timezone
from django_tasks import task

from ferry.core.models import WorkerHeartbeat


@task()
def heartbeat() -> None:
    WorkerHeartbeat.objects.update_or_create(
        pk=1, defaults={"beat_at": timezone.now(), "worker_id": f"{socket.gethostname()}:{os.getpid()}"[:64]}
    )
