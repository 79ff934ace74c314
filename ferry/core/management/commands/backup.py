"""Makes a backup folder while Ferry runs (database copy, then the files it names); --verify checks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ferry.core.backup.database import BackupFailed
from ferry.core.backup.services import Checked, backup_check, backup_make


def report(command: BaseCommand, checked: Checked) -> None:
    head = f"{checked.audit_head[0]}:{checked.audit_head[1]}" if checked.audit_head else "none"
    command.stdout.write(
        f"{checked.files} files, {checked.audit_entries} audit entries up to head {head}, "
        f"{checked.sealed_rows_sampled} sealed rows sampled"
    )
    for problem in checked.problems:
        command.stderr.write(f"problem: {problem}")
    if checked.problems:
        raise CommandError(f"{len(checked.problems)} problems found.")


class Command(BaseCommand):
    help = "Back up the database and the stored files it names into a new folder (online and consistent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dest", type=Path, help="A new or empty folder.")
        parser.add_argument(
            "--verify", action="store_true", help="Then restore it into a throwaway place and check what came back."
        )

    def handle(self, *args: Any, dest: Path, verify: bool = False, **options: Any) -> None:
        try:
            manifest = backup_make(dest)
            head = f"{manifest.audit_head[0]}:{manifest.audit_head[1]}" if manifest.audit_head else "none"
            self.stdout.write(f"backup made in {dest}: {len(manifest.files)} files, audit head {head}")
            if manifest.missing:
                raise CommandError(
                    f"{len(manifest.missing)} files the database names were already missing from storage."
                )
            if verify:
                report(self, backup_check(dest))
                self.stdout.write("backup verified")
        except BackupFailed as exc:
            raise CommandError(str(exc)) from None
