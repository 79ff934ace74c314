"""Verifies every evidence item's custody chain and stored file without any key; exits non-zero on a problem."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ferry.incidents.custody_check import verify_without_keys


class Command(BaseCommand):
    help = (
        "Verify every evidence item without keys: its custody chain, the chain against the audit log, and the "
        "stored ciphertext against the hash recorded at acquisition. Prints references and problems only."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_without_keys()
        for problem in report.problems:
            where = f" (entry {problem.entry})" if problem.entry is not None else ""
            self.stderr.write(f"{problem.reference}{where}: {problem.problem}")
        if report.problems:
            items = len({p.reference for p in report.problems})
            raise CommandError(f"{len(report.problems)} problem(s) in {items} of {report.items} evidence items.")
        self.stdout.write(f"evidence intact: {report.items} items, every custody chain and stored file verified.")
