"""Restores a backup folder made by `backup` (Ferry stopped), or with --check only checks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ferry.core.backup.database import BackupFailed
from ferry.core.backup.services import backup_check, backup_restore
from ferry.core.management.commands.backup import report
from ferry.vault.anchor import SigningKeyMismatch


class Command(BaseCommand):
    help = "Restore a backup into the configured database and file storage, then check what was restored."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("src", type=Path, help="A folder made by the backup command.")
        parser.add_argument("--check", action="store_true", help="Only check it, in a throwaway place.")
        parser.add_argument("--replace", action="store_true", help="Overwrite a database that is not empty.")
        parser.add_argument(
            "--signing-key", type=Path, help="The audit_signing_key file kept apart from backups, to put back."
        )

    def handle(
        self,
        *args: Any,
        src: Path,
        check: bool = False,
        replace: bool = False,
        signing_key: Path | None = None,
        **options: Any,
    ) -> None:
        try:
            if check:
                report(self, backup_check(src))
                self.stdout.write("backup verified")
                return
            report(self, backup_restore(src, replace=replace, signing_key=signing_key))
            self.stdout.write("restored and verified")
        except (BackupFailed, SigningKeyMismatch) as exc:
            raise CommandError(str(exc)) from None
