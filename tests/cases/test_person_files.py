"""Every file a person sends reaches the hotline and the case: those sent with later messages too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ferry.intake.models import Attachment, Request
from tests.cases.conftest import staff_client
from tests.intake.helpers import box_post, open_box, submit

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r'href="(/staff/intake/[^"]+/files/[^"]+/)"')


def _send_later_file(client: Client, code: str, body: bytes) -> None:
    _page, token = open_box(client, code)
    assert token is not None
    later = SimpleUploadedFile("later.txt", body, content_type="text/plain")
    answer = box_post(client, "/box/send?lang=en", token, {"text": "One more thing.", "files": [later]})
    assert answer.status_code == 200


def test_a_file_sent_with_a_later_message_can_be_opened_by_the_hotline(client: Client, team: dict[str, Any]) -> None:
    # Given a request sent with one file, and a second file sent later from the mailbox
    first = SimpleUploadedFile("first.txt", b"FIRST-FILE-BODY", content_type="text/plain")
    _response, code, _ = submit(client, files=[first])
    assert code is not None
    _send_later_file(client, code, b"LATER-FILE-BODY")
    request = Request.objects.get()
    assert Attachment.objects.filter(request=request).count() == 2

    # When a coordinator opens the request
    coordinator = staff_client(team["coordinator"])
    page = coordinator.get(f"/staff/intake/{request.reference}/").content.decode()

    # Then both files are links, and each opens
    links = LINK_RE.findall(page)
    assert len(set(links)) == 2
    bodies = {coordinator.get(link).content for link in set(links)}
    assert bodies == {b"FIRST-FILE-BODY", b"LATER-FILE-BODY"}


def test_a_file_sent_after_acceptance_can_be_opened_from_the_case(
    client: Client, team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    # Given a case, and a file the person sends from their mailbox after it was accepted
    case = accepted["case"]
    _send_later_file(client, accepted["code"], b"CASE-FILE-BODY")

    # When the caseworker opens the case
    worker = staff_client(team["caseworker"])
    page = worker.get(f"/staff/cases/{case.reference}/").content.decode()

    # Then the file is a link on the case's page, and it opens for the caseworker
    links = LINK_RE.findall(page)
    assert len(links) == 1
    assert worker.get(links[0]).content == b"CASE-FILE-BODY"
