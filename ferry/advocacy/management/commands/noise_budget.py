"""Shows the privacy budget for noisy statistics, or sets a new total (audited); what was spent stays spent."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ferry.advocacy import noise


class Command(BaseCommand):
    help = (
        "Show the privacy budget (epsilon spent of the total) for noisy statistics, or set a new total with "
        "--total. Raising it lets more noisy tables be published about the same records: decide it as policy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--total", help="the new total epsilon, e.g. 10")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["total"] is not None:
            try:
                total = Decimal(options["total"])
            except InvalidOperation:
                raise CommandError("--total must be a number, e.g. 10") from None
            if not Decimal("0") <= total <= Decimal("1000"):
                raise CommandError("--total must be between 0 and 1000")
            noise.budget_set(total_milli=int(total * 1000), by_id=None)
        budget = noise.budget()
        self.stdout.write(f"privacy budget: epsilon {budget.spent} spent of {budget.total}")
