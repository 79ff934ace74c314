"""Incidents, victims and acts written straight into the database for counting tests: the statistics read
clear fields only, so the sealed fields stay empty (one key set for all, as no test opens them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from ferry.incidents.models import Act, Incident, Term, Victim
from ferry.vault import keysets
from ferry.vault.models import KeySet


@dataclass(frozen=True)
class Spec:
    start: date
    subdivision: str = "RU-CE"
    acts: tuple[str, ...] = ("arbitrary-detention",)
    precision: str = "day"
    verification: str = "verified"
    country: str = "RU"


def incidents_make(specs: list[Spec], *, staff_id: int) -> list[Incident]:
    key_set, _key = keysets.keyset_create(purpose=KeySet.Purpose.DOCUMENTATION, grant_to=[staff_id])
    terms = {t.code: t for t in Term.objects.filter(vocabulary="act_type")}
    now = timezone.now()
    made = []
    for n, spec in enumerate(specs):
        incident = Incident.objects.create(
            key_set=key_set,
            reference=f"T{Incident.objects.count() + n:06d}",
            country=spec.country,
            subdivision=spec.subdivision,
            start_date=spec.start,
            start_precision=spec.precision,
            verification=spec.verification,
            created_at=now,
            updated_at=now,
        )
        victim = Victim.objects.create(id=uuid.uuid4(), key_set=key_set, incident=incident, created_at=now)
        Act.objects.bulk_create(
            Act(
                key_set=key_set,
                incident=incident,
                victim=victim,
                act_type=terms[code],
                start_date=spec.start,
                start_precision=spec.precision,
                created_at=now,
            )
            for code in spec.acts
        )
        made.append(incident)
    return made
