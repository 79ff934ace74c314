"""The intake stays open under a flood (issue 14, P4 and P6): nobody is turned away for volume, and the hotline
can find a genuine request among hundreds of fake ones."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from ferry.accounts.models import StaffAlert
from ferry.core import imaging
from ferry.intake import limits, submission
from ferry.intake.models import CheckIn, LookupThrottle, Mailbox, Message, Request
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE
from tests.intake.helpers import (
    STORY,
    box_post,
    form_token,
    open_box,
    open_data,
    png_of_zeros,
    request_data,
    submit,
)

pytestmark = pytest.mark.django_db


def _client(person: Any) -> Client:
    return login(Client(), person.staff.email, TEST_PASSPHRASE, person.totp_secret)


def _junk(count: int, *, urgency: str = "now", story: str = "junk") -> None:
    """Fake requests, as a flooding script sends them (straight to the service: the form is tested elsewhere)."""
    for n in range(count):
        submission.submission_create(
            data=submission.Submission(
                name="",
                phone="",
                handle="",
                email="",
                country="",
                region="",
                place="",
                story=f"{story} {n}",
                needs="",
                urgency=urgency,
            ),
            uploads=[],
            want_duress=False,
            nonce=f"junk-{story}-{n}",
        )


def test_a_genuine_request_after_the_hourly_cap_is_kept_sealed_and_marked_overflow(
    client: Client, hotline: dict[str, Any], settings: Any
) -> None:
    # Given a flood that filled the hourly cap (296 fake requests in 31 s; here the cap is 5)
    settings.FERRY_INTAKE_HOURLY_CAP = 5
    _junk(8)
    # When a real person sends their request
    response, code, _duress = submit(client, story=STORY, urgency="later")
    # Then it is received, not turned away: the person gets their code, the request is stored sealed
    assert response.status_code == 200
    assert code is not None
    genuine = Request.objects.get(urgency="later")
    assert STORY.encode() not in bytes(genuine.details)
    # And it is marked as overflow, as are the fake ones past the cap, so the hotline sees the flood
    assert Request.objects.filter(overflow=False).count() == 5
    assert Request.objects.filter(overflow=True).count() == 4
    assert genuine.overflow
    page = _client(hotline["coordinator"]).get("/staff/intake/").content.decode()
    assert "This hour: 9 received, 4 of them over the limit of 5" in page
    assert "Today: 9 received, 4 of them over the limit" in page
    assert page.count('class="badge overflow"') == 4


def test_the_hotline_finds_a_not_urgent_request_behind_200_fake_urgent_ones(
    client: Client, hotline: dict[str, Any]
) -> None:
    # Given 210 fake "in danger now" requests, and one genuine "not immediately" request
    _junk(210)
    submit(client, story=STORY, urgency="later")
    genuine = Request.objects.get(urgency="later")
    coordinator = _client(hotline["coordinator"])
    # When the coordinator opens the queue, the first page holds 200 rows and says there is more
    first = coordinator.get("/staff/intake/").content.decode()
    assert genuine.reference not in first
    assert "Page 1 of 2" in first
    assert "?status=active&amp;sort=urgent&amp;page=2" in first
    # Then the next page, a sort by least urgent, and a search each find it
    assert genuine.reference in coordinator.get("/staff/intake/?page=2").content.decode()
    by_least = coordinator.get("/staff/intake/?sort=least").content.decode()
    # Before every fake one on the page (which 200 of the 210 are shown is up to their random references)
    first_junk = re.search(r"junk \d+", by_least)
    assert first_junk is not None
    assert by_least.index(genuine.reference) < first_junk.start()
    found = coordinator.get("/staff/intake/", {"q": "café on lenina"}).content.decode()
    assert genuine.reference in found
    assert "junk 1" not in found
    assert genuine.reference in coordinator.get("/staff/intake/", {"q": genuine.reference.lower()}).content.decode()


def test_the_hotline_dismisses_fake_requests_in_bulk(client: Client, hotline: dict[str, Any]) -> None:
    # Given fake requests and a genuine one
    _junk(30)
    submit(client, story=STORY, urgency="later")
    genuine = Request.objects.get(urgency="later")
    coordinator = _client(hotline["coordinator"])
    page = coordinator.get("/staff/intake/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    references = re.findall(r'name="pick" value="([^"]+)"', page)
    assert len(references) == 31
    # When the coordinator ticks the 30 fake ones and dismisses them as spam in one go
    picked = [r for r in references if r != genuine.reference]
    answer = coordinator.post("/staff/intake/dismiss/", {"pick": picked, "csrfmiddlewaretoken": token.group(1)})
    # Then they are declined as spam, and only the genuine request still waits
    assert answer.status_code == 302
    assert Request.objects.filter(status="declined", decline_reason="spam").count() == 30
    assert list(Request.objects.filter(status="new").values_list("reference", flat=True)) == [genuine.reference]
    # And a caseworker cannot do it
    caseworker = _client(hotline["caseworker"])
    assert caseworker.post("/staff/intake/dismiss/", {"pick": [genuine.reference]}).status_code == 403


# --- receipt codes under a flood of guesses ----------------------------------------------------------------


def _window_start() -> datetime:
    """The start of a ten-second look-up window an hour from now (tests travel relative to now)."""
    return (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=1, microsecond=0)


def _guess(client: Client) -> int:
    return client.post(
        "/open?lang=en", open_data(client, "".join(secrets.choice("0123456789") for _ in range(24)))
    ).status_code


def test_a_flood_of_wrong_codes_does_not_lock_out_a_mailbox_opened_before(
    client: Client, hotline: dict[str, Any], settings: Any
) -> None:
    # Given 60 look-ups a minute (ten a window: five for anyone, five kept for mailboxes opened before),
    settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE = 60
    settings.FERRY_INTAKE_HOURLY_CAP = 2
    # a person who has opened their mailbox before, a person who never has, and a flooder's own mailbox that
    # came in past the hourly cap (the flooder holds its code, and has opened it)
    _response, known, _ = submit(client)
    _response, fresh, _ = submit(client)
    _response, flooders, _ = submit(client)
    assert Request.objects.filter(overflow=True).count() == 1
    start = _window_start()
    with time_machine.travel(start - timedelta(minutes=5), tick=False):
        assert open_box(Client(), known)[1] is not None
        assert open_box(Client(), flooders)[1] is not None
    with time_machine.travel(start, tick=False) as clock:
        # When a flood of random codes takes every look-up it can (three threads made every open answer 429)
        flood = [_guess(client) for _ in range(12)]
        assert flood == [400] * 5 + [429] * 7
        # Then the person who opened their mailbox before still opens it, and can say "I am safe"
        response, box = open_box(Client(), known)
        assert response.status_code == 200
        assert box is not None
        # But a mailbox never opened waits like everyone else, and the flooder's own mailbox gets no reserve
        assert open_box(Client(), fresh)[0].status_code == 429
        assert open_box(Client(), flooders)[0].status_code == 429
        # And each mailbox's share of the reserve is its own: six tries an hour, whoever types them
        clock.shift(timedelta(seconds=10))
        opened = []
        for _window in range(limits.RESERVE_PER_LOCATOR_HOUR):
            assert [_guess(client) for _ in range(5)] == [400] * 5
            opened.append(open_box(Client(), known)[0].status_code)
            clock.shift(timedelta(seconds=10))
        assert opened == [200] * (limits.RESERVE_PER_LOCATOR_HOUR - 1) + [429]
    # And the hour is marked as one in which the intake refused look-ups, for the check-in sweep
    assert limits.lookups_refused_since(start - timedelta(minutes=1))
    assert not limits.lookups_refused_since(start + timedelta(hours=1))


def test_typos_never_stop_the_right_code_and_the_duress_code_has_its_own_locator(
    client: Client, hotline: dict[str, Any]
) -> None:
    # Given a person with a receipt code and a duress code
    _response, code, duress = submit(client, duress=True)
    digits, duress_digits = code.replace(" ", ""), duress.replace(" ", "")
    # Then the duress code does not share what finds the mailbox (they shared their first six digits)
    mailbox = Mailbox.objects.get()
    assert digits[:6] == mailbox.locator
    assert duress_digits[:6] == mailbox.duress_locator != mailbox.locator
    # When the person makes five typos, and then five more, a few seconds apart (waits used to double up to a day)
    wrong = digits[:6] + ("0" if digits[6] != "0" else "1") + digits[7:]
    with time_machine.travel(_window_start(), tick=False) as clock:
        for _attempt in range(10):
            assert client.post("/open?lang=en", open_data(client, wrong)).status_code == 400
            clock.shift(timedelta(seconds=5))
        # Then the right code still opens the mailbox: only the wrong ones were counted
        response, box = open_box(client, digits)
        assert response.status_code == 200
        assert box is not None
        assert LookupThrottle.objects.get(locator=digits[:6]).failures == 10
        # And a captor holding the duress code can only spend tries on the duress code's locator
        for _attempt in range(10):
            client.post("/open?lang=en", open_data(client, duress_digits[:6] + wrong[6:]))
            clock.shift(timedelta(seconds=5))
        assert open_box(client, digits)[0].status_code == 200
    # The duress code still opens its ordinary-looking mailbox (and raises its alert), the real code's secret
    # digits under the duress locator open nothing
    assert open_box(Client(), duress_digits)[1] is not None
    assert CheckIn.objects.filter(kind="duress").count() == 1
    assert client.post("/open?lang=en", open_data(client, duress_digits[:6] + digits[6:])).status_code == 400


def test_a_duress_code_given_before_the_change_still_opens_the_decoy(client: Client, hotline: dict[str, Any]) -> None:
    """Duress codes handed out before they had a locator of their own share the receipt code's first six digits."""
    _response, _code, duress = submit(client, duress=True)
    mailbox = Mailbox.objects.get()
    old_style = mailbox.locator + duress.replace(" ", "")[6:]
    _page, box = open_box(client, old_style)
    assert box is not None
    assert CheckIn.objects.filter(kind="duress").count() == 1


# --- what the form refuses, it refuses before opening any file, and keeps what was typed ----------------------


def test_eleven_files_are_refused_with_the_text_kept(client: Client, hotline: dict[str, Any]) -> None:
    # Given a person who picked eleven files (a browser allows it; the form takes five)
    files = [SimpleUploadedFile(f"note{n}.txt", b"note", content_type="text/plain") for n in range(11)]
    # When they send the form
    response, code, _ = submit(client, files=files)
    # Then it comes back with their text and says why, rather than a bare 400 page
    assert response.status_code == 400
    assert code is None
    page = response.content.decode()
    assert STORY.split(";")[0] in page
    assert "Send at most 5 files at a time." in page
    assert Request.objects.count() == 0
    # And so it does for far more
    many = [SimpleUploadedFile(f"n{n}.txt", b"n", content_type="text/plain") for n in range(60)]
    assert STORY.split(";")[0] in submit(client, files=many)[0].content.decode()
    # And so does the mailbox's message form
    _response, code, _ = submit(client)
    _page, box = open_box(client, code)
    files = [SimpleUploadedFile(f"note{n}.txt", b"note", content_type="text/plain") for n in range(11)]
    sent = box_post(client, "/box/send?lang=en", box, {"text": "Still here, still hiding", "files": files})
    assert sent.status_code == 400
    assert "Still here, still hiding" in sent.content.decode()
    assert "Send at most 5 files at a time." in sent.content.decode()


def test_a_decompression_bomb_is_refused_before_or_in_a_bounded_decoder(
    client: Client, hotline: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[int] = []
    real_clean = imaging.image_clean

    def counted(data: bytes, limits: Any = None) -> Any:
        decoded.append(len(data))
        return real_clean(data, limits)

    monkeypatch.setattr(imaging, "image_clean", counted)
    # Given a 7,070 x 7,070 PNG (49 M pixels) that is a few hundred KB on the wire
    bomb = png_of_zeros(7070, 7070)
    assert len(bomb.getvalue()) < 400_000
    # When it comes with a forged form token, it is not even opened
    data = {**request_data(), "form_token": form_token(client) + "x", "files": [bomb]}
    forged = client.post("/send?lang=en", data)
    assert forged.status_code == 400
    assert "not sent from this site" in forged.content.decode()
    assert decoded == []
    # When it comes with a good token, it is refused with a clear message and the text is kept
    bomb.seek(0)
    response, code, _ = submit(client, files=[bomb])
    assert response.status_code == 400
    assert code is None
    assert "too many pixels" in response.content.decode()
    assert STORY.split(";")[0] in response.content.decode()
    assert len(decoded) == 1
    assert Request.objects.count() == 0


def test_the_picture_decoder_runs_in_a_child_whose_memory_limit_holds() -> None:
    # Given a picture within the pixel budget (6000 x 4000 with transparency: 96 MB of pixels)
    picture = png_of_zeros(6000, 4000, alpha=True).getvalue()
    assert imaging.MAX_PIXELS >= 6000 * 4000
    # When the child decoding it may use 200 MB only, it is stopped and the picture refused
    with pytest.raises(imaging.ImageRefused) as refused:
        imaging.image_clean(picture, imaging.Limits(memory_bytes=200 * 1024 * 1024))
    assert refused.value.reason == "limits"
    # And with the production limit it is decoded and comes back clean, the same size
    clean, content_type = imaging.image_clean(picture)
    assert content_type == "image/png"
    with Image.open(BytesIO(clean)) as image:
        assert image.size == (6000, 4000)
    # And a child that takes longer than its time is stopped too
    with pytest.raises(imaging.ImageRefused) as slow:
        imaging.image_clean(picture, imaging.Limits(seconds=0.05))
    assert slow.value.reason == "limits"


# --- storage allowances ---------------------------------------------------------------------------------------


def _text_file(kb: int, name: str = "notes.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"a" * (kb * 1024), content_type="text/plain")


def test_one_receipt_code_cannot_fill_the_disk(client: Client, hotline: dict[str, Any], settings: Any) -> None:
    """The mailbox took unlimited sends of 25 MB each (400 MB in 2.6 s). Here a mailbox may hold 1 MB of files."""
    settings.FERRY_INTAKE_MAILBOX_MB = 1
    _response, code, _ = submit(client)
    _page, box = open_box(client, code)
    # Given a mailbox that already holds 600 KB of files
    first = box_post(client, "/box/send?lang=en", box, {"text": "first", "files": [_text_file(600)]})
    assert first.status_code == 200
    # When another 600 KB is sent
    second = box_post(client, "/box/send?lang=en", box, {"text": "Second message, keep me", "files": [_text_file(600)]})
    # Then it is refused with a clear message, and the text is still in the form
    assert second.status_code == 507
    page = second.content.decode()
    assert "Your mailbox is full" in page
    assert "Second message, keep me" in page
    assert Message.objects.filter(sender="requester").count() == 1
    # And a message without files still goes through
    third = box_post(client, "/box/send?lang=en", box, {"text": "Second message, keep me"})
    assert third.status_code == 200
    assert Message.objects.filter(sender="requester").count() == 2


def test_the_whole_intake_has_an_allowance_and_the_hotline_is_told_before_it_is_spent(
    client: Client, hotline: dict[str, Any], settings: Any
) -> None:
    # Given an intake that may hold 2 MB of files, the hotline told past half of it
    settings.FERRY_INTAKE_STORAGE_MB = 2
    settings.FERRY_INTAKE_STORAGE_WARN_PERCENT = 50
    assert submit(client, files=[_text_file(600)])[0].status_code == 200
    assert not StaffAlert.objects.filter(kind="intake_storage").exists()
    # When the files sent pass half of it, the coordinators are told (once each, until they acknowledge)
    assert submit(client, files=[_text_file(600)])[0].status_code == 200
    told = set(StaffAlert.objects.filter(kind="intake_storage").values_list("recipient_id", flat=True))
    assert told == {hotline["coordinator"].staff.pk, hotline["coordinator2"].staff.pk}
    assert submit(client, files=[_text_file(100)])[0].status_code == 200
    assert StaffAlert.objects.filter(kind="intake_storage").count() == 2
    # And when a request's files would go past the allowance, it is refused with its text kept
    response, code, _ = submit(client, files=[_text_file(900)])
    assert response.status_code == 507
    assert code is None
    assert "cannot take more files right now" in response.content.decode()
    assert STORY.split(";")[0] in response.content.decode()
    assert Request.objects.count() == 3
    # While a request without files is still received, and the hotline sees the refusal counted
    assert submit(client)[0].status_code == 200
    queue = _client(hotline["coordinator"]).get("/staff/intake/").content.decode()
    assert "Refused today for lack of storage: 1." in queue
