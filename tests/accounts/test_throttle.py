"""Login throttles keep e-mails (and staff ids, for the second factor; no client address at all) only as keyed
hashes, under a key that is replaced every day and never goes into a backup: with a backup's contents, an
e-mail address cannot be matched to its hash."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from ferry.accounts import throttle
from ferry.accounts.models import LoginThrottle
from ferry.core.backup.services import backup_make

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "203.0.113.7"
EMAIL = "someone@example.org"


def _hash(key: bytes, kind: str, value: str) -> str:
    return f"{kind}:{hmac.new(key, f'{kind}:{value}'.encode(), hashlib.sha256).hexdigest()[:40]}"


def test_a_backup_cannot_match_an_address_to_its_throttle_hash(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "ferry_files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    # Given failed logins from an address, counted in the throttle table,
    throttle.throttle_failure(throttle.throttle_keys(email=EMAIL, client=ADDRESS))
    stored = set(LoginThrottle.objects.values_list("key", flat=True))
    assert throttle.throttle_keys(email=EMAIL, client=ADDRESS)[0] in stored

    # When a backup is made,
    backup_make(tmp_path / "backup")

    # Then neither the hashes' key nor the secret key is in it: the key the hashes were once made with
    # (secret_key) matches nothing, and the day's key is nowhere in what was backed up.
    key_file = (Path(settings.DATA_DIR) / throttle.KEY_FILE).read_text()
    day_key = key_file.partition(":")[2]
    assert _hash(settings.SECRET_KEY.encode(), "account", EMAIL) not in stored
    assert _hash(bytes.fromhex(day_key), "account", EMAIL) in stored  # the scan below looks for the right thing
    # No client address is kept at all, under any key
    assert not any(key.startswith("client:") for key in stored)
    for path in (tmp_path / "backup").rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert day_key.encode() not in blob
            assert bytes.fromhex(day_key) not in blob
            assert settings.SECRET_KEY.encode() not in blob


def test_the_key_is_replaced_every_day() -> None:
    today = throttle.throttle_keys(email="someone@example.org", client=ADDRESS)
    assert throttle.throttle_keys(email="someone@example.org", client=ADDRESS) == today
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        assert set(throttle.throttle_keys(email="someone@example.org", client=ADDRESS)).isdisjoint(today)
