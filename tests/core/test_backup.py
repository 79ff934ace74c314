"""Backups by command, on the configured database (SQLite, or PostgreSQL in the second suite): made while
Ferry runs, checked by restoring them into a throwaway place, restored for real; Given/When/Then."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from ferry.audit.models import AuditEntry
from ferry.audit.services import audit_head_sign, audit_record, audit_verify
from ferry.core.backup import services as backup
from ferry.intake.models import Attachment, Request
from ferry.vault import anchor, files, keysets
from ferry.vault.keyring import KeyRing
from ferry.vault.models import FileKey, PendingFile
from tests.intake.helpers import jpeg_with_gps, submit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def folder(settings: Any, tmp_path: Path) -> Path:
    """Stored files in a folder of this test's own (the data folder outlives each test's database)."""
    root = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "ferry_files": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture
def ferry(make_staff: Any, folder: Path) -> dict[str, Any]:
    """An organisation with requests (one with a photo, one sent today whose file still waits in the database),
    a staff member's evidence file, and an audit log with a signed head."""
    admin = make_staff("administrator")
    make_staff("coordinator")
    worker = make_staff("caseworker")
    ring = KeyRing(staff_id=worker.staff.pk, private_key=worker.private_key)
    submit(Client(), files=[jpeg_with_gps()])
    files.stored_files_flush(now=timezone.now() + timedelta(days=1))
    submit(Client(), files=[jpeg_with_gps()], name="Boris")
    key_set, _key = keysets.keyset_create(purpose="case", grant_to=[worker.staff.pk])
    evidence = files.file_put(key_set=key_set, ring=ring, content=b"a scan of the detention order")
    audit_head_sign(actor_id=admin.staff.pk)
    audit_record(action="case.open", actor_id=admin.staff.pk)
    return {"ring": ring, "key_set": key_set, "evidence": evidence}


def _stored(folder: Path) -> set[str]:
    return {f"{p.parent.name}/{p.name}" for p in folder.rglob("*.bin")}


def test_a_backup_holds_the_database_and_every_file_it_names_and_verifies(
    ferry: dict[str, Any], folder: Path, tmp_path: Path
) -> None:
    # When an operator makes a backup with --verify while Ferry runs,
    call_command("backup", str(tmp_path / "b"), "--verify")

    # Then it holds every stored file the database names (the waiting one is inside the database copy),
    manifest = backup.Manifest.read(tmp_path / "b")
    waiting = PendingFile.objects.values("pk")
    stored = {files.stored_name(str(pk)) for pk in FileKey.objects.exclude(pk__in=waiting).values_list("pk", flat=True)}
    assert len(stored) == 2
    assert {name for name, _size, _digest in manifest.files} == stored == _stored(tmp_path / "b" / "files")
    assert PendingFile.objects.count() == 1
    # the audit head of the copy's instant, and the signing key's public half (never the key itself),
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    assert manifest.audit_head == (last.seq, last.entry_hash)
    assert manifest.signer == anchor.public_key()
    secrets = {
        (Path(settings.DATA_DIR) / anchor.KEY_FILE).read_text().strip().encode(),
        settings.SECRET_KEY.encode(),
    }
    for path in (tmp_path / "b").rglob("*"):
        if path.is_file():
            assert not any(secret in path.read_bytes() for secret in secrets), path.name
    # and a check restores it into a throwaway place and finds nothing wrong.
    checked = backup.backup_check(tmp_path / "b")
    assert checked.problems == []
    assert checked.files == 2
    assert checked.audit_entries == last.seq
    assert checked.sealed_rows_sampled >= 3


def test_a_shred_between_the_database_copy_and_the_files_leaves_no_row_without_its_file(
    ferry: dict[str, Any], folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a shred (and the hourly sweep) that run just after the database was copied, before its files are,
    copy = backup.snapshot_copy

    def copy_then_shred(dest: Path) -> Any:
        made = copy(dest)
        keysets.keyset_shred(key_set=ferry["key_set"])
        files.stored_files_sweep()
        return made

    monkeypatch.setattr(backup, "snapshot_copy", copy_then_shred)
    # When the backup is made,
    manifest = backup.backup_make(tmp_path / "b")
    # Then the shredded file, which the copy still names, is in it (the sweep waits a margin after a shred),
    assert files.stored_name(str(ferry["evidence"])) in {name for name, _s, _d in manifest.files}
    assert manifest.missing == []
    # and the backup restores whole.
    assert backup.backup_check(tmp_path / "b").problems == []


def test_a_check_finds_a_missing_file_a_changed_file_and_a_cut_audit_log(ferry: dict[str, Any], tmp_path: Path) -> None:
    backup.backup_make(tmp_path / "b")
    manifest = backup.Manifest.read(tmp_path / "b")
    first, second = sorted(name for name, _s, _d in manifest.files)
    # Given a backup whose one file was lost and another changed,
    (tmp_path / "b" / "files" / first).unlink()
    changed = tmp_path / "b" / "files" / second
    blob = changed.read_bytes()
    changed.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    # When it is checked, Then both are named, and a restore refuses to start.
    problems = backup.backup_check(tmp_path / "b").problems
    assert f"{first}: missing from the backup" in problems
    assert f"{second}: changed since the backup was made" in problems
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(tmp_path / "b"), "--replace")

    # Given a backup whose recorded head is later than its database's last entry (entries cut from its copy),
    backup.backup_make(tmp_path / "c")
    cut = backup.Manifest.read(tmp_path / "c")
    assert cut.audit_head is not None
    cut.audit_head = (cut.audit_head[0] + 1, "0" * 64)
    cut.write(tmp_path / "c")
    # Then the check says the restored audit log is not what was recorded.
    problems = backup.backup_check(tmp_path / "c").problems
    assert "audit log: its head is not the one recorded when the backup was made" in problems
    assert any(p.startswith("audit log: entry") for p in problems)


def test_restore_puts_back_the_database_and_files_as_they_were(
    ferry: dict[str, Any], folder: Path, tmp_path: Path
) -> None:
    # Given a backup, then later work and a lost files folder,
    call_command("backup", str(tmp_path / "b"))
    requests = set(Request.objects.values_list("pk", flat=True))
    head = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    submit(Client(), name="Later")
    audit_record(action="case.open")
    for path in folder.rglob("*.bin"):
        path.unlink()

    # When the operator restores it (a non-empty database needs --replace),
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(tmp_path / "b"))
    call_command("restore", str(tmp_path / "b"), "--replace")

    # Then the database is the backup's, every file its keys name is back and opens, and the chain verifies.
    assert set(Request.objects.values_list("pk", flat=True)) == requests
    assert AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first() == head
    assert audit_verify(expect_head=head).ok
    assert files.file_get(file_id=ferry["evidence"], ring=ferry["ring"]) == b"a scan of the detention order"
    assert Attachment.objects.count() == 2
    for attachment in Attachment.objects.all():
        assert FileKey.objects.filter(pk=attachment.file_id).exists()
        waiting = PendingFile.objects.filter(pk=attachment.file_id).exists()
        assert waiting or (folder / files.stored_name(str(attachment.file_id))).exists()
