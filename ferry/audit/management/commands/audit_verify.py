"""Verifies the audit log's hash chain; exits non-zero naming the first bad entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ferry.audit.services import audit_verify


def _head(value: str) -> tuple[int, str]:
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise CommandError("--expect-head takes SEQ:HASH as printed by an earlier run.")
    return int(seq), digest.lower()


class Command(BaseCommand):
    help = "Verify the audit log's hash chain."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--expect-head",
            type=_head,
            help="SEQ:HASH printed by an earlier run and kept elsewhere; detects entries cut from the end.",
        )

    def handle(self, *args: Any, expect_head: tuple[int, str] | None = None, **options: Any) -> None:
        verdict = audit_verify(expect_head=expect_head)
        if not verdict.ok:
            raise CommandError(f"audit chain broken at entry {verdict.first_bad_seq}: {verdict.problem}.")
        self.stdout.write(f"audit chain intact: {verdict.count} entries, head {verdict.head_seq}:{verdict.head_hash}")
