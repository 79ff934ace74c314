"""Signing in through the real pages, with real one-time codes."""

from __future__ import annotations

from base64 import b32decode
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import time_machine
from django.test import Client
from django_otp.oath import totp

_SLOT = [0]


def code_for(secret: str) -> str:
    return f"{totp(b32decode(secret)):06d}"


@contextmanager
def next_window() -> Iterator[None]:
    """Move to a later 30-second code window than any used before, because a code is never accepted twice."""
    _SLOT[0] += 1
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=31 * _SLOT[0]), tick=True):
        yield


def login(client: Client, email: str, passphrase: str, totp_secret: str) -> Client:
    """Both login steps, in a fresh code window."""
    with next_window():
        first = client.post("/staff/accounts/login/", {"email": email, "passphrase": passphrase})
        assert first.status_code == 302, first.content.decode()[:2000]
        second = client.post("/staff/accounts/login/code/", {"code": code_for(totp_secret)})
        assert second.status_code == 302, second.content.decode()[:2000]
        assert second["Location"] == "/staff/"
    return client
