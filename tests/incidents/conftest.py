from __future__ import annotations

from typing import Any

import pytest

from ferry.incidents.models import Term
from ferry.incidents.seed import vocabularies_seed
from ferry.incidents.services import IncidentData, PartialDate
from ferry.vault.keyring import KeyRing


@pytest.fixture
def docs(make_staff: Any) -> dict[str, Any]:
    """An administrator (who holds the escrow key), two documenters, an analyst and a caseworker."""
    # The migration seeds the vocabularies; a transactional test earlier on the same worker empties them.
    vocabularies_seed(Term)
    return {
        "admin": make_staff("administrator"),
        "doc": make_staff("documenter"),
        "doc2": make_staff("documenter"),
        "analyst": make_staff("analyst"),
        "caseworker": make_staff("caseworker"),
    }


def ring_of(person: Any) -> KeyRing:
    return KeyRing(staff_id=person.staff.pk, private_key=person.private_key)


def incident_data(**overrides: Any) -> IncidentData:
    fields: dict[str, Any] = {
        "title": "Detention at the regiment base",
        "start": PartialDate(2017, 2, 20, "day"),
        "end": PartialDate(2017, 3, 5, "day"),
        "country": "RU",
        "subdivision": "RU-CE",
        "place_precision": 2,
        "victim_count": 2,
        "narrative": "Held for two weeks and beaten.",
        "location": "the old base by the river",
        "notes": "Interview by phone.",
    }
    fields.update(overrides)
    return IncidentData(**fields)


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary=vocabulary, code=code)
