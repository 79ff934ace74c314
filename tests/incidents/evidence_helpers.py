"""Fixtures and helpers of the evidence tests: a documentation desk made through the real services."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ferry.incidents import evidence as services
from ferry.incidents.models import CustodyEvent, Evidence, Incident
from ferry.incidents.services import IncidentData, PartialDate, incident_create
from ferry.vault import files
from ferry.vault.keyring import KeyRing
from tests.intake.helpers import jpeg_with_gps

PHOTO_NAME = "Фото из подвала.jpg"


def ring_of(person: Any) -> KeyRing:
    return KeyRing(staff_id=person.staff.pk, private_key=person.private_key)


def who(person: Any) -> dict[str, Any]:
    return {"ring": ring_of(person), "staff": person.staff}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def photo_bytes() -> bytes:
    return jpeg_with_gps().getvalue()


def stored_path(evidence: Evidence) -> str:
    """Where storage keeps the item's ciphertext (as a seizure would find it)."""
    name = str(evidence.file_id)
    return files.storage().path(f"{name[:2]}/{name}.bin")


REFRESH = '<meta http-equiv="refresh"'
VERIFY_URL = "/staff/documentation/evidence/verify/"


def actions(evidence: Evidence) -> list[str]:
    """The item's chain of custody, its actions in order."""
    return list(CustodyEvent.objects.filter(evidence=evidence).order_by("sequence").values_list("action", flat=True))


def stored_damage(evidence: Evidence, at: int) -> None:
    """Flip one byte of the item's stored (sealed) file, as a failing disk or a tamperer would."""
    path = Path(stored_path(evidence))
    stored = bytearray(path.read_bytes())
    stored[at] ^= 0xFF
    path.write_bytes(bytes(stored))


def drive(client: Client, *, most: int = 50) -> tuple[int, str]:
    """Start a verification run as the client's viewer and follow its page as a browser without scripts would
    (each opening one chunk, while the page asks to refresh); how many openings it took, and the last page."""
    started = client.post(VERIFY_URL)
    assert started.status_code == 302
    for opened in range(1, most + 1):
        page = client.get(started["Location"]).content.decode()
        if REFRESH not in page:
            return opened, page
    raise AssertionError("the run did not finish")


@dataclass
class Desk:
    author: Any
    colleague: Any  # a second documenter: every non-restricted incident is sealed to the documentation team
    analyst: Any  # holds no grant unless an incident is shared with them
    incident: Incident

    def incident_new(self, *, restricted: bool = False, title: str = "Detention at the unit's base") -> Incident:
        day = timezone.localdate() - timedelta(days=400)
        incident, _key = incident_create(
            staff=self.author.staff,
            data=IncidentData(
                title=title, start=PartialDate(year=day.year, month=day.month, day=day.day), country="RU"
            ),
            restricted=restricted,
        )
        return incident

    def add(self, content: bytes | None = None, *, incident: Incident | None = None, **data: Any) -> Evidence:
        fields = {
            "name": PHOTO_NAME,
            "content_type": "image/jpeg",
            "kind": Evidence.Kind.PHOTO,
            "how": "Sent by the survivor's friend over Signal",
            "description": "The cell",
        } | data
        return services.evidence_add(
            **who(self.author),
            reference=(incident or self.incident).reference,
            content=photo_bytes() if content is None else content,
            data=services.EvidenceData(**fields),
        )


@pytest.fixture
def desk(make_staff: Any) -> Desk:
    make_staff("administrator")  # the first administrator holds the escrow key every key set is sealed to
    author, colleague, analyst = make_staff("documenter"), make_staff("documenter"), make_staff("analyst")
    made = Desk(author=author, colleague=colleague, analyst=analyst, incident=None)  # type: ignore[arg-type]
    made.incident = made.incident_new()
    return made
