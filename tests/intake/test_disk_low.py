"""A nearly full disk refuses new requests and messages cleanly: the person's text stays on the page, in their
language, and nothing half-written is stored (FERRY_DISK_MARGIN_MB set huge stands for a disk nearly full)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ferry.intake.models import Message, Request
from tests.intake.helpers import STORY, box_post, open_box, submit

pytestmark = pytest.mark.django_db

REFUSED = "We cannot take new messages at the moment"


def test_a_request_is_refused_with_its_text_kept(client: Client, hotline: dict[str, Any], settings) -> None:
    settings.FERRY_DISK_MARGIN_MB = 10**9
    response, code, _duress = submit(client)
    assert response.status_code == 503
    assert code is None
    page = response.content.decode().replace("&#x27;", "'")
    assert REFUSED in page
    assert STORY in page, "the story comes back in the form"
    assert not Request.objects.exists()

    # Once there is room again, the same text goes through.
    settings.FERRY_DISK_MARGIN_MB = 0
    response, code, _duress = submit(client)
    assert code is not None
    assert Request.objects.count() == 1


def test_a_mailbox_message_is_refused_with_its_text_kept(client: Client, hotline: dict[str, Any], settings) -> None:
    _response, code, _duress = submit(client)
    assert code is not None
    _page, box = open_box(client, code)
    assert box is not None
    settings.FERRY_DISK_MARGIN_MB = 10**9
    sent = box_post(client, "/box/send?lang=en", box, {"text": "Still here, hiding at the station."})
    assert sent.status_code == 503
    assert REFUSED in sent.content.decode()
    assert "Still here, hiding at the station." in sent.content.decode()
    assert not Message.objects.filter(sender="requester").exists()
