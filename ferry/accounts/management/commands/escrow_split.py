"""The split ceremony from the command line: the custodian's passphrase on stdin, the shares out as JSON, once."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ferry.accounts.ceremony import CeremonyError, escrow_split
from ferry.accounts.models import Staff
from ferry.vault import staffkeys
from ferry.vault.errors import WrongSecret
from ferry.vault.keyring import KeyRing


class Command(BaseCommand):
    help = "Split the escrow key into k-of-n shares. Reads the custodian's passphrase from stdin."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True, help="The custodian (the first administrator).")
        parser.add_argument("--threshold", type=int, required=True, help="k: shares needed to recover.")
        parser.add_argument("--shares", type=int, required=True, help="n: shares to make.")

    def handle(self, *args: Any, email: str, threshold: int, shares: int, **options: Any) -> None:
        staff = Staff.objects.filter(email__iexact=email, is_active=True).first()
        if staff is None:
            raise CommandError("no active staff member with that e-mail address")
        try:
            private = staffkeys.staff_key_unlock(staff_id=staff.pk, passphrase=sys.stdin.readline().rstrip("\n"))
        except WrongSecret:
            raise CommandError("the passphrase is not right") from None
        if not 2 <= threshold <= shares <= 255:
            raise CommandError("need 2 <= threshold <= shares <= 255")
        try:
            codes = escrow_split(
                by=staff, ring=KeyRing(staff_id=staff.pk, private_key=private), threshold=threshold, shares=shares
            )
        except CeremonyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps({"threshold": threshold, "shares": codes}))
