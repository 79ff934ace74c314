"""The recovery ceremony from the command line: k shares on stdin (one a line), key sets granted to a staff member."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ferry.accounts.ceremony import CeremonyError, escrow_recover, escrow_status
from ferry.accounts.models import Role, Staff
from ferry.vault import staffkeys
from ferry.vault.errors import WrongSecret
from ferry.vault.keyring import KeyRing


class Command(BaseCommand):
    help = (
        "Grant orphaned key sets to a staff member through the split escrow key. Reads the leading "
        "administrator's passphrase, then k shares, from stdin, one a line."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--key-set", type=int, action="append", required=True, dest="key_sets")
        parser.add_argument(
            "--to", required=True, dest="to_email", help="E-mail of the staff member who receives them."
        )
        parser.add_argument(
            "--by", required=True, dest="by_email", help="E-mail of the administrator leading the ceremony."
        )

    def handle(self, *args: Any, key_sets: list[int], to_email: str, by_email: str, **options: Any) -> None:
        if not escrow_status().split:
            raise CommandError("the escrow key is not split yet: its custodian recovers key sets on the escrow page")
        by = Staff.objects.filter(email__iexact=by_email, is_active=True, roles__role=Role.ADMINISTRATOR).first()
        to = Staff.objects.filter(email__iexact=to_email, is_active=True).first()
        if by is None or to is None:
            raise CommandError("--by must be an active administrator and --to an active staff member")
        try:
            staffkeys.staff_key_unlock(staff_id=by.pk, passphrase=sys.stdin.readline().rstrip("\n"))
        except WrongSecret:
            raise CommandError("the passphrase of --by is not right") from None
        shares = [line.strip() for line in sys.stdin if line.strip()]
        try:
            # The ring is unused once the key is split; the shares alone open the escrow key.
            count = escrow_recover(
                by=by,
                ring=KeyRing(staff_id=by.pk, private_key=b""),
                key_set_ids=key_sets,
                to_staff_id=to.pk,
                share_codes=shares,
            )
        except CeremonyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{count} key sets granted")
