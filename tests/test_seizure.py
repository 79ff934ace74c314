"""Property P1, seizure: a full copy of the database and the data folder, taken while nobody is signed in,
holds none of the personal data or secrets written through the real services.

To extend: every SealedField in any model must appear in SENSITIVE_FIELDS (a test checks it), and the
scenario below must write a canary into it through the app's own services."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp.oath import totp

from ferry.vault import escrow, files, keysets, staffkeys
from ferry.vault.keyring import KeyRing
from tests.testapp.models import Note

pytestmark = pytest.mark.django_db(transaction=True)

# Every sealed field of every model, by model label. The scenario writes a canary into each.
SENSITIVE_FIELDS: dict[str, set[str]] = {
    "testapp.note": {"title", "body"},
}

CANARY = "CANARY-{}-Жёлтый-попугай-{}"


def canary(name: str) -> str:
    return CANARY.format(name, os.getpid())


def encodings(value: bytes) -> Iterator[bytes]:
    """The forms in which a value could sit in a dump: raw, hex, base64 (at each alignment)."""
    yield value
    yield value.hex().encode()
    yield value.hex().upper().encode()
    for shift in range(3):
        chunk = base64.b64encode(b"\0" * shift + value)[4:-4] if shift else base64.b64encode(value)[:-4]
        if len(chunk) >= 12:
            yield chunk
            yield (
                base64.urlsafe_b64encode(b"\0" * shift + value)[4:-4] if shift else base64.urlsafe_b64encode(value)[:-4]
            )


def text_forms(text: str) -> Iterator[bytes]:
    for encoded in (text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")):
        yield from encodings(encoded)


def test_every_sealed_field_is_in_the_registry() -> None:
    found = {model._meta.label_lower: set(names) for model, names in keysets.sealed_models().items()}
    assert found == SENSITIVE_FIELDS


def _login(client: Client, email: str, passphrase: str, totp_secret: str) -> None:
    client.post("/staff/accounts/login/", {"email": email, "passphrase": passphrase})
    secret = base64.b32decode(totp_secret)
    response = client.post("/staff/accounts/login/code/", {"code": f"{totp(secret):06d}"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def _dump(tmp_path: Path) -> list[Path]:
    """Copy everything a seizure would take: the database (file or pg_dump) and the whole data folder."""
    connection.close()
    taken: list[Path] = []
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        # A consistent online copy plus the raw files (including any WAL), as a disk image would have them.
        backup = tmp_path / "backup.sqlite3"
        with sqlite3.connect(db["NAME"]) as source, sqlite3.connect(backup) as target:
            source.backup(target)
        taken.append(backup)
    else:
        from scripts.pgserver import pg_bindir

        bindir = pg_bindir()
        assert bindir is not None, "pg_dump not found"
        out = tmp_path / "dump.sql"
        subprocess.run(
            [
                str(bindir / "pg_dump"),
                "-h",
                db["HOST"],
                "-p",
                str(db["PORT"]),
                "-U",
                db["USER"],
                "-f",
                str(out),
                db["NAME"],
            ],
            check=True,
            env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
        )
        taken.append(out)
    folder = tmp_path / "data-folder"
    shutil.copytree(settings.DATA_DIR, folder, ignore=shutil.ignore_patterns("test-results"))
    taken += [p for p in folder.rglob("*") if p.is_file()]
    return taken


def test_seized_database_and_files_reveal_nothing(make_staff: Any, tmp_path: Path) -> None:
    secrets_written: dict[str, bytes] = {}

    # Staff, with canary passphrases, display names and a duress passphrase.
    admin = make_staff("administrator", passphrase=canary("admin-passphrase"))
    worker = make_staff("caseworker", passphrase=canary("worker-passphrase"))
    staffkeys.staff_key_set_duress(staff_id=worker.staff.pk, duress_passphrase=canary("duress-passphrase"))
    for name, created in (("admin", admin), ("worker", worker)):
        secrets_written[f"{name}-private-key"] = created.private_key
        secrets_written[f"{name}-recovery-code"] = created.recovery_code.encode()
    secrets_written["admin-passphrase"] = canary("admin-passphrase").encode()
    secrets_written["worker-passphrase"] = canary("worker-passphrase").encode()
    secrets_written["duress-passphrase"] = canary("duress-passphrase").encode()

    # A case-like key set with sealed content and an attachment, granted and partly revoked.
    rings = {
        n: KeyRing(staff_id=c.staff.pk, private_key=c.private_key) for n, c in (("admin", admin), ("worker", worker))
    }
    key_set, key = keysets.keyset_create(purpose="case", grant_to=[worker.staff.pk, admin.staff.pk])
    secrets_written["case-key-generation-1"] = key
    note = Note(key_set=key_set)
    for field in sorted(SENSITIVE_FIELDS["testapp.note"]):
        keysets.seal_field(key, note, field, canary(f"note-{field}"))
        secrets_written[f"note-{field}"] = canary(f"note-{field}").encode()
    note.save()
    attachment = canary("attachment").encode() * 50
    secrets_written["attachment"] = attachment
    files.file_put(key_set=key_set, ring=rings["worker"], content=attachment)
    keysets.keyset_revoke(key_set=key_set, ring=rings["worker"], staff_id=admin.staff.pk)
    key_set.refresh_from_db()
    secrets_written["case-key-generation-2"] = rings["worker"].key_for(key_set)

    # The escrow key is split; the shares go to paper, never to the server.
    shares = escrow.escrow_split(ring=rings["admin"], threshold=2, shares=3)
    for n, share in enumerate(shares):
        secrets_written[f"escrow-share-{n}"] = share.encode()
    secrets_written["escrow-private-key"] = escrow.escrow_private_key(share_codes=shares[:2])

    # Someone signed in and out again through the pages (session wrapping, cookies).
    client = Client()
    _login(client, worker.staff.email, canary("worker-passphrase"), worker.totp_secret)
    secrets_written["unlock-cookie"] = client.cookies[settings.FERRY_UNLOCK_COOKIE].value.encode()
    client.post("/staff/accounts/logout/")

    # Something still signed in when the server is taken: its session holds only a wrapped key.
    # (A minute later: a one-time code is never accepted twice.)
    other = Client()
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=60)):
        _login(other, worker.staff.email, canary("worker-passphrase"), worker.totp_secret)
    secrets_written["live-unlock-cookie"] = other.cookies[settings.FERRY_UNLOCK_COOKIE].value.encode()
    # That session opened the case, so its key cache holds the case key (sealed under the cookie's key).
    from ferry.accounts.models import StaffSession
    from ferry.accounts.sessions import staff_session_ring
    from ferry.vault.models import SessionKey

    live = StaffSession.objects.get(staff=worker.staff)
    _row, live_ring = staff_session_ring(
        session_id=live.pk, client_key=other.cookies[settings.FERRY_UNLOCK_COOKIE].value
    )
    assert live_ring.key_for(key_set) == secrets_written["case-key-generation-2"]
    assert SessionKey.objects.filter(session=live).exists()

    taken = _dump(tmp_path)
    assert any(p.name.endswith(".bin") for p in taken), "the encrypted attachment should be in the data folder"
    binary = {name for name in secrets_written if name.endswith("-key") or name.startswith("case-key")}
    leaks = []
    for path in taken:
        blob = path.read_bytes()
        for name, value in secrets_written.items():
            forms = encodings(value) if name in binary else text_forms(value.decode())
            if any(form in blob for form in forms):
                leaks.append(f"{name} in {path.name}")
    assert leaks == []
    # The test can see what it looks for: the same scan finds a canary planted in clear.
    planted = tmp_path / "planted.bin"
    planted.write_bytes(b"xx" + canary("note-title").encode("utf-16-le") + b"yy")
    assert any(form in planted.read_bytes() for form in text_forms(canary("note-title")))
