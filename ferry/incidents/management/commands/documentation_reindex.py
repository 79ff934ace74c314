"""Rebuilds the documentation's clear index and counts from the records, or (--check) only compares them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ferry.incidents.derived import derived_check, derived_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the documentation's term index and act counts from the incidents, acts and involvements (no key "
        "is needed), all or nothing. With --check, only compare what is kept with what a rebuild would write, "
        "change nothing, and exit non-zero on a difference. Prints numbers only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Compare only; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["check"]:
            written = derived_rebuild()
            self.stdout.write("rebuilt: " + ", ".join(f"{name} {rows} rows" for name, rows in written.items()) + ".")
            return
        drifts = derived_check()
        for drift in drifts:
            state = "exact" if drift.exact else f"{drift.stale} stale, {drift.missing} missing"
            self.stdout.write(f"{drift.table}: {drift.kept} rows kept, {state}")
        if not all(drift.exact for drift in drifts):
            raise CommandError(
                "The documentation's index or counts differ from the records: run documentation_reindex."
            )
        self.stdout.write("the documentation's index and counts match the records.")
