"""Property P1, seizure: a full copy of the database and the data folder, taken while nobody is signed in,
holds none of the personal data or secrets written through the real services.

To extend: every SealedField in any model must appear in SENSITIVE_FIELDS (a test checks it), and the
scenario below must write a canary into it through the app's own pages or services (CANARY_FIELDS says
which canary goes where; the scenario checks each one really is in its sealed field before the dump)."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from PIL import Image

from ferry.intake.models import Attachment, Mailbox, MailboxSession, Message, Request
from ferry.vault import escrow, files, keysets, requester, staffkeys
from ferry.vault.keyring import KeyRing, NoGrant
from ferry.vault.models import FileKey
from tests.intake.helpers import box_post, code_opens, open_box, submit
from tests.s3server import Bucket
from tests.testapp.models import Note

pytestmark = pytest.mark.django_db(transaction=True)

# Every sealed field of every model, by model label. The scenario writes a canary into each.
SENSITIVE_FIELDS: dict[str, set[str]] = {
    "testapp.note": {"title", "body"},
    "intake.request": {"details", "entrapment_note", "decline_note"},
    "intake.message": {"content"},
    "intake.attachment": {"meta"},
    "cases.case": {"card", "identity", "contacts", "risk_reason"},
    "cases.event": {"detail"},
    "cases.need": {"detail"},
    "cases.task": {"title"},
    "cases.referral": {"packet"},
    "cases.checkinrecord": {"note"},
    "incidents.incident": {"card", "narrative", "location", "notes"},
    "incidents.victim": {"identity", "case_link"},
    "incidents.act": {"notes"},
    "incidents.involvement": {"detail"},
    "incidents.source": {"identity"},
    "incidents.information": {"summary"},
    "incidents.intervention": {"detail"},
    "incidents.evidence": {"record"},
    "incidents.custodyevent": {"detail"},
    "advocacy.release": {"card"},
}

# The canaries the intake scenario writes into each sealed field of the intake (by name, see canary()).
CANARY_FIELDS: dict[tuple[str, str], set[str]] = {
    ("intake.request", "details"): {"intake-name", "intake-handle", "intake-place", "intake-story", "intake-needs"},
    ("intake.request", "entrapment_note"): {"entrapment-note"},
    ("intake.request", "decline_note"): {"decline-note"},
    ("intake.message", "content"): {"requester-message", "staff-reply"},
    ("intake.attachment", "meta"): {"photo-name", "text-file-name"},
    ("cases.case", "card"): {"case-name", "case-story"},
    ("cases.case", "identity"): {"case-name"},
    ("cases.case", "contacts"): {"case-place"},
    ("cases.case", "risk_reason"): {"case-risk-reason"},
    ("cases.event", "detail"): {"case-note", "case-stage-note", "case-task", "case-risk-reason"},
    ("cases.need", "detail"): {"case-need"},
    ("cases.task", "title"): {"case-task"},
    ("cases.referral", "packet"): {"case-name", "case-referral-note"},
    ("cases.checkinrecord", "note"): {"case-checkin-note"},
    ("incidents.incident", "card"): {"incident-title"},
    ("incidents.incident", "narrative"): {"incident-narrative"},
    ("incidents.incident", "location"): {"incident-location"},
    ("incidents.incident", "notes"): {"incident-notes"},
    ("incidents.victim", "identity"): {"victim-name", "victim-orientation", "victim-gender-identity"},
    # The link holds a case's reference, which is in clear on the case: no canary can be hidden in it. The
    # scenario checks it is sealed there, and tests/incidents checks nothing in clear joins the two.
    ("incidents.victim", "case_link"): set(),
    ("incidents.act", "notes"): {"act-notes"},
    ("incidents.involvement", "detail"): {"involvement-detail"},
    ("incidents.source", "identity"): {"source-name", "source-contact"},
    ("incidents.information", "summary"): {"information-summary"},
    ("incidents.intervention", "detail"): {"intervention-detail"},
    ("incidents.evidence", "record"): {"evidence-name", "evidence-description", "evidence-how"},
    ("incidents.custodyevent", "detail"): {"evidence-how", "handover-recipient", "handover-note"},
    ("advocacy.release", "card"): {"release-title", "release-filename"},
}

CANARY = "CANARY-{}-Жёлтый-попугай-{}"


def canary(name: str) -> str:
    return CANARY.format(name, os.getpid())


def canary_ascii(name: str) -> str:
    """For the places that accept only ASCII (an e-mail address, EXIF text)."""
    return f"canary-{name}-{os.getpid()}"


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


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's locks and side files")
@pytest.mark.django_db(transaction=True)
def test_taking_the_copy_leaves_this_process_locks_alone(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    # Given a connection another thread of this process keeps open (as the live server's threads do)
    name = connection.settings_dict["NAME"]
    kept = sqlite3.connect(name, check_same_thread=False)
    kept.execute("PRAGMA journal_mode=WAL")
    kept.execute("CREATE TABLE IF NOT EXISTS seizure_lock_probe (n INTEGER)")
    kept.commit()
    try:
        # When the seizure's copy is taken, then a real process opens the database and closes it again
        _dump(tmp_path)
        closer = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT * FROM sqlite_master')"
        subprocess.run([sys.executable, "-c", closer, name], check=True, env=subprocess_env)

        # Then that process knew it was not the last: the WAL's side files are still there, and this process's
        # kept connection and a new one both go on working
        assert Path(f"{name}-wal").exists()
        assert Path(f"{name}-shm").exists()
        kept.execute("INSERT INTO seizure_lock_probe VALUES (1)")
        kept.commit()
        fresh = sqlite3.connect(name)
        try:
            fresh.execute("PRAGMA journal_mode=WAL")
            assert fresh.execute("SELECT count(*) FROM seizure_lock_probe").fetchone() == (1,)
        finally:
            fresh.close()
    finally:
        kept.execute("DROP TABLE seizure_lock_probe")
        kept.commit()
        kept.close()


def test_every_sealed_field_is_in_the_registry() -> None:
    found = {model._meta.label_lower: set(names) for model, names in keysets.sealed_models().items()}
    assert found == SENSITIVE_FIELDS
    # Every sealed field gets a canary: the note's fields directly, all others through CANARY_FIELDS.
    every = {(label, name) for label, names in SENSITIVE_FIELDS.items() for name in names}
    assert every == set(CANARY_FIELDS) | {("testapp.note", name) for name in SENSITIVE_FIELDS["testapp.note"]}


def _login(client: Client, email: str, passphrase: str, totp_secret: str) -> None:
    client.post("/staff/accounts/login/", {"email": email, "passphrase": passphrase})
    secret = base64.b32decode(totp_secret)
    response = client.post("/staff/accounts/login/code/", {"code": f"{totp(secret):06d}"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def _dump(tmp_path: Path, bucket: Bucket | None = None) -> list[Path]:
    """Copy everything a seizure would take: the database (file or pg_dump), the whole data folder and, when
    files are kept in a bucket, every object in it with its metadata (downloaded from the S3 server)."""
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
    # Copied by another process: were this one to open and close the live SQLite files, it would drop every
    # lock its own connections hold on them (POSIX locks belong to the process), and the next process to close
    # a connection, thinking itself the last, would remove the WAL's side files under them ('disk I/O error').
    subprocess.run(["cp", "-R", f"{settings.DATA_DIR}/.", str(folder)], check=True)
    shutil.rmtree(folder / "test-results", ignore_errors=True)
    taken += [p for p in folder.rglob("*") if p.is_file()]
    if bucket is not None:
        objects = tmp_path / "bucket"
        listing = []
        for key in bucket.object_keys():
            head = bucket.head(key)
            listing.append(f"{key} {head['ContentLength']} {head.get('ContentType')} {head.get('Metadata')}")
            path = objects / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bucket.read(key))
            taken.append(path)
        (tmp_path / "bucket-listing.txt").write_text("\n".join(listing), encoding="utf-8")
        taken.append(tmp_path / "bucket-listing.txt")
    return taken


def _photo() -> tuple[bytes, bytes]:
    """A noisy JPEG, so its pixels and bytes are distinctive, carrying EXIF camera and GPS data, an ICC
    profile and a comment; returns the file and the pixels it was made from."""
    source = Image.frombytes("RGB", (64, 48), random.Random(os.getpid()).randbytes(64 * 48 * 3))
    exif = Image.Exif()
    exif[0x0110] = canary_ascii("photo-camera")  # Model
    exif[0x0131] = canary_ascii("photo-software")
    exif[0x8825] = {1: "N", 2: (43.0, 18.0, 55.0), 3: "E", 4: (45.0, 41.0, 40.0)}  # GPS
    out = BytesIO()
    source.save(
        out,
        format="JPEG",
        quality=95,
        exif=exif.tobytes(),
        icc_profile=canary_ascii("photo-icc").encode() * 4,
        comment=canary("photo-comment").encode(),
    )
    return out.getvalue(), source.tobytes()


def _client_key(token: str) -> tuple[bytes, bytes]:
    """The client half of a mailbox token ("session id.client key"), as text and as the key's bytes."""
    _session_id, _dot, client_key = token.partition(".")
    assert client_key
    return client_key.encode(), base64.urlsafe_b64decode(client_key + "=" * (-len(client_key) % 4))


def _intake_scenario(make_staff: Any, secrets_written: dict[str, bytes]) -> None:
    """A person writes in through the public pages (with a photo and a duress code); a coordinator answers;
    the person reads the answer, writes back with a file, checks in and closes the mailbox, opens it under
    duress and closes it, and leaves a third session to expire; the coordinator flags the request, declines
    it and signs out. Canaries go into every sealed field of the intake."""
    from ferry.vault import crypto
    from ferry.vault.normalise import normalise

    coordinator = make_staff("coordinator", passphrase=canary("coordinator-passphrase"))
    secrets_written["coordinator-passphrase"] = canary("coordinator-passphrase").encode()
    secrets_written["coordinator-private-key"] = coordinator.private_key
    secrets_written["coordinator-recovery-code"] = coordinator.recovery_code.encode()

    # The request, through the public form.
    local = f"{os.getpid() % 100_000:05d}"
    phone = f"+44 7700 9{local}"
    email = canary_ascii("intake-email") + "@example.org"
    photo, source_pixels = _photo()
    person = Client()
    response, code, duress_code = submit(
        person,
        files=[SimpleUploadedFile(canary("photo-name") + ".jpg", photo, content_type="image/jpeg")],
        duress=True,
        name=canary("intake-name"),
        phone=phone,
        handle="@" + canary("intake-handle"),
        email=email,
        place=canary("intake-place"),
        story=f"They came at night. {canary('intake-story')} I am hiding.",
        needs=canary("intake-needs"),
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    assert code
    assert duress_code
    for name in ("intake-name", "intake-handle", "intake-place", "intake-story", "intake-needs", "photo-name"):
        secrets_written[name] = canary(name).encode()
    secrets_written["intake-phone"] = phone.encode()
    secrets_written["intake-phone-normalised"] = normalise("phone", phone).encode()
    secrets_written["intake-phone-digits"] = normalise("phone", phone).lstrip("+").encode()
    secrets_written["intake-handle-normalised"] = normalise("handle", canary("intake-handle")).encode()
    secrets_written["intake-email"] = email.encode()
    secrets_written["photo-upload-bytes"] = photo
    secrets_written["photo-source-pixels-bytes"] = source_pixels
    for name in ("photo-camera", "photo-software", "photo-icc"):
        secrets_written[name] = canary_ascii(name).encode()
    secrets_written["photo-comment"] = canary("photo-comment").encode()
    for label, grouped in (("receipt", code), ("duress", duress_code)):
        digits = grouped.replace(" ", "")
        assert len(digits) == requester.CODE_DIGITS
        secrets_written[f"{label}-code"] = digits.encode()
        secrets_written[f"{label}-code-grouped"] = grouped.encode()
        secrets_written[f"{label}-code-secret-digits"] = digits[requester.LOCATOR_DIGITS :].encode()
    request = Request.objects.get()
    base = f"/staff/intake/{request.reference}"

    # What the code derives: the requester's key pair, and through it the request's key.
    mailbox = Mailbox.objects.get()
    parsed = requester.code_parse(code)
    assert parsed is not None
    secrets_written["requester-seed-key"] = crypto.derive_key(parsed.secret, crypto.KdfParams.from_dict(mailbox.kdf))
    opened = code_opens(code)
    assert opened is not None
    assert opened.private_key is not None
    secrets_written["requester-private-key"] = opened.private_key
    # The code opens the conversation only; the request's own key set (and later the case) is staff's.
    assert request.conversation is not None
    secrets_written["conversation-key"] = keysets.requester_key_open(
        key_set=request.conversation, private_key=opened.private_key
    )
    with pytest.raises(NoGrant):
        keysets.requester_key_open(key_set=request.key_set, private_key=opened.private_key)
    secrets_written["case-key-intake"] = KeyRing(
        staff_id=coordinator.staff.pk, private_key=coordinator.private_key
    ).key_for(request.key_set)

    # A coordinator signs in and answers.
    staff = Client()
    _login(staff, coordinator.staff.email, canary("coordinator-passphrase"), coordinator.totp_secret)
    secrets_written["coordinator-unlock-cookie"] = staff.cookies[settings.FERRY_UNLOCK_COOKIE].value.encode()
    assert staff.post(f"{base}/reply/", {"text": canary("staff-reply")}).status_code == 302
    secrets_written["staff-reply"] = canary("staff-reply").encode()

    # The person reads the answer, writes back with a text file, checks in and closes the mailbox.
    page, box = open_box(person, code)
    assert box is not None
    assert canary("staff-reply") in page.content.decode()
    secrets_written["box-client-token"], secrets_written["box-client-key"] = _client_key(box)
    text_file = (canary("text-file") + "\nStill at my aunt's, the phone is off.\n").encode()
    secrets_written["text-file"] = canary("text-file").encode()
    secrets_written["text-file-name"] = canary("text-file-name").encode()
    sent = box_post(
        person,
        "/box/send?lang=en",
        box,
        {
            "text": canary("requester-message"),
            "files": [SimpleUploadedFile(canary("text-file-name") + ".txt", text_file, content_type="text/plain")],
        },
    )
    assert "Your message was sent." in sent.content.decode()
    secrets_written["requester-message"] = canary("requester-message").encode()
    assert "We know you are safe now" in box_post(person, "/box/safe?lang=en", box).content.decode()
    box_post(person, "/box/close", box)
    assert not MailboxSession.objects.filter(pk=box.partition(".")[0]).exists()

    # Forced to open it with the duress code: what is written there goes to the decoy mailbox, sealed under a key
    # only the duress code derives (shown back to whoever typed it, never to staff), and the box is closed.
    fake_page, fake_box = open_box(person, duress_code)
    assert fake_box is not None
    assert canary("staff-reply") not in fake_page.content.decode()
    decoy = code_opens(duress_code)
    assert decoy is not None
    assert decoy.decoy_key is not None
    secrets_written["duress-decoy-key"] = decoy.decoy_key
    secrets_written["duress-box-client-token"], secrets_written["duress-box-client-key"] = _client_key(fake_box)
    box_post(person, "/box/send?lang=en", fake_box, {"text": canary("duress-message")})
    secrets_written["duress-message"] = canary("duress-message").encode()
    box_post(person, "/box/close", fake_box)

    # A mailbox left open expires; its row (and wrapped key) stays until the worker sweeps it.
    idle = timedelta(minutes=settings.FERRY_MAILBOX_IDLE_MINUTES + 5)
    with time_machine.travel(datetime.now(UTC) - idle):
        _page, old_box = open_box(person, code)
    assert old_box is not None
    secrets_written["expired-box-client-token"], secrets_written["expired-box-client-key"] = _client_key(old_box)
    assert "Your mailbox was closed" in box_post(person, "/box?lang=en", old_box).content.decode()
    assert MailboxSession.objects.filter(pk=old_box.partition(".")[0], wrapped_key__isnull=False).exists()
    assert not person.cookies

    # The coordinator reads everything, downloads the photo as stored, flags, declines, signs out.
    detail = staff.get(f"{base}/").content.decode()
    for name in ("intake-name", "intake-story", "requester-message", "staff-reply"):
        assert canary(name) in detail, name
    stored = staff.get(f"{base}/files/{Attachment.objects.get(message__isnull=True).pk}/")
    assert stored.status_code == 200
    with Image.open(BytesIO(stored.content)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        secrets_written["photo-stored-pixels-bytes"] = image.tobytes()
    secrets_written["photo-stored-bytes"] = stored.content
    version = Request.objects.get().version
    flagged = staff.post(f"{base}/flag/", {"version": version, "flagged": "on", "note": canary("entrapment-note")})
    assert flagged.status_code == 302
    version = Request.objects.get().version
    declined = staff.post(
        f"{base}/decline/", {"version": version, "reason": "other", "note": canary("decline-note"), "confirm": "on"}
    )
    assert declined.status_code == 302
    secrets_written["entrapment-note"] = canary("entrapment-note").encode()
    secrets_written["decline-note"] = canary("decline-note").encode()
    staff.post("/staff/accounts/logout/")

    # Each canary really is in the sealed field it was meant for (so finding none of them means something).
    assert Message.objects.filter(sender="requester").count() == 1
    assert Attachment.objects.count() == 2
    for (label, field), names in CANARY_FIELDS.items():
        if not label.startswith("intake."):
            continue
        model = apps.get_model(label)
        keys = {
            request.key_set_id: secrets_written["case-key-intake"],
            request.conversation_id: secrets_written["conversation-key"],
        }
        plain = " ".join(keysets.open_field(keys[row.key_set_id], row, field) or "" for row in model.objects.all())
        for name in names:
            assert canary(name) in plain, (label, field, name)


def _case_scenario(make_staff: Any, secrets_written: dict[str, bytes]) -> Any:
    """A second person writes in; a coordinator accepts the request into a case; the caseworker carries it:
    risk, note, need, task, stage, a staff check-in, a referral that includes the name. All through the
    services the pages call. Canaries go into every sealed field of cases."""
    from django.utils import timezone

    from ferry.cases import services as case_services
    from ferry.cases.checkins import services as checkins
    from ferry.cases.models import Case
    from ferry.cases.referrals import services as referrals
    from ferry.intake import triage

    coordinator = make_staff("coordinator")
    worker = make_staff("caseworker")
    secrets_written["case-worker-private-key"] = worker.private_key
    person = Client()
    response, code, _duress = submit(
        person,
        name=canary("case-name"),
        phone="",
        handle="",
        place=canary("case-place"),
        story=f"{canary('case-story')} They know where I live.",
        needs="",
    )
    assert response.status_code == 200
    assert code is not None
    secrets_written["case-receipt-code"] = code.replace(" ", "").encode()
    coordinator_ring = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key)
    request = Request.objects.filter(status="new").get()
    triage.request_accept(
        ring=coordinator_ring,
        staff=coordinator.staff,
        reference=request.reference,
        version=request.version,
        caseworker_id=worker.staff.pk,
    )
    case = Case.objects.get()
    ring = KeyRing(staff_id=worker.staff.pk, private_key=worker.private_key)
    who = {"ring": ring, "staff": worker.staff, "reference": case.reference}
    case_services.risk_change(**who, version=case.version, risk="high", reason=canary("case-risk-reason"))
    case_services.note_add(**who, text=canary("case-note"))
    case_services.need_set(**who, kind="shelter", status="open", detail=canary("case-need"))
    case_services.task_add(**who, title=canary("case-task"), due_on=timezone.localdate(), owner_id=worker.staff.pk)
    case.refresh_from_db()
    case_services.stage_change(**who, version=case.version, stage_key="safe_house", note=canary("case-stage-note"))
    checkins.checkin_record(
        **who, at=datetime.now(UTC), channel="phone", duress=False, note=canary("case-checkin-note")
    )
    partner = referrals.partner_add(by=make_staff("administrator").staff, name="Partner organisation", country="DE")
    referrals.referral_create(
        **who,
        partner_id=partner.pk,
        destination_country="DE",
        include=["name", "stage"],
        note=canary("case-referral-note"),
        consent=True,
    )
    for name in (
        "case-name",
        "case-place",
        "case-story",
        "case-risk-reason",
        "case-note",
        "case-need",
        "case-task",
        "case-stage-note",
        "case-checkin-note",
        "case-referral-note",
    ):
        secrets_written[name] = canary(name).encode()
    case_key = ring.key_for(case.key_set)
    secrets_written["case-key"] = case_key
    for (label, field), names in CANARY_FIELDS.items():
        if not label.startswith("cases."):
            continue
        model = apps.get_model(label)
        plain = " ".join(
            keysets.open_field(case_key, row, field) or "" for row in model.objects.filter(key_set=case.key_set)
        )
        for name in names:
            assert canary(name) in plain, (label, field, name)
    return coordinator


def _documentation_scenario(make_staff: Any, secrets_written: dict[str, bytes], coordinator: Any) -> None:
    """A documenter who also carries the case (the coordinator adds them to it) records an incident after an
    interview: a victim linked to that case (only someone holding the case may link to it), an act with a named
    unit and a relative, a source and what it said, an intervention, an evidence item with its custody.
    Through the services the pages call; canaries go into every sealed field of the documentation."""

    from ferry.cases import services as case_services
    from ferry.cases.models import Case
    from ferry.incidents import services as documentation
    from ferry.incidents.models import Incident, Term
    from ferry.incidents.seed import vocabularies_seed

    vocabularies_seed(Term)
    documenter = make_staff("documenter", "caseworker")
    secrets_written["documenter-private-key"] = documenter.private_key
    ring = KeyRing(staff_id=documenter.staff.pk, private_key=documenter.private_key)
    staff = documenter.staff
    case_reference = Case.objects.values_list("reference", flat=True).get()
    case_services.case_assign(
        ring=KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key),
        staff=coordinator.staff,
        reference=case_reference,
        staff_id=staff.pk,
    )
    incident, key = documentation.incident_create(
        staff=staff,
        data=documentation.IncidentData(
            title=canary("incident-title"),
            start=documentation.PartialDate(2017, 3, None, "month"),
            country="RU",
            subdivision="RU-CE",
            narrative=canary("incident-narrative"),
            location=canary("incident-location"),
            notes=canary("incident-notes"),
        ),
    )
    secrets_written["incident-key"] = key
    ring.forget()
    victim = documentation.victim_add(
        ring=ring,
        staff=staff,
        reference=incident.reference,
        data=documentation.VictimData(
            name=canary("victim-name"),
            sexual_orientation=canary("victim-orientation"),
            gender_identity=canary("victim-gender-identity"),
            case_reference=case_reference,
        ),
    )
    unit = documentation.perpetrator_create(
        staff=staff, data=documentation.PerpetratorData(kind="unit", perpetrator_type="police", name_original="Unit")
    )
    documentation.act_add(
        ring=ring,
        staff=staff,
        reference=incident.reference,
        data=documentation.ActData(
            victim_id=victim.pk,
            act_type="torture",
            start=documentation.PartialDate(2017, 3, None, "month"),
            notes=canary("act-notes"),
            involvements=(
                documentation.InvolvementData(perpetrator_id=unit.pk, degree="direct"),
                documentation.InvolvementData(perpetrator_type="relatives", detail=canary("involvement-detail")),
            ),
        ),
    )
    source, _source_key = documentation.source_create(
        staff=staff,
        data=documentation.SourceData(
            kind="person", reliability="B", name=canary("source-name"), contact=canary("source-contact")
        ),
    )
    ring.forget()
    documentation.information_add(
        ring=ring,
        staff=staff,
        reference=incident.reference,
        source_reference=source.reference,
        credibility=2,
        received_on=timezone.localdate() - timedelta(days=30),
        summary=canary("information-summary"),
    )
    documentation.intervention_add(
        ring=ring,
        staff=staff,
        reference=incident.reference,
        kind="un",
        on=timezone.localdate() - timedelta(days=20),
        detail=canary("intervention-detail"),
    )
    assert case_reference
    assert keysets.open_field(ring.key_for(victim.key_set), victim, "case_link") == case_reference
    _evidence_canaries(ring, staff, incident, secrets_written)
    for name in {n for (label, _f), names in CANARY_FIELDS.items() if label.startswith("incidents.") for n in names}:
        secrets_written[name] = canary(name).encode()
    # Every canary is really in its field (the scenario wrote what the registry says).
    incident = Incident.objects.get(pk=incident.pk)
    for (label, field), names in CANARY_FIELDS.items():
        if not label.startswith("incidents."):
            continue
        model = apps.get_model(label)
        plain = " ".join(keysets.open_field(ring.key_for(row.key_set), row, field) or "" for row in model.objects.all())
        for name in names:
            assert canary(name) in plain, (label, field, name)


def _evidence_canaries(ring: KeyRing, staff: Any, incident: Any, secrets_written: dict[str, bytes]) -> None:
    """A photo added as evidence with a working copy, handed to a partner, re-checked and reported: through the
    services the pages call, so the file, its record and every custody entry are sealed as they really are."""
    from ferry.incidents import custody_report
    from ferry.incidents import evidence as evidence_services

    who = {"ring": ring, "staff": staff}
    photo = (canary("evidence-bytes") * 20).encode()
    item = evidence_services.evidence_add(
        **who,
        reference=incident.reference,
        content=photo,
        data=evidence_services.EvidenceData(
            name=canary("evidence-name"),
            content_type="image/jpeg",
            kind="photo",
            how=canary("evidence-how"),
            description=canary("evidence-description"),
        ),
    )
    copy = (canary("evidence-copy-bytes") * 20).encode()
    evidence_services.evidence_copy_add(
        **who,
        reference=item.reference,
        content=copy,
        copy_kind="redacted",
        name=canary("evidence-name"),
        content_type="image/jpeg",
        description=canary("evidence-description"),
    )
    evidence_services.evidence_handover(
        **who,
        reference=item.reference,
        recipient=canary("handover-recipient"),
        method="in person",
        note=canary("handover-note"),
    )
    assert evidence_services.evidence_recheck(**who, reference=item.reference).ok
    custody_report.report_for_item(**who, reference=item.reference)
    secrets_written["evidence-bytes"] = photo
    secrets_written["evidence-copy-bytes"] = copy
    # The original's hash is sealed: in clear it would let a seized copy of the photo be matched to the record
    secrets_written["evidence-sha256"] = hashlib.sha256(photo).hexdigest().encode()
    secrets_written["evidence-key"] = ring.key_for(item.key_set)
    ring.forget()


def _advocacy_scenario(make_staff: Any, secrets_written: dict[str, bytes]) -> None:
    """A release prepared and approved: its title and filename sealed, its output (a dossier carries evidence
    hashes, which the documentation seals) stored sealed."""
    from ferry.advocacy import releases
    from ferry.advocacy.models import Release

    one, two = make_staff("analyst"), make_staff("analyst")
    ring = KeyRing(staff_id=one.staff.pk, private_key=one.private_key)
    content = f"claim,evidence\nbeating,{canary('release-content')}\n".encode()
    release = releases.release_prepare(
        ring=ring,
        staff=one.staff,
        output=releases.Output(
            kind="dossier",
            format="csv",
            content=content,
            title=canary("release-title"),
            filename=canary_ascii("release-filename") + ".csv",
        ),
    )
    releases.release_approve(
        ring=KeyRing(staff_id=two.staff.pk, private_key=two.private_key), staff=two.staff, reference=release.reference
    )
    assert releases.release_serve(ring=ring, staff=one.staff, reference=release.reference).content == content
    card = keysets.open_json(ring.key_for(release.key_set), Release.objects.get(pk=release.pk), "card")
    assert card["title"] == canary("release-title")
    secrets_written["release-title"] = canary("release-title").encode()
    secrets_written["release-filename"] = canary_ascii("release-filename").encode()
    secrets_written["release-content"] = canary("release-content").encode()


def _api_scenario(staff: Any, passphrase: str, secrets_written: dict[str, bytes]) -> None:
    """An API token made after the passphrase, used once: the server keeps its hash and the private key wrapped
    under the token's secret, never the token."""
    from ferry.api import tokens

    raw = tokens.token_create(staff=staff, passphrase=passphrase, label="script", scope="read", days=30).secret
    answer = Client().get("/staff/api/v1/schema/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200
    secrets_written["api-token"] = raw.encode()
    secrets_written["api-token-secret"] = raw.rsplit(".", 1)[1].encode()
    secrets_written["api-token-id"] = raw.split(".", 1)[0].encode()


@pytest.mark.parametrize("file_storage", ["filesystem", "s3"])
def test_seized_database_and_files_reveal_nothing(
    make_staff: Any, tmp_path: Path, file_storage: str, request: pytest.FixtureRequest
) -> None:
    # Files go to the data folder, or to a bucket on a real S3-compatible server (FERRY_FILE_STORAGE=s3).
    bucket: Bucket | None = request.getfixturevalue("s3_files") if file_storage == "s3" else None
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

    # The anonymous intake: a request, its mailbox, messages, files, triage notes (see _intake_scenario).
    _intake_scenario(make_staff, secrets_written)
    coordinator = _case_scenario(make_staff, secrets_written)
    _documentation_scenario(make_staff, secrets_written, coordinator)
    _advocacy_scenario(make_staff, secrets_written)
    _api_scenario(worker.staff, canary("worker-passphrase"), secrets_written)

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
    from ferry.vault.models import SessionKeyBundle

    live = StaffSession.objects.get(staff=worker.staff)
    _row, live_ring = staff_session_ring(
        session_id=live.pk, client_key=other.cookies[settings.FERRY_UNLOCK_COOKIE].value
    )
    assert live_ring.key_for(key_set) == secrets_written["case-key-generation-2"]
    assert SessionKeyBundle.objects.filter(session=live).exists()

    # The persons' files of the day have gone from the database to storage in the first batch after it.
    files.stored_files_flush(now=timezone.now() + timedelta(days=1))
    taken = _dump(tmp_path, bucket)
    # A backup made by the command (database copy, stored files, manifest) holds no more than a seizure.
    call_command("backup", str(tmp_path / "backup"))
    backed_up = [p for p in (tmp_path / "backup").rglob("*") if p.is_file()]
    assert {p.suffix for p in backed_up} >= {".bin", ".json"}
    taken += backed_up
    # Every encrypted file (the attachment, the photo, the text file) is in what was taken, where it should be.
    stored = {f"{str(pk)[:2]}/{pk}.bin" for pk in FileKey.objects.values_list("pk", flat=True)}
    assert len(stored) == 6  # the attachment, the intake's photo and text file, the evidence, its copy, a release
    in_folder = {f"{p.parent.name}/{p.name}" for p in taken if "data-folder" in p.parts and p.suffix == ".bin"}
    if bucket is None:
        assert stored <= in_folder
    else:
        assert set(bucket.object_keys()) == stored
        assert not stored & in_folder
    binary = {name for name in secrets_written if name.endswith(("-key", "-bytes")) or name.startswith("case-key")}
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
