"""`manage.py documentation_reindex`: --check finds where the clear index and counts drifted from the records,
changing nothing; without it, they are rebuilt from the records and match again. Numbers only in its output."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ferry.incidents import services
from ferry.incidents.models import ActCount, IncidentPerpetrator, IncidentTerm, Term, Vocabulary
from ferry.incidents.services import ActData, InvolvementData, PartialDate, PerpetratorData, VictimData
from tests.incidents.conftest import incident_data, ring_of

pytestmark = pytest.mark.django_db


def _check() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("documentation_reindex", "--check", stdout=out)
    except CommandError as refused:
        return False, out.getvalue() + str(refused)
    return True, out.getvalue()


def _state() -> tuple[set[Any], set[Any], set[Any]]:
    return (
        set(IncidentTerm.objects.values_list("incident_id", "term_id", "start_date", "created_at")),
        set(IncidentPerpetrator.objects.values_list("incident_id", "perpetrator_id", "start_date", "created_at")),
        set(ActCount.objects.values_list("month", "country", "subdivision", "verification", "act_type_id", "acts")),
    )


def test_a_drift_is_found_without_changing_anything_then_repaired(docs: dict[str, Any]) -> None:
    # Given incidents with acts and involvements written through the services
    person = docs["doc"]
    ring, staff = ring_of(person), person.staff
    police = Term.objects.get(vocabulary=Vocabulary.PERPETRATOR_TYPE, code="police")
    unit = services.perpetrator_create(
        staff=staff, data=PerpetratorData(kind="unit", perpetrator_type=police.pk, name_original="Полк ППС")
    )
    for month in (2, 5):
        incident, _key = services.incident_create(staff=staff, data=incident_data(title="Secret title"))
        victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData(name="V"))
        services.act_add(
            ring=ring,
            staff=staff,
            reference=incident.reference,
            data=ActData(
                victim_id=victim.pk,
                act_type="torture",
                start=PartialDate(2018, month, 3),
                involvements=(InvolvementData(perpetrator_id=unit.pk),),
            ),
        )
    # Then the check finds the kept tables exact
    exact, said = _check()
    assert exact, said
    kept = _state()

    # When they drift (an index row under a wrong date, a register entry lost, a count off by one)
    IncidentTerm.objects.filter(pk=IncidentTerm.objects.order_by("pk").values("pk")[:1]).update(
        start_date=date(2001, 1, 1)
    )
    IncidentPerpetrator.objects.filter(pk=IncidentPerpetrator.objects.order_by("pk").values("pk")[:1]).delete()
    ActCount.objects.filter(pk=ActCount.objects.order_by("pk").values("pk")[:1]).update(acts=7)
    drifted = _state()
    # Then the check says where, by numbers only, and changes nothing
    exact, said = _check()
    assert not exact
    assert f"incidents_incidentterm: {len(kept[0])} rows kept, 1 stale, 1 missing" in said
    assert "incidents_incidentperpetrator: 1 rows kept, 0 stale, 1 missing" in said
    assert "incidents_actcount: 2 rows kept, 1 stale, 1 missing" in said
    assert "Secret title" not in said
    assert "Полк" not in said
    assert _state() == drifted

    # And the rebuild writes them afresh from the records: exactly what was kept before the drift
    call_command("documentation_reindex", stdout=StringIO())
    assert _state() == kept
    assert _check()[0]
