"""Prints a fresh one-time set-up link while no administrator exists (for deployments not started by `make run`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ferry.accounts.services import setup_token_issue


class Command(BaseCommand):
    help = "Print a one-time link that lets the first administrator create their account."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--base-url", required=True, help="How browsers reach Ferry, e.g. https://ferry.example.org"
        )

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        token = setup_token_issue()
        if token is None:
            raise CommandError("an administrator exists already; use createstaff or an invitation")
        self.stdout.write(f"{base_url.rstrip('/')}/{settings.FERRY_STAFF_PATH}/accounts/setup/{token}/")
