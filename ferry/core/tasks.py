"""Background jobs of the shell: pruning finished task rows. (The heartbeat is written by each worker's
scheduler thread, not queued: see ferry.core.workers.)"""

from __future__ import annotations

from django_tasks import task

from ferry.core.workers import tasks_prune


@task()
def task_results_prune() -> None:
    tasks_prune()
