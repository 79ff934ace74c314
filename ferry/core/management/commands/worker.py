"""Runs the background worker: the periodic scheduler beside the database task queue."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from ferry.core.scheduler import SchedulerThread


class Command(BaseCommand):
    help = "Run Ferry's background worker (scheduler and task queue)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run one scheduler tick, process the queue, exit.")

    def handle(self, *args: Any, batch: bool = False, **options: Any) -> None:
        scheduler = SchedulerThread()
        if batch:
            scheduler.on_tick()
        else:
            scheduler.start()
        try:
            call_command(
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.5",
                *(["--batch"] if batch else []),
                verbosity=options.get("verbosity", 1),
            )
        finally:
            scheduler.stop()
