"""Backup and restore at scale (issue 15): a backup of 10,000 cases made while nothing else runs, checked by
restoring it into a throwaway place, then restored for real over a database and files folder taken as lost,
and checked again as restored.

The data: bench/casegen.py's seeded cases (9,000 open, 1,000 closed, 20 timeline entries each on average,
45 caseworkers, 5 coordinators), FILES sealed files of FILE_BYTES each stored through the vault as staff
evidence is (written whole before the row commits), and AUDIT_ENTRIES audit entries with a signed head.
Figures: seconds to back up, to check, to restore (database and files, then the check the restore runs),
the backup's size, and the problems the checks found (target: none). About 2 minutes on 2 quiet CPUs."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from bench import casegen
from bench.figures import Figure

NAME = "backup"

SHAPE = casegen.Shape(cases=9_000, closed=1_000, caseworkers=45, coordinators=5, focus_open=200, focus_closed=20)
FILES = 2_000
FILE_BYTES = 24 * 1024
AUDIT_ENTRIES = 2_000
MAX_RESTORE_SECONDS = 120.0


def log(message: str) -> None:
    print(f"bench backup: {message}", flush=True)


def _extras(generated: casegen.Generated) -> None:
    """Files and audit entries casegen does not make: sealed through the vault, recorded through the audit."""
    from ferry.audit.services import audit_head_sign, audit_record
    from ferry.vault import files, keysets
    from ferry.vault.keyring import KeyRing

    member = generated.team.focus
    key_set, key = keysets.keyset_create(purpose="case", grant_to=[member.staff_id])
    assert KeyRing(staff_id=member.staff_id, private_key=member.private_key).key_for(key_set) == key  # noqa: S101
    for _n in range(FILES):
        files.file_put(key_set=key_set, set_key=key, content=os.urandom(FILE_BYTES))
    for n in range(AUDIT_ENTRIES):
        audit_record(action="case.open", actor_id=member.staff_id, object_type="case", object_id=str(n))
    audit_head_sign()


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def run() -> list[Figure]:
    from django.conf import settings

    from ferry.cases.models import Case, Event
    from ferry.core.backup.services import backup_check, backup_make, backup_restore
    from ferry.vault import files

    generated = casegen.generate(SHAPE)
    log(f"generated {generated.counts['cases.case']:,} cases in {generated.seconds:.0f} s")
    started = time.perf_counter()
    _extras(generated)
    log(f"{FILES:,} files and {AUDIT_ENTRIES:,} audit entries in {time.perf_counter() - started:.0f} s")
    cases, events = Case.objects.count(), Event.objects.count()

    with tempfile.TemporaryDirectory(prefix="ferry-bench-backup-") as scratch:
        dest = Path(scratch) / "backup"
        started = time.perf_counter()
        manifest = backup_make(dest)
        made_s = time.perf_counter() - started
        size = _size_mb(dest)
        log(f"backup: {len(manifest.files):,} files, {size:.0f} MB in {made_s:.1f} s")

        started = time.perf_counter()
        checked = backup_check(dest)
        check_s = time.perf_counter() - started
        log(f"check: {checked.sealed_rows_sampled} sealed rows sampled, problems {checked.problems[:3]}")

        # The server is lost: its stored files are gone, the database is overwritten by the restore.
        shutil.rmtree(Path(str(files.storage().location)))  # type: ignore[attr-defined]
        (Path(settings.DATA_DIR) / "audit_head").unlink(missing_ok=True)
        started = time.perf_counter()
        restored = backup_restore(dest, replace=True)
        restore_s = time.perf_counter() - started
        same = Case.objects.count() == cases and Event.objects.count() == events
        log(f"restore: problems {restored.problems[:3]}; cases and timeline entries as before: {same}")

    problems = len(checked.problems) + len(restored.problems) + (0 if same else 1)
    label = f"{cases:,} cases, {FILES:,} files ({size:.0f} MB)"
    return [
        Figure(f"backup of {label}", made_s, "s", "", True),
        Figure("backup check (throwaway restore, structural)", check_s, "s", "", True),
        Figure(
            f"restore of {label}, checked",
            restore_s,
            "s",
            f"< {MAX_RESTORE_SECONDS:.0f} s",
            restore_s < MAX_RESTORE_SECONDS,
        ),
        Figure("problems found by the checks", problems, "", "= 0", problems == 0),
    ]
