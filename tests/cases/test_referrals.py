"""Referrals: the partner list, packets holding only what was ticked, consent, status moves, the PDF, access."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from ferry.audit.models import AuditEntry
from ferry.cases.models import Case, Event, Partner, Referral
from ferry.cases.referrals import services as referrals
from ferry.cases.referrals.timeline import referral_texts
from ferry.cases.services import CaseError, access_case, open_json
from ferry.core.errors import NotFound, Refused
from ferry.intake.models import Request
from ferry.vault.keyring import KeyRing
from tests.cases.conftest import staff_client
from tests.intake.helpers import submit

pytestmark = pytest.mark.django_db

NAME, PHONE, HANDLE = "Artur", "+7 912 345 67 89", "@artur_safe"
RUSSIAN_NAME = "Артур Исмаилов"
CHECKBOX_RE = re.compile(r'<input type="checkbox" name="include"[^>]*>')


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as a reader would copy it (poppler's pdftotext; CI installs poppler-utils)."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is missing; .ci/run installs it")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def ring_of(person: Any) -> KeyRing:
    return KeyRing(staff_id=person.staff.pk, private_key=person.private_key)


@pytest.fixture
def partner() -> Partner:
    return Partner.objects.create(name="Rainbow Harbour", country="CA", kind="organisation")


def referral_post(worker: Client, case: Case, to: Partner, **overrides: Any) -> Any:
    data: dict[str, Any] = {"partner": to.pk, "destination_country": "CA", "include": referrals.DEFAULT_CONTENT}
    data.update(overrides)
    return worker.post(f"/staff/cases/referrals/case/{case.reference}/", data)


def move(worker: Client, referral: Referral, status: str, **extra: Any) -> Any:
    return worker.post(f"/staff/cases/referrals/{referral.pk}/status/", {"status": status, **extra})


def test_administrators_manage_the_partner_list(team: dict[str, Any]) -> None:
    # Given an administrator and a caseworker
    admin = staff_client(team["admin"])
    worker = staff_client(team["caseworker"])
    # When the administrator adds, renames and deactivates a partner
    assert admin.get("/staff/cases/referrals/partners/").status_code == 200
    added = admin.post(
        "/staff/cases/referrals/partners/", {"name": "  Safe  Passage ", "country": "DE", "kind": "pathway"}
    )
    assert added.status_code == 302
    partner = Partner.objects.get()
    assert (partner.name, partner.country, partner.kind, partner.active) == ("Safe Passage", "DE", "pathway", True)
    twice = admin.post("/staff/cases/referrals/partners/", {"name": "safe passage"})
    assert twice.status_code == 400
    assert "There is a partner with this name already." in twice.content.decode()
    renamed = admin.post(
        f"/staff/cases/referrals/partners/{partner.pk}/", {"name": "Safe Passage e.V.", "country": "DE"}
    )
    assert renamed.status_code == 302
    assert admin.post(f"/staff/cases/referrals/partners/{partner.pk}/active/", {"active": "0"}).status_code == 302
    # Then the list holds the new name, inactive, and each change is audited
    partner.refresh_from_db()
    assert (partner.name, partner.active) == ("Safe Passage e.V.", False)
    assert "Safe Passage e.V." in admin.get("/staff/cases/referrals/partners/").content.decode()
    actions = set(AuditEntry.objects.filter(object_type="partner").values_list("action", flat=True))
    assert actions == {"cases.partner_add", "cases.partner_update", "cases.partner_deactivate"}
    assert admin.post("/staff/cases/referrals/partners/999/active/", {"active": "1"}).status_code == 404
    # And a caseworker cannot touch the list
    assert worker.get("/staff/cases/referrals/partners/").status_code == 403
    assert worker.post("/staff/cases/referrals/partners/", {"name": "Mine"}).status_code == 403
    assert worker.post(f"/staff/cases/referrals/partners/{partner.pk}/active/", {"active": "1"}).status_code == 403
    with pytest.raises(Refused):
        referrals.partner_add(by=team["coordinator"].staff, name="Not allowed")


def test_default_packet_holds_no_name_and_no_contacts(team: dict, accepted: dict, partner: Partner) -> None:
    # Given a case and a caseworker who leaves the default ticks
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    page = worker.get(f"/staff/cases/{case.reference}/").content.decode()
    ticked = {re.search(r'value="(\w+)"', box).group(1) for box in CHECKBOX_RE.findall(page) if " checked" in box}  # type: ignore[union-attr]
    assert ticked == {"stage", "risk", "needs"}
    # When the referral is made and its packet downloaded
    assert referral_post(worker, case, partner, note="Needs a safe flat for two weeks.").status_code == 302
    referral = Referral.objects.get()
    assert referral.status == "draft"
    pdf = worker.get(f"/staff/cases/referrals/{referral.pk}/packet.pdf")
    html = worker.get(f"/staff/cases/referrals/{referral.pk}/packet/").content.decode()
    # Then it is a PDF download, never cached, audited, without the name or any contact
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith('attachment; filename="referral-')
    assert "no-store" in pdf["Cache-Control"]
    text = pdf_text(pdf.content)
    for page_text in (text, html):
        assert "Rainbow Harbour" in page_text
        assert "Needs a safe flat for two weeks." in page_text
        for secret in (NAME, PHONE, HANDLE, "near the bus station", "Lenina"):
            assert secret not in page_text
    assert "Critical" in text  # the risk level was ticked by default
    assert AuditEntry.objects.filter(action="case.referral_packet_pdf", object_id=referral.pk.hex).count() == 1
    assert AuditEntry.objects.filter(action="case.referral_packet_view", object_id=referral.pk.hex).count() == 1
    worker.get(f"/staff/cases/referrals/{referral.pk}/packet.pdf")
    assert AuditEntry.objects.filter(action="case.referral_packet_pdf", object_id=referral.pk.hex).count() == 2
    # And the packet is sealed: the database holds none of it in clear
    assert b"safe flat" not in bytes(referral.packet)


def test_ticked_name_and_contacts_are_in_the_packet_in_russian(team: dict, partner: Partner) -> None:
    # Given a case for a person with a Russian name
    submit(Client(), name=RUSSIAN_NAME, story="Меня ищут родственники.")
    request = Request.objects.get()
    coordinator = staff_client(team["coordinator"])
    accept = {"version": request.version, "caseworker": team["caseworker"].staff.pk}
    assert coordinator.post(f"/staff/intake/{request.reference}/accept/", accept).status_code == 302
    case = Case.objects.get()
    worker = staff_client(team["caseworker"])
    # When the caseworker ticks the name, contacts and summary, and reads the packet in Russian
    chosen = [*referrals.DEFAULT_CONTENT, "name", "contacts", "summary"]
    assert referral_post(worker, case, partner, include=chosen, consent="on").status_code == 302
    referral = Referral.objects.get()
    assert referral.consent_at is not None
    pdf = worker.get(f"/staff/cases/referrals/{referral.pk}/packet.pdf?lang=ru")
    # Then the Cyrillic text is in the PDF as text, not as missing glyphs
    text = pdf_text(pdf.content)
    assert RUSSIAN_NAME in text
    assert PHONE in text
    assert "Меня ищут родственники." in text
    assert RUSSIAN_NAME.encode() not in bytes(referral.packet)


def test_sending_needs_the_persons_consent(team: dict, accepted: dict, partner: Partner) -> None:
    # Given a draft made without consent
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    assert referral_post(worker, case, partner).status_code == 302
    referral = Referral.objects.get()
    assert referral.consent_at is None
    # When it is marked sent without consent, it is refused and nothing changes
    refused = move(worker, referral, "sent")
    assert refused.status_code == 400
    assert "Record the person&#x27;s consent before the referral is sent." in refused.content.decode()
    referral.refresh_from_db()
    assert (referral.status, referral.consent_at) == ("draft", None)
    # When consent is ticked, it is sent and the consent time recorded
    assert move(worker, referral, "sent", consent="on").status_code == 302
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert referral.consent_at is not None


def test_status_moves_one_step_at_a_time(team: dict, accepted: dict, partner: Partner) -> None:
    # Given a draft with consent
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    assert referral_post(worker, case, partner, consent="on", destination_country="DE").status_code == 302
    referral = Referral.objects.get()
    # Then a skip is refused with a clear message, and so is an unknown status
    skipped = move(worker, referral, "accepted")
    assert skipped.status_code == 400
    assert "A referral that is “Draft” cannot become “Accepted”. Possible next: Sent." in skipped.content.decode()
    assert move(worker, referral, "lost").status_code == 400
    # When it goes draft -> sent -> accepted -> completed
    for status in ("sent", "accepted", "completed"):
        assert move(worker, referral, status).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "completed"
    # Then nothing moves a finished referral, each step is in the timeline and audited, and the case's
    # destination country (kept by retention) is the referral's
    finished = move(worker, referral, "declined")
    assert "cannot become “Declined”. Possible next: none, it is finished." in finished.content.decode()
    assert Event.objects.filter(case=case, kind="referral").count() == 4
    assert AuditEntry.objects.filter(action="case.referral_status", object_id=referral.pk.hex).count() == 3
    assert AuditEntry.objects.filter(action="case.referral_create").count() == 1
    case.refresh_from_db()
    assert case.destination_country == "DE"


def test_a_declined_referral_cannot_be_completed(team: dict, accepted: dict, partner: Partner) -> None:
    worker = ring_of(team["caseworker"])
    case = accepted["case"]
    staff = team["caseworker"].staff
    common = {"ring": worker, "staff": staff}
    referral = referrals.referral_create(
        **common, reference=case.reference, partner_id=partner.pk, destination_country="CA", include=[], consent=True
    )
    referrals.referral_status_change(**common, referral_id=referral.pk, status="sent")
    referrals.referral_status_change(**common, referral_id=referral.pk, status="declined")
    with pytest.raises(CaseError, match="cannot become “Completed”"):
        referrals.referral_status_change(**common, referral_id=referral.pk, status="completed")


def test_unknown_or_inactive_partners_are_refused(team: dict, accepted: dict, partner: Partner) -> None:
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    # An id that is no partner, through the page
    unknown = referral_post(worker, case, partner, partner=partner.pk + 100)
    assert unknown.status_code == 400
    assert "unknown or inactive partners cannot receive referrals" in unknown.content.decode()
    # A partner deactivated after the page was loaded, through the service
    Partner.objects.filter(pk=partner.pk).update(active=False)
    with pytest.raises(CaseError, match="unknown or inactive partners"):
        referrals.referral_create(
            ring=ring_of(team["caseworker"]),
            staff=team["caseworker"].staff,
            reference=case.reference,
            partner_id=partner.pk,
            destination_country="CA",
            include=[],
        )
    # A country that is not ISO 3166-1, and content that is not on the list
    Partner.objects.filter(pk=partner.pk).update(active=True)
    assert referral_post(worker, case, partner, destination_country="XX").status_code == 400
    assert referral_post(worker, case, partner, include=["stage", "diary"]).status_code == 400
    assert not Referral.objects.exists()
    assert not Event.objects.filter(kind="referral").exists()


def test_a_caseworker_without_a_grant_gets_404(team: dict, accepted: dict, partner: Partner) -> None:
    # Given a referral on a case that the second caseworker was never granted
    case = accepted["case"]
    assert referral_post(staff_client(team["caseworker"]), case, partner, consent="on").status_code == 302
    referral = Referral.objects.get()
    other = staff_client(team["caseworker2"])
    denied_before = AuditEntry.objects.filter(action__in=["case.denied", "referral.denied"]).count()
    # Then every referral page answers as if it did not exist, and nothing is decrypted or changed
    assert other.get(f"/staff/cases/referrals/{referral.pk}/packet/").status_code == 404
    assert other.get(f"/staff/cases/referrals/{referral.pk}/packet.pdf").status_code == 404
    assert move(other, referral, "sent").status_code == 404
    assert referral_post(other, case, partner).status_code == 404
    assert other.get("/staff/cases/referrals/00000000-0000-0000-0000-000000000000/packet.pdf").status_code == 404
    assert Client().get(f"/staff/cases/referrals/{referral.pk}/packet.pdf").status_code == 302  # to the login
    # Each refused opening of a real record is audited: three referral doors and one case door
    assert AuditEntry.objects.filter(action="referral.denied").count() == 3
    assert AuditEntry.objects.filter(action__in=["case.denied", "referral.denied"]).count() == denied_before + 4
    assert not AuditEntry.objects.filter(action__startswith="case.referral_packet").exists()
    referral.refresh_from_db()
    assert referral.status == "draft"
    assert Referral.objects.count() == 1
    with pytest.raises(NotFound):
        referrals.referral_packet_open(
            ring=ring_of(team["caseworker2"]), staff=team["caseworker2"].staff, referral_id=referral.pk, purpose="pdf"
        )


# --- timeline entries, in the reader's language -------------------------------------------------------------


def _referral_details(case: Case, key: bytes) -> list[dict[str, Any]]:
    events = Event.objects.filter(case=case, kind="referral").order_by("at")
    return [open_json(key, event, "detail") for event in events]


def test_a_referral_entry_keeps_keys_and_is_worded_when_read(team: dict, accepted: dict, partner: Partner) -> None:
    # Given a referral made and sent by a caseworker who reads the pages in English
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    assert referral_post(worker, case, partner, consent="on", destination_country="DE").status_code == 302
    assert move(worker, Referral.objects.get(), "sent").status_code == 302
    _case, key = access_case(ring=ring_of(team["caseworker"]), staff=team["caseworker"].staff, reference=case.reference)
    # Then the sealed entries hold keys, no sentence in the writer's language
    details = _referral_details(case, key)
    assert [d["status"] for d in details] == ["draft", "sent"]
    assert all("text" not in d for d in details)
    # And each reader gets them in their own language, the partner under its current name
    Partner.objects.filter(pk=partner.pk).update(name="Rainbow Harbour e.V.")
    with translation.override("ru"):
        referral_texts(details)
    assert [d["text"] for d in details] == [
        "Направление: Rainbow Harbour e.V. (Германия) — Черновик",
        "Направление: Rainbow Harbour e.V. (Германия) — Отправлено",
    ]
    with translation.override("en"):
        referral_texts(details)
    assert details[1]["text"] == "Referral to Rainbow Harbour e.V. (Germany): Sent"


def test_an_entry_written_before_with_its_own_text_is_worded_afresh(
    team: dict, accepted: dict, partner: Partner
) -> None:
    referral = Referral.objects.create(
        case=accepted["case"],
        key_set_id=accepted["case"].key_set_id,
        partner=partner,
        destination_country="DE",
        created_by=team["caseworker"].staff,
        created_at=accepted["case"].created_at,
        updated_at=accepted["case"].created_at,
    )
    old = {"text": "Referral to Rainbow Harbour (Germany): Sent", "referral": referral.pk.hex, "status": "sent"}
    gone = {"text": "Referral to Gone (Germany): Sent", "referral": "0" * 32, "status": "sent"}
    broken = {"text": "kept", "referral": "not an id", "status": "sent"}
    with translation.override("ru"):
        referral_texts([old, gone, broken])
    assert old["text"] == "Направление: Rainbow Harbour (Германия) — Отправлено"
    assert gone["text"] == "Referral to Gone (Germany): Sent"  # its referral is gone: the old words stay
    assert broken["text"] == "kept"


def test_the_case_page_words_referral_entries_in_the_readers_language(
    team: dict, accepted: dict, partner: Partner
) -> None:
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    assert referral_post(worker, case, partner, consent="on", destination_country="DE").status_code == 302
    assert move(worker, Referral.objects.get(), "sent").status_code == 302
    english = worker.get(f"/staff/cases/{case.reference}/").content.decode()
    russian = worker.get(f"/staff/cases/{case.reference}/?lang=ru").content.decode()
    assert "Referral to Rainbow Harbour (Germany): Sent" in english
    assert "Направление: Rainbow Harbour (Германия) — Отправлено" in russian
    assert "Referral to" not in russian
