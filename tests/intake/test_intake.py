"""The anonymous intake end to end through its pages: send, receipt, mailbox, duress, and bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ferry.accounts.models import StaffAlert
from ferry.audit.models import AuditEntry
from ferry.intake import errors, mailbox
from ferry.intake.models import (
    CheckIn,
    FormNonce,
    LookupThrottle,
    Mailbox,
    MailboxSession,
    Message,
    Request,
)
from ferry.vault import files
from ferry.vault.models import Grant
from tests.accounts.helpers import login
from tests.intake.helpers import (
    BOX_RE,
    STORY,
    box_post,
    form_token,
    jpeg_with_gps,
    open_box,
    open_data,
    request_data,
    submit,
)

pytestmark = pytest.mark.django_db


def _staff_client(person: Any) -> Client:
    from tests.conftest import TEST_PASSPHRASE

    return login(Client(), person.staff.email, TEST_PASSPHRASE, person.totp_secret)


def test_front_page_is_neutral_cookieless_and_has_a_quick_exit(client: Client, hotline: dict[str, Any]) -> None:
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert not response.cookies, "the intake must set no cookie"
    assert "<title>Write to us</title>" in body
    assert 'class="quick-exit"' in body
    assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/ferry/exit.js" defer>']
    assert "csrfmiddlewaretoken" not in body
    assert "Чеченская Республика" in client.get("/?lang=ru").content.decode()


def test_submission_is_sealed_and_the_code_opens_the_mailbox(client: Client, hotline: dict[str, Any]) -> None:
    response, code, duress_code = submit(client)
    assert response.status_code == 200
    assert not response.cookies
    assert code is not None
    assert re.fullmatch(r"(\d{4} ){5}\d{4}", code)
    assert duress_code is None
    request = Request.objects.get()
    assert request.urgency == "now"
    assert STORY.encode() not in bytes(request.details)
    mailbox = Mailbox.objects.get()
    assert mailbox.locator == code.replace(" ", "")[:6]
    # Two compartments, both sealed to the escrow and both coordinators; only the conversation to the person.
    coordinators = {hotline["coordinator"].staff.pk, hotline["coordinator2"].staff.pk}
    assert request.conversation is not None
    for key_set, to_the_person in ((request.key_set, 0), (request.conversation, 1)):
        grants = Grant.objects.filter(key_set=key_set)
        assert {g.staff_id for g in grants if g.staff_id} == coordinators
        assert grants.filter(escrow__isnull=False).count() == 1
        assert grants.filter(requester_key__isnull=False).count() == to_the_person

    page, box = open_box(client, code)
    assert page.status_code == 200
    assert box
    assert "Your mailbox" in page.content.decode()
    assert not page.cookies


def test_reply_reaches_the_mailbox_and_checkin_is_recorded(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, _ = submit(client)
    request = Request.objects.get()
    staff = _staff_client(hotline["coordinator"])
    queue = staff.get("/staff/intake/")
    assert request.reference in queue.content.decode()
    assert "Artur" in queue.content.decode()
    detail = staff.get(f"/staff/intake/{request.reference}/")
    assert STORY in detail.content.decode().replace("&#x27;", "'")
    replied = staff.post(f"/staff/intake/{request.reference}/reply/", {"text": "We hear you. Stay where you are."})
    assert replied.status_code == 302
    assert AuditEntry.objects.filter(action="intake.request_open").count() == 1
    assert AuditEntry.objects.filter(action="intake.reply").count() == 1

    page, box = open_box(client, code)
    assert "We hear you. Stay where you are." in page.content.decode()
    sent = box_post(client, "/box/send?lang=en", box, {"text": "Thank you, I am still here."})
    assert "Your message was sent." in sent.content.decode()
    assert Message.objects.filter(sender="requester").count() == 1
    assert StaffAlert.objects.filter(kind="new_message", reference=request.reference).exists()
    safe = box_post(client, "/box/safe?lang=en", box)
    assert "We know you are safe now" in safe.content.decode()
    checkin = CheckIn.objects.get()
    assert (checkin.kind, checkin.source) == ("safe", "requester")
    box_post(client, "/box/close", box)
    closed = box_post(client, "/box?lang=en", box)
    assert "Your mailbox was closed" in closed.content.decode()


def test_duress_code_opens_an_empty_mailbox_and_alerts(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, duress_code = submit(client, duress=True)
    assert duress_code
    assert duress_code[:7] != code[:7], "the duress code does not share the digits that find the mailbox"
    request = Request.objects.get()
    staff = _staff_client(hotline["coordinator"])
    staff.post(f"/staff/intake/{request.reference}/reply/", {"text": "Secret reply text"})

    real, _box = open_box(client, code)
    fake, fake_box = open_box(client, duress_code)
    assert "Secret reply text" in real.content.decode()
    assert "Secret reply text" not in fake.content.decode()
    assert "Your mailbox" in fake.content.decode()
    assert fake_box
    assert CheckIn.objects.get().kind == "duress"
    alerted = set(StaffAlert.objects.filter(kind="requester_duress").values_list("recipient_id", flat=True))
    assert hotline["coordinator"].staff.pk in alerted
    # Sending under duress pretends to work and stores nothing.
    sent = box_post(client, "/box/send?lang=en", fake_box, {"text": "Who else is with you?"})
    assert "Your message was sent." in sent.content.decode()
    assert not Message.objects.filter(sender="requester").exists()
    box_post(client, "/box/safe", fake_box)
    assert CheckIn.objects.filter(kind="duress").count() == 2
    assert not CheckIn.objects.filter(kind="safe").exists()


def test_wrong_and_malformed_codes(client: Client, hotline: dict[str, Any]) -> None:
    _response, code, _ = submit(client)
    digits = code.replace(" ", "")
    malformed = client.post("/open?lang=ru", open_data(client, "12345"))
    assert malformed.status_code == 400
    assert "24 цифры" in malformed.content.decode()
    wrong = digits[:6] + ("0" if digits[6] != "0" else "1") + digits[7:]
    for _attempt in range(5):
        answer = client.post("/open?lang=en", open_data(client, wrong))
        assert answer.status_code == 400
        assert "does not open a mailbox" in answer.content.decode()
        assert f'value="{wrong}"' in answer.content.decode(), "the code comes back as typed, to be corrected"
    assert LookupThrottle.objects.get().failures == 5
    assert open_box(client, digits)[1] is not None, "wrong codes are counted, and never stop the right one"


def test_global_lookup_budget(client: Client, hotline: dict[str, Any], settings: Any) -> None:
    """18 a minute is 3 in each ten-second window: 2 for anyone, 1 kept for mailboxes opened before (none here);
    the third waits for the next window."""
    settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE = 18
    window_start = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=1, microsecond=0)
    with time_machine.travel(window_start, tick=False) as clock:
        statuses = [client.post("/open", open_data(client, "1" * 24)).status_code for _ in range(5)]
        assert statuses == [400, 400, 429, 429, 429]
        clock.shift(timedelta(seconds=10))
        assert client.post("/open", open_data(client, "1" * 24)).status_code == 400


def test_replayed_and_forged_forms(client: Client, hotline: dict[str, Any]) -> None:
    token = form_token(client)
    first = client.post("/send?lang=en", {**request_data(), "form_token": token})
    assert first.status_code == 200
    again = client.post("/send?lang=en", {**request_data(), "form_token": token})
    assert again.status_code == 409
    assert "already sent once" in again.content.decode()
    assert STORY.split(";")[0] in again.content.decode()  # the text is still in the form
    forged = client.post("/send?lang=ru", {**request_data(), "form_token": token + "x"})
    assert forged.status_code == 400
    assert "Ничего не отправлено" in forged.content.decode()
    missing = client.post("/send?lang=en", request_data())
    assert missing.status_code == 400
    assert Request.objects.count() == 1
    assert FormNonce.objects.count() == 1


def test_bad_fields_store_nothing(client: Client, hotline: dict[str, Any]) -> None:
    token = form_token(client)
    cases = [
        {"story": ""},
        {"story": "x" * 20_001},
        {"phone": "call me maybe"},
        {"urgency": "yesterday"},
        {"country": "XX"},
        {"region": "RU-CE", "country": "DE"},
        {"email": "not-an-address"},
        {"name": "nul\x00byte"},
    ]
    for change in cases:
        response = client.post("/send?lang=ru", {**request_data(**change), "form_token": token})
        assert response.status_code == 400, change
        assert 'role="alert"' in response.content.decode()
    assert Request.objects.count() == 0


def test_images_are_stripped_and_disguised_files_refused(client: Client, hotline: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    html = SimpleUploadedFile("cat.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    refused, code, _ = submit(client, files=[html])
    assert refused.status_code == 400
    assert code is None
    assert "not accepted" in refused.content.decode()
    assert Request.objects.count() == 0

    response, code, _ = submit(client, files=[jpeg_with_gps()])
    assert response.status_code == 200
    assert code
    request = Request.objects.get()
    staff = _staff_client(hotline["coordinator"])
    detail = staff.get(f"/staff/intake/{request.reference}/").content.decode()
    link = re.search(r'href="(/staff/intake/[^"]+/files/[^"]+/)"', detail)
    assert link is not None
    download = staff.get(link.group(1))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    data = download.content
    for marker in (b"CANARY-CAMERA-MODEL", b"CANARY-SOFTWARE", b"CANARY-ICC", b"CANARY-COMMENT", b"Exif", b"GPS"):
        assert marker not in data
    from io import BytesIO

    with Image.open(BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "icc_profile" not in image.info
        assert "comment" not in image.info
        assert image.size == (64, 48)
    assert AuditEntry.objects.filter(action="intake.attachment_open").count() == 1


def test_oversized_upload_is_refused_with_a_message(client: Client, hotline: dict[str, Any], settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.FERRY_UPLOAD_MAX_FILE_BYTES = 1024
    big = SimpleUploadedFile("notes.txt", b"a" * 5000, content_type="text/plain")
    response, code, _ = submit(client, files=[big])
    assert response.status_code == 400
    assert code is None
    assert "too large" in response.content.decode()
    assert Request.objects.count() == 0


def test_no_time_finer_than_the_day_in_requester_rows(client: Client, hotline: dict[str, Any]) -> None:
    """Rows the person causes store dates; the only datetimes are the key set's midnight and check-ins."""
    with CaptureQueriesContext(connection) as queries:
        _response, _code, _ = submit(client, files=[jpeg_with_gps()])
    request = Request.objects.select_related("key_set").get()
    assert request.key_set.created_at.time().isoformat() == "00:00:00"
    for grant in Grant.objects.filter(key_set=request.key_set):
        assert grant.created_at.time().isoformat() == "00:00:00"
    from django.conf import settings as django_settings

    from ferry.intake.models import Attachment

    file_ids = [str(a.file_id) for a in Attachment.objects.filter(request=request)]
    stored = [django_settings.DATA_DIR / "files" / f[:2] / f"{f}.bin" for f in file_ids]
    assert stored
    # Its files wait in the database until the day ends (a file's change time, or its folder's, would say when
    # the person wrote), then go to disk in one batch, dated midnight.
    assert not any(path.exists() for path in stored)
    files.stored_files_flush(now=timezone.now() + timedelta(days=1))
    for path in stored:
        assert path.stat().st_mtime % 86400 == 0, "a stored file's time on disk is midnight"
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert not [sql for sql in inserts if "audit_auditentry" in sql], "a submission leaves no timestamped audit row"


def test_pages_answering_a_post_offer_no_language_link_that_would_lose_them(
    client: Client, hotline: dict[str, Any]
) -> None:
    """A language link is a GET of the same address: after a POST it would lose the code or the text. The receipt
    has no switch at all; the other pages switch by sending their own form again (tests/intake/test_pages.py)."""
    response, code, _ = submit(client)
    assert code is not None
    assert "?lang=" not in response.content.decode().split("<main")[0]
    bad = client.post("/open?lang=en", open_data(client, "1"))
    assert 'href="?lang=' not in bad.content.decode()
    assert 'href="/?lang=ru"' in bad.content.decode(), "the code page links to the front page, which loses nothing"
    assert 'href="?lang=' not in client.get("/").content.decode()


def test_before_set_up_a_request_is_refused_and_kept(client: Client) -> None:
    """No escrow key yet: nothing could be sealed safely, so the form comes back with the text."""
    response, code, _ = submit(client)
    assert response.status_code == 503
    assert code is None
    assert "not ready to receive messages" in response.content.decode()
    assert STORY.split(";")[0] in response.content.decode()
    assert Request.objects.count() == 0


def test_the_duress_code_mailbox_behaves_like_the_real_one(client: Client, hotline: dict[str, Any]) -> None:
    """P3, P4: a captor who makes the person send a test message and press "I am safe" under the duress code sees
    both come back, as under the real code, also after closing and opening the mailbox again; staff never see
    the decoy message, and a copy of the database holds it only sealed."""
    _response, code, duress_code = submit(client, duress=True)
    assert code is not None
    assert duress_code is not None

    def use(typed: str) -> str:
        browser = Client()
        _page, box = open_box(browser, typed)
        assert box is not None
        sent = box_post(browser, "/box/send?lang=en", box, {"text": "Is this really you? Answer me."})
        assert "Your message was sent." in sent.content.decode()
        safe = box_post(browser, "/box/safe?lang=en", box).content.decode()
        box_post(browser, "/box/close", box)
        reopened, _box = open_box(Client(), typed)
        assert "Is this really you? Answer me." in reopened.content.decode()
        return re.sub(r'name="box" value="[^"]+"|\d{1,2} \w+, \d\d:\d\d', "", safe)

    real, duress = use(code), use(duress_code)
    assert "Last time you told us" in duress
    assert duress == real
    # Staff see the real message, never the decoy one; the decoy is stored only sealed
    assert Message.objects.count() == 1
    mailbox = Mailbox.objects.get()
    assert mailbox.decoy is not None
    assert b"Is this really you" not in bytes(mailbox.decoy)
    assert CheckIn.objects.filter(kind="duress").exists()


def test_a_page_sent_again_from_history_opens_nothing(
    client: Client, hotline: dict[str, Any], crypto_work: list[tuple[object, ...]]
) -> None:
    """After a quick exit, the browser's history still holds the posted code form and mailbox pages. Sent again,
    the code form tries nothing (its token was single-use) and a mailbox page finds its token retired."""
    _response, code, _ = submit(client)
    assert code is not None
    browser = Client()
    form = open_data(browser, code)
    first = browser.post("/open?lang=en", form)
    box = BOX_RE.search(first.content.decode())
    assert box is not None
    safe = browser.post("/box/safe?lang=en", {"box": box.group(1)})
    assert "We know you are safe now" in safe.content.decode()
    sessions = MailboxSession.objects.count()
    crypto_work.clear()
    # When the code form is sent again, as the Back button would
    replayed = browser.post("/open?lang=en", form)
    # Then nothing is looked up or opened, and the page says only that it expired
    assert crypto_work == []
    assert MailboxSession.objects.count() == sessions
    assert "This page has expired" in replayed.content.decode()
    assert "Your mailbox" not in replayed.content.decode()
    # And a mailbox page sent again with its old token is closed: every page answered with a new one
    again = browser.post("/box/safe?lang=en", {"box": box.group(1)})
    assert "Your mailbox was closed" in again.content.decode()
    assert CheckIn.objects.filter(kind="safe").count() == 1


def test_two_pages_sent_at_once_with_one_token_act_once(client: Client, hotline: dict[str, Any]) -> None:
    """Two posts carrying the same mailbox token (a double click, a replay racing the page): only one is done."""
    _response, code, _ = submit(client)
    assert code is not None
    _page, box = open_box(Client(), code)
    assert box is not None
    first, second = mailbox.mailbox_state(box), mailbox.mailbox_state(box)
    assert mailbox.mailbox_rotate(first)
    with pytest.raises(errors.MailboxClosed):
        mailbox.mailbox_rotate(second)
