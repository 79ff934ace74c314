"""Creates an enrolled staff member; the passphrase comes from standard input, the secrets go out as JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ferry.accounts.models import Role
from ferry.accounts.services import AccountError, staff_create_active


class Command(BaseCommand):
    help = "Create a staff member. Reads the passphrase from stdin; prints JSON with the TOTP secret and recovery code."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", action="append", required=True, choices=[r.value for r in Role])
        parser.add_argument("--name", default="", help="Name shown to colleagues (a first name or pseudonym).")

    def handle(self, *args: Any, email: str, role: list[str], name: str, **options: Any) -> None:
        passphrase = sys.stdin.readline().rstrip("\n")
        if not passphrase:
            raise CommandError("give the passphrase on standard input")
        try:
            created = staff_create_active(email=email, roles=role, passphrase=passphrase, display_name=name)
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            json.dumps(
                {
                    "id": created.staff.pk,
                    "email": created.staff.email,
                    "roles": sorted(role),
                    "totp_secret": created.totp_secret,
                    "recovery_code": created.recovery_code,
                }
            )
        )
