"""Making, restoring and checking backups. A backup is a folder: the database copy, every stored file that copy
names (files/), and manifest.json (the audit head and the signing key's public half at the copy's instant, and
each file's length and SHA-256). It holds no key that opens content, no secret_key and no audit signing key."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage, Storage

from ferry.audit.models import AuditEntry
from ferry.audit.services import audit_verify
from ferry.core.backup.database import (
    BackupFailed,
    database_restore,
    engine,
    snapshot_copy,
    throwaway_copy,
)
from ferry.vault import anchor, files, keysets
from ferry.vault.models import FileKey, PendingFile

FORMAT = "ferry-backup-1"
MANIFEST = "manifest.json"
FILES = "files"
# Sealed rows opened (structurally) per model when checking: enough to catch a copy that lost its content.
SAMPLE = 200


@dataclass
class Manifest:
    format: str
    engine: str
    database: str
    audit_head: tuple[int, str] | None
    signer: str | None
    files: list[tuple[str, int, str]] = field(default_factory=list)  # (stored name, length, sha256)
    missing: list[str] = field(default_factory=list)  # stored names the database named but storage lacked

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise BackupFailed("This folder is not a Ferry backup: it has no manifest.json.")
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise BackupFailed("This backup was made in a format this version does not know.")
        head = data.get("audit_head")
        return cls(
            format=data["format"],
            engine=data["engine"],
            database=data["database"],
            audit_head=(int(head[0]), str(head[1])) if head else None,
            signer=data.get("signer"),
            files=[(str(n), int(s), str(h)) for n, s, h in data.get("files", [])],
            missing=list(data.get("missing", [])),
        )

    def write(self, folder: Path) -> None:
        (folder / MANIFEST).write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")


@dataclass(frozen=True)
class Checked:
    """What a check of a backup found; `problems` empty means it restores whole."""

    files: int
    audit_entries: int
    audit_head: tuple[int, str] | None
    sealed_rows_sampled: int
    problems: list[str]


def _signer() -> str | None:
    try:
        return anchor.public_key()
    except anchor.SigningKeyMissing:
        return None


def backup_make(dest: Path) -> Manifest:
    """Copy the database (consistently, while Ferry runs), then every stored file that copy names.

    Shredded files stay in storage a margin after the shred (files.SWEEP_MARGIN), so a file named by the
    copy is still there when it is copied, however the two interleave."""
    if dest.exists() and any(dest.iterdir()):
        raise BackupFailed("The destination folder is not empty.")
    dest.mkdir(parents=True, exist_ok=True)
    database_file, snapshot = snapshot_copy(dest)
    manifest = Manifest(
        format=FORMAT, engine=engine(), database=database_file, audit_head=snapshot.audit_head, signer=_signer()
    )
    store = files.storage()
    for file_id in snapshot.file_ids:
        name = files.stored_name(file_id)
        try:
            with store.open(name) as handle:
                blob = handle.read()
        except FileNotFoundError:
            manifest.missing.append(name)
            continue
        target = dest / FILES / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob)
        manifest.files.append((name, len(blob), hashlib.sha256(blob).hexdigest()))
    manifest.write(dest)
    return manifest


def _backup_files_problems(src: Path, manifest: Manifest) -> list[str]:
    problems = []
    for name, size, digest in manifest.files:
        path = src / FILES / name
        if not path.is_file():
            problems.append(f"{name}: missing from the backup")
            continue
        blob = path.read_bytes()
        if len(blob) != size or hashlib.sha256(blob).hexdigest() != digest:
            problems.append(f"{name}: changed since the backup was made")
        elif not files.sealed_shape_ok(blob):
            problems.append(f"{name}: not a sealed file")
    problems += [f"{name}: was already missing from storage when the backup was made" for name in manifest.missing]
    return problems


def _files_restore(src: Path, manifest: Manifest, store: Storage, *, durable: bool = True) -> None:
    for name, _size, _digest in manifest.files:
        blob = (src / FILES / name).read_bytes()
        try:
            files.stored_write(store, name, blob, durable=durable)
        except files.StoredNameTaken:
            with store.open(name) as handle:
                if handle.read() != blob:
                    raise BackupFailed("Storage already holds a different file under a name in the backup.") from None


def _database_problems(alias: str, manifest: Manifest, present: set[str]) -> tuple[list[str], int, int]:
    """Check the restored database structurally: the audit chain reaches exactly the recorded head with
    genuine signed heads, every file its keys name is present, and a sample of sealed fields has the shape
    of a ciphertext. Returns problems, audit entries, sealed rows sampled."""
    problems = []
    verdict = audit_verify(using=alias, signer=manifest.signer or "", expect_head=manifest.audit_head)
    if not verdict.ok:
        problems.append(f"audit log: entry {verdict.first_bad_seq}: {verdict.problem}")
    head = AuditEntry.objects.using(alias).order_by("-seq").values_list("seq", "entry_hash").first()
    if head != manifest.audit_head:
        problems.append("audit log: its head is not the one recorded when the backup was made")
    named = {
        files.stored_name(str(pk))
        for pk in FileKey.objects.using(alias)
        .exclude(pk__in=PendingFile.objects.using(alias).values("pk"))
        .values_list("pk", flat=True)
    }
    problems += [f"{name}: named by the database, not in the backup" for name in sorted(named - present)]
    sampled = 0
    rng = random.Random()  # noqa: S311 - which rows to look at, not a secret
    for model, names in keysets.sealed_models().items():
        ids = list(model._default_manager.using(alias).values_list("pk", flat=True))
        for row in model._default_manager.using(alias).filter(pk__in=rng.sample(ids, min(SAMPLE, len(ids)))):
            sampled += 1
            for name in names:
                value = getattr(row, name)
                if value is not None and not files.sealed_shape_ok(bytes(value)):
                    problems.append(f"{model._meta.label_lower}.{name}: a value is not a ciphertext")
    return problems, verdict.count, sampled


def backup_check(src: Path) -> Checked:
    """Restore the backup into a throwaway folder (and database) and check what came back, opening nothing:
    no key is needed, and none is in a backup."""
    manifest = Manifest.read(src)
    problems = _backup_files_problems(src, manifest)
    with tempfile.TemporaryDirectory(prefix="ferry-check-") as scratch:
        folder = Path(scratch)
        store = FileSystemStorage(location=str(folder / FILES))
        ok_files = [entry for entry in manifest.files if (src / FILES / entry[0]).is_file()]
        _files_restore(src, Manifest(**{**asdict(manifest), "files": ok_files}), store, durable=False)
        present = {name for name, _size, _digest in ok_files}
        with throwaway_copy(src, manifest.database, folder) as alias:
            found, entries, sampled = _database_problems(alias, manifest, present)
    problems += found
    return Checked(
        files=len(manifest.files),
        audit_entries=entries,
        audit_head=manifest.audit_head,
        sealed_rows_sampled=sampled,
        problems=problems,
    )


def backup_restore(src: Path, *, replace: bool = False, signing_key: Path | None = None) -> Checked:
    """Restore a backup into the configured database and storage (Ferry stopped), then check it as restored."""
    manifest = Manifest.read(src)
    problems = _backup_files_problems(src, manifest)
    if problems:
        raise BackupFailed(f"The backup is damaged ({len(problems)} problems); nothing was restored.")
    if signing_key is not None:
        if manifest.signer is None:
            raise BackupFailed("This backup records no audit signing key to match.")
        anchor.signing_key_install(signing_key.read_text().strip(), expect_public=manifest.signer)
    database_restore(src, manifest.database, replace=replace)
    # Thousands of files: one flush of the whole disk at the end, instead of one per file and folder, before
    # anything (the service) can rely on them.
    _files_restore(src, manifest, files.storage(), durable=False)
    os.sync()
    _kept_head_set_aside(manifest)
    present = {name for name, _size, _digest in manifest.files}
    found, entries, sampled = _database_problems("default", manifest, present)
    if manifest.signer is not None and _signer() != manifest.signer:
        found.append(
            "audit signing key: not in the data folder; copy it there (or give --signing-key) before audit_verify"
        )
    return Checked(
        files=len(manifest.files),
        audit_entries=entries,
        audit_head=manifest.audit_head,
        sealed_rows_sampled=sampled,
        problems=found,
    )


def _kept_head_set_aside(manifest: Manifest) -> None:
    """A head kept in the data folder that the restored chain does not reach (signed after the backup) is moved
    aside, named by its number, for the operator's records of what was lost: it would fail every audit_verify."""
    kept = anchor.head_kept()
    if kept is None:
        return
    head = manifest.audit_head
    if head is not None and (kept[0] < head[0] or (kept[0] == head[0] and kept[1] == head[1])):
        return
    path = anchor.head_path()
    shutil.move(path, path.with_name(f"{path.name}.after-backup-{kept[0]}"))


def describe(checked: Checked) -> dict[str, Any]:
    return asdict(checked)
