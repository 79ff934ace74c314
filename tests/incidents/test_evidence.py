"""Evidence and its chain of custody (issue 11, the Berkeley Protocol part): files kept sealed and unaltered,
working copies, the hash-chained custody log and what detects tampering with it, the command and the page
that verify everything, custody reports as PDF, the door, and bad input."""

from __future__ import annotations

import hashlib
import io
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import dateformat, timezone, translation
from PIL import Image

from ferry.audit.models import AuditEntry
from ferry.core.errors import NotFound, Refused
from ferry.incidents import custody, custody_check, custody_report
from ferry.incidents import evidence as services
from ferry.incidents.models import CustodyEvent, Evidence
from ferry.incidents.services import DocumentationError, incident_share, incident_unshare
from ferry.vault import files
from ferry.vault.models import FileKey
from tests.cases.conftest import staff_client
from tests.cases.test_referrals import pdf_text
from tests.incidents.evidence_helpers import (
    PHOTO_NAME,
    Desk,
    actions,
    desk,
    drive,
    photo_bytes,
    ring_of,
    sha256,
    stored_damage,
    stored_path,
    who,
)

pytestmark = pytest.mark.django_db
__all__ = ["desk"]  # the fixture, imported for the tests below

A = CustodyEvent.Action


def audited(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


# --- acquisition: sealed, unaltered, hashed -------------------------------------------------------------------


def test_an_evidence_file_is_kept_exactly_as_acquired_sealed_and_hashed(desk: Desk) -> None:
    # Given a photo carrying EXIF GPS coordinates, a camera model and a comment
    original = photo_bytes()
    # When a documenter adds it to an incident
    item = desk.add(original)
    # Then the stored file is ciphertext under the item's own key set (not the incident's)...
    stored = Path(stored_path(item)).read_bytes()
    assert original not in stored
    assert b"CANARY-CAMERA-MODEL" not in stored
    assert item.key_set_id != desk.incident.key_set_id
    assert FileKey.objects.get(pk=item.file_id).key_set_id == item.key_set_id
    # ...its stored ciphertext's SHA-256 is in clear, the original's is sealed in the record
    assert item.stored_sha256 == sha256(stored)
    assert sha256(original).encode() not in bytes(item.record)
    _item, record = services.evidence_record_open(**who(desk.author), reference=item.reference)
    assert record.sha256 == sha256(original)
    assert (record.name, record.content_type, record.how) == (
        PHOTO_NAME,
        "image/jpeg",
        "Sent by the survivor's friend over Signal",
    )
    assert (item.acquired_by_id, item.size, item.incident_id) == (desk.author.staff.pk, len(original), desk.incident.pk)
    # ...and the file comes back byte for byte, metadata and all (evidence is never stripped)
    _item, _record, content = services.evidence_content(**who(desk.author), reference=item.reference)
    assert content == original
    with Image.open(BytesIO(content)) as image:
        assert image.getexif()[0x0110] == "CANARY-CAMERA-MODEL"
    # The custody log began with the acquisition and recorded the view; the audit log holds both, without content
    assert actions(item) == [A.ACQUIRED, A.VIEWED]
    assert audited("evidence.create") == 1
    assert audited("custody.acquired") == 1
    assert audited("custody.viewed") == 1
    assert not AuditEntry.objects.filter(object_id__contains=sha256(original)[:16]).exists()


def test_the_item_is_sealed_to_whoever_holds_the_incident_and_nobody_else(desk: Desk, make_staff: Any) -> None:
    # Given a restricted incident (sealed to its author only), with evidence
    restricted = desk.incident_new(restricted=True)
    item = desk.add(incident=restricted)
    # Then a documenter of the team cannot open the item, and the refusal is audited
    with pytest.raises(NotFound) as refused:
        services.evidence_content(**who(desk.colleague), reference=item.reference)
    with pytest.raises(NotFound) as missing:
        services.evidence_content(**who(desk.colleague), reference="ZZZ-ZZZ")
    assert str(refused.value) == str(missing.value)
    assert AuditEntry.objects.filter(action="evidence.denied", actor_id=desk.colleague.staff.pk).count() == 1
    # Nothing was recorded as viewed
    assert actions(item) == [A.ACQUIRED]


def test_a_working_copy_is_a_separate_file_with_its_own_hashes_linked_to_the_original(desk: Desk) -> None:
    # Given an original photo
    original = desk.add()
    redacted = b"\xff\xd8\xff redacted pixels"
    # When a redacted copy is made of it
    copy = services.evidence_copy_add(
        **who(desk.author),
        reference=original.reference,
        content=redacted,
        copy_kind=Evidence.CopyKind.REDACTED,
        name="redacted.jpg",
        content_type="image/jpeg",
        description="Faces blurred",
    )
    # Then it is its own item, under its own key set, with its own hashes and a link to the original
    assert copy.original_id == original.pk
    assert copy.incident_id == original.incident_id
    assert copy.key_set_id != original.key_set_id
    assert copy.file_id != original.file_id
    _copy, record = services.evidence_record_open(**who(desk.author), reference=copy.reference)
    assert record.sha256 == sha256(redacted)
    assert copy.stored_sha256 == sha256(Path(stored_path(copy)).read_bytes())
    # The original's custody log records the copy (with the copy's hash); the copy's log begins with it
    assert actions(original) == [A.ACQUIRED, A.COPIED]
    assert actions(copy) == [A.ACQUIRED]
    key = ring_of(desk.author).key_for(original.key_set)
    copied = CustodyEvent.objects.get(evidence=original, action=A.COPIED)
    assert custody.custody_detail(key=key, event=copied) == {
        "copy": copy.reference,
        "copy_kind": "redacted",
        "copy_sha256": sha256(redacted),
    }
    # The original is untouched; copies of copies are refused
    _original, _record, content = services.evidence_content(**who(desk.author), reference=original.reference)
    assert content == photo_bytes()
    with pytest.raises(DocumentationError):
        services.evidence_copy_add(
            **who(desk.author),
            reference=copy.reference,
            content=b"x",
            copy_kind=Evidence.CopyKind.EXCERPT,
            name="x.txt",
            content_type="text/plain",
        )


# --- the custody log ------------------------------------------------------------------------------------------


def _busy_item(desk: Desk) -> Evidence:
    """An item with each kind of event: acquired, viewed, handed, checked, exported."""
    item = desk.add()
    services.evidence_content(**who(desk.colleague), reference=item.reference)
    services.evidence_handover(
        **who(desk.author), reference=item.reference, recipient="Prosecutor's office, The Hague", method="in person"
    )
    assert services.evidence_recheck(**who(desk.author), reference=item.reference).ok
    custody_report.report_for_item(**who(desk.author), reference=item.reference)
    return item


def test_every_step_is_a_custody_event_with_its_sealed_detail_and_the_chain_verifies(desk: Desk) -> None:
    item = _busy_item(desk)
    assert actions(item) == [A.ACQUIRED, A.VIEWED, A.HANDED, A.CHECKED, A.EXPORTED]
    events = list(CustodyEvent.objects.filter(evidence=item).order_by("sequence"))
    assert [e.actor_id for e in events] == [desk.author.staff.pk, desk.colleague.staff.pk] + [desk.author.staff.pk] * 3
    # The detail is sealed under the item's key set, and opens to what was recorded
    key = ring_of(desk.author).key_for(item.key_set)
    handed = custody.custody_detail(key=key, event=events[2])
    assert handed == {"recipient": "Prosecutor's office, The Hague", "method": "in person", "note": ""}
    assert all(e.key_set_id == item.key_set_id for e in events)
    assert b"Hague" not in bytes(events[2].detail)
    # The chain holds, with and without keys
    assert custody.chain_verify(item) == custody.ChainVerdict(True, 5)
    assert custody.details_verify(key=key, events=events) is None


@pytest.mark.parametrize(
    ("change", "problem", "first_bad"),
    [
        ({"action": A.CHECKED}, custody.CONTENT_CHANGED, 2),
        ({"actor": None}, custody.CONTENT_CHANGED, 2),
        ({"detail_digest": "0" * 64}, custody.CONTENT_CHANGED, 2),
        ({"sequence": 9}, custody.OUT_OF_ORDER, 3),  # the entry after the gap
    ],
)
def test_an_entry_edited_in_the_database_is_detected(
    desk: Desk, change: dict[str, Any], problem: str, first_bad: int
) -> None:
    # Given an item with a verified chain
    item = _busy_item(desk)
    assert custody.chain_verify(item).ok
    # When someone with the database edits its second entry
    CustodyEvent.objects.filter(evidence=item, sequence=2).update(**change)
    # Then the chain names the entry and what is wrong
    verdict = custody.chain_verify(item)
    assert (verdict.ok, verdict.problem, verdict.first_bad) == (False, problem, first_bad)


def test_an_entry_removed_from_the_middle_or_the_end_or_one_inserted_is_detected(desk: Desk) -> None:
    item = _busy_item(desk)
    # Removed from the middle: the next entry no longer follows
    CustodyEvent.objects.filter(evidence=item, sequence=3).delete()
    assert custody.chain_verify(item).problem == custody.OUT_OF_ORDER

    other = _busy_item(desk)
    # Removed from the end (the last "exported"): the chain alone still links, the audit log says otherwise
    CustodyEvent.objects.filter(evidence=other, sequence=5).delete()
    verdict = custody.chain_verify(other)
    assert (verdict.ok, verdict.problem, verdict.first_bad) == (False, custody.AUDIT_DIFFERS, 5)


def test_a_chain_rewritten_with_fresh_hashes_is_detected_against_the_audit_log(desk: Desk) -> None:
    # Given someone who knows how the chain hashes and rewrites an entry's action with every hash recomputed
    item = _busy_item(desk)
    events = list(CustodyEvent.objects.filter(evidence=item).order_by("sequence"))
    previous = events[0].entry_hash
    for event in events[1:]:
        if event.sequence == 3:
            event.action = A.VIEWED  # the hand-over disappears
        event.previous_hash = previous
        event.entry_hash = custody.entry_hash(event)
        CustodyEvent.objects.filter(pk=event.pk).update(
            action=event.action, previous_hash=event.previous_hash, entry_hash=event.entry_hash
        )
        previous = event.entry_hash
    # Then every link verifies, but the audit log's signed chain recorded the original entries
    verdict = custody.chain_verify(item)
    assert (verdict.ok, verdict.problem, verdict.first_bad) == (False, custody.AUDIT_DIFFERS, 3)


def test_an_inserted_entry_is_detected(desk: Desk) -> None:
    item = _busy_item(desk)
    last = CustodyEvent.objects.filter(evidence=item).order_by("-sequence").first()
    assert last is not None
    forged = CustodyEvent(
        evidence=item,
        key_set_id=item.key_set_id,
        sequence=last.sequence + 1,
        action=A.CHECKED,
        at=last.at,
        actor=desk.author.staff,
        detail_digest="1" * 64,
        previous_hash=last.entry_hash,
    )
    forged.entry_hash = custody.entry_hash(forged)
    forged.save(force_insert=True)
    assert custody.chain_verify(item).problem == custody.AUDIT_DIFFERS


def test_the_items_own_record_changed_breaks_the_chain_at_its_anchor(desk: Desk) -> None:
    # Given someone hiding a replaced file by changing the stored hash to match it
    item = _busy_item(desk)
    Evidence.objects.filter(pk=item.pk).update(stored_sha256="f" * 64)
    item.refresh_from_db()
    verdict = custody.chain_verify(item)
    assert (verdict.ok, verdict.problem, verdict.first_bad) == (False, custody.RECORD_CHANGED, 0)


def test_a_sealed_detail_swapped_is_detected_with_keys(desk: Desk) -> None:
    # Given an entry's sealed detail replaced by another entry's (a valid ciphertext, of another row)
    item = _busy_item(desk)
    first, second = CustodyEvent.objects.filter(evidence=item).order_by("sequence")[:2]
    CustodyEvent.objects.filter(pk=second.pk).update(detail=first.detail)
    events = list(CustodyEvent.objects.filter(evidence=item))
    key = ring_of(desk.author).key_for(item.key_set)
    # Then the keyless chain cannot see it, and the check with keys names the entry
    assert custody.chain_verify(item).ok
    assert custody.details_verify(key=key, events=events) == 2


def test_taking_the_incident_away_from_someone_re_keys_the_evidence_and_the_chain_still_holds(desk: Desk) -> None:
    # Given an item the colleague holds
    item = _busy_item(desk)
    before = bytes(CustodyEvent.objects.get(evidence=item, sequence=3).detail)
    # When the author takes the incident (and its evidence) away from them
    incident_unshare(**who(desk.author), reference=desk.incident.reference, staff_id=desk.colleague.staff.pk)
    # Then every detail was re-encrypted under the new key, and the chain and details still verify
    item.refresh_from_db()
    events = list(CustodyEvent.objects.filter(evidence=item))
    assert bytes(next(e for e in events if e.sequence == 3).detail) != before
    assert custody.chain_verify(item).ok
    ring = ring_of(desk.author)
    assert custody.details_verify(key=ring.key_for(item.key_set), events=events) is None
    with pytest.raises(NotFound):
        services.evidence_content(**who(desk.colleague), reference=item.reference)


# --- a file whose hash changed --------------------------------------------------------------------------------


def _replace_stored(item: Evidence, desk: Desk, content: bytes) -> None:
    """Someone holding the item's key re-seals other bytes under the same file key, in the same place."""
    file_key = FileKey.objects.get(pk=item.file_id)
    key = files.file_key_open(file_key=file_key, ring=ring_of(desk.author))
    Path(stored_path(item)).write_bytes(files.seal_file(key, str(item.file_id), content))


def test_a_file_whose_content_changed_is_reported_by_the_re_check(desk: Desk) -> None:
    # Given a file replaced by other content, sealed properly under its key
    item = desk.add()
    _replace_stored(item, desk, b"\xff\xd8\xff another picture")
    # When a documenter re-checks it
    result = services.evidence_recheck(**who(desk.author), reference=item.reference)
    # Then the re-check says the contents no longer match, and the failure is in the custody log
    assert not result.ok
    assert result.problem == "The file's contents no longer match the hash taken when it was acquired."
    assert actions(item) == [A.ACQUIRED, A.CHECK_FAILED]
    key = ring_of(desk.author).key_for(item.key_set)
    failed = CustodyEvent.objects.get(evidence=item, action=A.CHECK_FAILED)
    detail = custody.custody_detail(key=key, event=failed)
    assert detail["expected"] == sha256(photo_bytes())
    assert detail["found"] == sha256(b"\xff\xd8\xff another picture")
    # The command sees the stored file differs without any key, names the item, and fails
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=r"1 problem\(s\) in 1 of 1 evidence items"):
        call_command("evidence_verify", stdout=out, stderr=err)
    assert item.reference in err.getvalue()
    assert "stored hash differs" in err.getvalue()


def test_a_damaged_file_is_reported_clearly_in_russian_and_nothing_crashes(desk: Desk) -> None:
    item = desk.add()
    stored_damage(item, 40)
    with translation.override("ru"):
        result = services.evidence_recheck(**who(desk.author), reference=item.reference)
        with pytest.raises(DocumentationError):
            services.evidence_content(**who(desk.author), reference=item.reference)
    assert not result.ok
    assert result.problem
    assert actions(item) == [A.ACQUIRED, A.CHECK_FAILED]
    # Through the page: the answer says so, with a 200 (nothing crashed)
    client = staff_client(desk.author)
    page = client.post(f"/staff/documentation/evidence/{item.reference}/recheck/")
    assert page.status_code == 200
    assert "Hash check failed." in page.content.decode()
    # A missing file too
    Path(stored_path(item)).unlink()
    assert services.evidence_recheck(**who(desk.author), reference=item.reference).problem == (
        "The stored file is missing."
    )


# --- bad input ------------------------------------------------------------------------------------------------


def test_an_empty_file_or_one_too_large_is_refused_and_nothing_is_stored(desk: Desk, settings: Any) -> None:
    settings.FERRY_EVIDENCE_MAX_FILE_BYTES = 1024
    stored_before = set(FileKey.objects.values_list("pk", flat=True))
    with pytest.raises(DocumentationError, match="The file is empty"):
        desk.add(b"")
    with pytest.raises(DocumentationError, match="larger than 0 MB"):
        desk.add(b"x" * 1025)
    with pytest.raises(DocumentationError, match="how the file was acquired"):
        desk.add(how="  ")
    with pytest.raises(DocumentationError, match="what kind of evidence"):
        desk.add(kind="rumour")
    assert not Evidence.objects.exists()
    assert set(FileKey.objects.values_list("pk", flat=True)) == stored_before


def test_the_pages_refuse_an_empty_or_too_large_upload_with_a_clear_error(desk: Desk, settings: Any) -> None:
    settings.FERRY_EVIDENCE_MAX_FILE_BYTES = 2 * 1024 * 1024
    client = staff_client(desk.author)
    url = f"/staff/documentation/evidence/incident/{desk.incident.reference}/add/"
    form = {"kind": "photo", "how": "Handed over on a USB stick", "description": "", "source": ""}
    empty = client.post(url, {**form, "file": SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg")})
    assert empty.status_code == 400
    assert "The file is empty: nothing was saved." in empty.content.decode()
    large = client.post(
        url, {**form, "file": SimpleUploadedFile("big.mp4", b"0" * (2 * 1024 * 1024 + 1), content_type="video/mp4")}
    )
    assert large.status_code == 400
    assert "The file is larger than 2 MB: nothing was saved." in large.content.decode()
    assert not Evidence.objects.exists()
    # A file over the general upload limit (10 MB) but within the evidence limit is accepted
    settings.FERRY_UPLOAD_MAX_FILE_BYTES = 1024
    fine = client.post(url, {**form, "file": SimpleUploadedFile("v.mp4", b"1" * 4096, content_type="video/mp4")})
    assert fine.status_code == 302
    assert Evidence.objects.get().size == 4096


# --- the door -------------------------------------------------------------------------------------------------


def test_an_analyst_opening_sealed_content_is_refused_and_audited_until_it_is_shared(desk: Desk) -> None:
    item = desk.add()
    # Given an analyst who was not granted the incident: refused like a missing item, and audited
    for open_ in (services.evidence_content, services.evidence_record_open):
        with pytest.raises(NotFound):
            open_(**who(desk.analyst), reference=item.reference)
    assert AuditEntry.objects.filter(action="evidence.denied", actor_id=desk.analyst.staff.pk).count() == 2
    # An analyst never adds, hands over or re-checks, granted or not
    with pytest.raises(Refused):
        services.evidence_recheck(**who(desk.analyst), reference=item.reference)
    # When the incident is shared with them, they can open it, and the view is in the custody log
    incident_share(**who(desk.author), reference=desk.incident.reference, colleague_id=desk.analyst.staff.pk)
    _item, _record, content = services.evidence_content(**who(desk.analyst), reference=item.reference)
    assert content == photo_bytes()
    assert actions(item) == [A.ACQUIRED, A.VIEWED]


def test_a_download_through_the_page_is_a_view_and_missing_or_forbidden_answer_alike(desk: Desk) -> None:
    item = desk.add()
    client = staff_client(desk.author)
    download = client.get(f"/staff/documentation/evidence/{item.reference}/file/")
    assert download.status_code == 200
    assert download.content == photo_bytes()
    assert download["Content-Disposition"] == f'attachment; filename="evidence-{item.reference}.jpg"'
    assert PHOTO_NAME not in download["Content-Disposition"]
    assert actions(item) == [A.ACQUIRED, A.VIEWED]
    analyst = staff_client(desk.analyst)
    refused = analyst.get(f"/staff/documentation/evidence/{item.reference}/file/")
    missing = analyst.get("/staff/documentation/evidence/ZZZ-ZZZ/file/")
    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content
    assert actions(item) == [A.ACQUIRED, A.VIEWED]


# --- verifying everything: the command and the page -----------------------------------------------------------


def test_the_command_verifies_every_item_without_keys_and_prints_no_personal_data(desk: Desk) -> None:
    first, second = _busy_item(desk), desk.add(description="Bruises on the back")
    out = io.StringIO()
    call_command("evidence_verify", stdout=out)
    assert "2 items" in out.getvalue()
    # When one chain is edited and one stored file removed
    CustodyEvent.objects.filter(evidence=first, sequence=2).update(action=A.CHECKED)
    Path(stored_path(second)).unlink()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=r"2 problem\(s\) in 2 of 2 evidence items"):
        call_command("evidence_verify", stdout=out, stderr=err)
    printed = out.getvalue() + err.getvalue()
    assert f"{first.reference} (entry 2): an entry was changed" in printed
    assert f"{second.reference}: the stored file is missing" in printed
    for secret in (PHOTO_NAME, "Bruises", "Hague", "Signal", sha256(photo_bytes())):
        assert secret not in printed


def test_the_page_verifies_every_item_and_re_checks_what_the_viewer_can_open(desk: Desk) -> None:
    # Given two items the author holds, one of them replaced, and one of a restricted incident of the colleague's
    good, bad = desk.add(), desk.add()
    _replace_stored(bad, desk, b"forged")
    restricted = desk.incident_new(restricted=True)
    hidden = desk.add(incident=restricted)
    # When the colleague (who cannot open the restricted one) verifies everything
    client = staff_client(desk.colleague)
    assert "Verify now" in client.get("/staff/documentation/evidence/verify/").content.decode()
    _pages, page = drive(client)
    # Then every item was checked, the two they hold re-checked (and recorded), the replaced one reported twice
    assert "3 items checked; 2 re-checked with your keys." in page
    assert page.count(bad.reference) >= 2
    assert "The file&#x27;s contents no longer match the hash taken when it was acquired." in page
    assert "the stored file is not the one stored at acquisition" in page
    assert good.reference not in page
    # ...and the one they cannot open is listed as checked without keys only, not as a problem
    assert f"{hidden.reference}: you hold no key to this item: checked without keys only" in page
    assert actions(good) == [A.ACQUIRED, A.CHECKED]
    assert actions(bad) == [A.ACQUIRED, A.CHECK_FAILED]
    assert actions(hidden) == [A.ACQUIRED]
    assert custody_check.verify_without_keys().items == 3


# --- custody reports ------------------------------------------------------------------------------------------


def test_an_items_custody_report_has_its_hashes_events_who_and_when_and_records_its_export(desk: Desk) -> None:
    item = _busy_item(desk)
    client = staff_client(desk.author)
    response = client.post(f"/staff/documentation/evidence/{item.reference}/report/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="custody-{item.reference}.pdf"'
    text = " ".join(pdf_text(response.content).split())
    # The hashes (the original's, sealed, and the stored ciphertext's), each event, who, and the chain's state
    assert sha256(photo_bytes()) in text
    assert item.stored_sha256 in text
    for event in CustodyEvent.objects.filter(evidence=item):
        assert event.entry_hash in text
    for label in ("Acquired", "Viewed", "Handed to a partner", "Hash re-checked", "Exported"):
        assert label in text, label
    assert "Prosecutor's office, The Hague" in text
    assert desk.author.staff.email in text
    assert "Intact" in text
    # The file's own name in Cyrillic renders (the font covers it)
    assert "Фото из подвала" in text
    # Exporting it is recorded: the item's log now ends with two exports (the fixture's and this one)
    assert actions(item)[-2:] == [A.EXPORTED, A.EXPORTED]
    assert custody.chain_verify(item).ok


def test_an_incidents_custody_report_in_russian_covers_every_item_the_viewer_can_open(desk: Desk) -> None:
    original = desk.add()
    copy = services.evidence_copy_add(
        **who(desk.author),
        reference=original.reference,
        content=b"Transcript of the voice message",
        copy_kind=Evidence.CopyKind.TRANSCRIPT,
        name="transcript.txt",
        content_type="text/plain",
    )
    client = staff_client(desk.author)
    client.get("/staff/?lang=ru")
    response = client.post(f"/staff/documentation/evidence/incident/{desk.incident.reference}/report/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="custody-{desk.incident.reference}.pdf"'
    text = pdf_text(response.content).replace(" ", "").replace("\n", "")
    for item in (original, copy):
        assert item.reference in text
        assert item.stored_sha256[:32] in text
    assert hashlib.sha256(b"Transcript of the voice message").hexdigest()[:32] in text
    # Dates are written the Russian way (the month's name in the genitive), as every page in Russian
    with translation.override("ru"):
        month = dateformat.format(timezone.now(), "E")
    assert month in text
    # Each item's export is in its log, recorded in the viewer's language
    for item in (original, copy):
        assert actions(item)[-1] == A.EXPORTED
        event = CustodyEvent.objects.filter(evidence=item).order_by("-sequence").first()
        assert event is not None
        key = ring_of(desk.author).key_for(item.key_set)
        assert custody.custody_detail(key=key, event=event) == {"scope": "incident", "language": "ru"}


# --- the pages ------------------------------------------------------------------------------------------------


def test_a_documenter_adds_evidence_through_the_pages_and_sees_its_custody_log(desk: Desk) -> None:
    client = staff_client(desk.author)
    incident_page = f"/staff/documentation/evidence/incident/{desk.incident.reference}/"
    assert "Add evidence" in client.get(incident_page).content.decode()
    added = client.post(
        f"{incident_page}add/",
        {
            "file": SimpleUploadedFile(PHOTO_NAME, photo_bytes(), content_type="image/jpeg"),
            "kind": "photo",
            "how": "Sent by the survivor's friend over Signal",
            "description": "The cell",
            "source": "",
        },
    )
    assert added.status_code == 302
    item = Evidence.objects.get()
    listed = client.get(incident_page).content.decode()
    assert item.reference in listed
    assert PHOTO_NAME in listed
    detail = client.get(f"/staff/documentation/evidence/{item.reference}/").content.decode()
    assert sha256(photo_bytes()) in detail
    assert item.stored_sha256 in detail
    assert "Intact" in detail
    handover = client.post(
        f"/staff/documentation/evidence/{item.reference}/handover/",
        {"recipient": "UN Special Rapporteur's office", "method": "encrypted transfer", "note": ""},
    )
    assert handover.status_code == 302
    copied = client.post(
        f"/staff/documentation/evidence/{item.reference}/copy/",
        {
            "file": SimpleUploadedFile("blurred.jpg", b"\xff\xd8\xff blurred", content_type="image/jpeg"),
            "copy_kind": "redacted",
            "description": "",
        },
    )
    assert copied.status_code == 302
    detail = client.get(f"/staff/documentation/evidence/{item.reference}/").content.decode()
    assert "UN Special Rapporteur&#x27;s office" in detail
    assert Evidence.objects.get(original=item).reference in detail
    assert actions(item) == [A.ACQUIRED, A.HANDED, A.COPIED]
    # An empty hand-over is refused with the form's error
    refused = client.post(f"/staff/documentation/evidence/{item.reference}/handover/", {"recipient": "", "method": ""})
    assert refused.status_code == 400
    assert actions(item) == [A.ACQUIRED, A.HANDED, A.COPIED]
