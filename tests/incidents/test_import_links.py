"""Victims' case links on import: a case column checked through the case door in the dry run (a missing case and
one the importer cannot open read the same), and a link sealed, granted and audited as the victim page does."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from ferry.audit.models import AuditEntry
from ferry.cases.models import Case
from ferry.cases.services import pipeline_ensure
from ferry.incidents import imports
from ferry.incidents.exports import export_incidents
from ferry.incidents.import_models import ImportJob
from ferry.incidents.import_rows import field_label
from ferry.incidents.models import Incident, Victim
from ferry.incidents.selectors import Filters
from ferry.intake.models import Request
from ferry.vault import keysets
from ferry.vault.keyring import NoGrant
from ferry.vault.models import Grant
from tests.cases.conftest import staff_client
from tests.incidents.import_helpers import (
    HEADINGS,
    MAPPING,
    csv_bytes,
    documentation_setup,
    good_row,
    ring_of,
    started,
    steps,
)
from tests.intake.helpers import submit

pytestmark = pytest.mark.django_db
State = ImportJob.State
LINK_HEADINGS = [*HEADINGS, "Case"]
LINK_MAPPING = {**MAPPING, "case_reference": len(HEADINGS)}


def _accepted(coordinator: Any, caseworker: Any) -> Case:
    """A request sent through the intake and accepted into a case carried by the caseworker."""
    submit(Client())
    request = Request.objects.filter(status=Request.Status.NEW).get()
    answer = staff_client(coordinator).post(
        f"/staff/intake/{request.reference}/accept/", {"version": request.version, "caseworker": caseworker.staff.pk}
    )
    assert answer.status_code == 302
    return Case.objects.get(request=request)


@pytest.fixture
def linked(make_staff: Any) -> dict[str, Any]:
    """The documentation team; a caseworker carrying two cases; an importer who documents and coordinates, and so
    holds the case that arrived after they joined ("theirs") but not the one that arrived before ("closed")."""
    pipeline_ensure()
    team = documentation_setup(make_staff)
    team["coordinator"] = make_staff("coordinator")
    team["caseworker"] = make_staff("caseworker")
    team["closed"] = _accepted(team["coordinator"], team["caseworker"])
    team["importer"] = make_staff("documenter", "coordinator")
    team["theirs"] = _accepted(team["coordinator"], team["caseworker"])
    assert ring_of(team["importer"]).can_open(team["theirs"].key_set)
    assert not ring_of(team["importer"]).can_open(team["closed"].key_set)
    return team


def _row(n: int, case: str) -> list[str]:
    return [*good_row(n), case]


def _checked(person: Any, rows: list[list[str]]) -> ImportJob:
    job = started(person, csv_bytes(rows, headings=LINK_HEADINGS))
    imports.import_map(ring=ring_of(person), staff=person.staff, job_id=job.pk, mapping=dict(LINK_MAPPING))
    return steps(person, job, until=[State.CHECKED])


def _report(person: Any, job: ImportJob) -> list[tuple[int, str, str]]:
    opened, key = imports.access_import(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    return [(r.row, r.field, r.message) for r in imports.import_report(opened, key)]


def test_the_dry_run_refuses_a_missing_case_and_a_forbidden_one_alike(linked: dict[str, Any]) -> None:
    # Given an importer who holds one case, and a sheet naming it, an unknown case and a case they cannot open
    person = linked["importer"]
    rows = [
        _row(1, linked["theirs"].reference.lower()),
        _row(2, "ZZZ-ZZZ"),
        _row(3, linked["closed"].reference),
    ]
    # When it is dry-run
    job = _checked(person, rows)
    # Then the unknown and the forbidden case are refused with the same words; their own passes
    assert _report(person, job) == [(3, "case_reference", "No such case."), (4, "case_reference", "No such case.")]
    assert job.rows_failed == 2
    # And the refused look at a case that exists is audited by the case door, with nothing of it in the entry
    denied = AuditEntry.objects.filter(action="case.denied", actor_id=person.staff.pk)
    assert list(denied.values_list("object_type", "object_id")) == [("case", linked["closed"].pk.hex)]
    # And a documenter who is no caseworker or coordinator may link to no case at all, not even an existing one
    other = _checked(linked["documenter"], [_row(1, linked["theirs"].reference)])
    assert _report(linked["documenter"], other) == [(2, "case_reference", "No such case.")]
    assert not Incident.objects.exists()


def test_an_imported_link_is_sealed_granted_and_audited_as_the_victim_page_does(linked: dict[str, Any]) -> None:
    # Given a dry run that passed, one row linked to the importer's case and one not
    person, caseworker, case = linked["importer"], linked["caseworker"], linked["theirs"]
    job = _checked(person, [_row(1, case.reference), _row(2, "")])
    assert job.rows_failed == 0
    # When it is imported
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    steps(person, job, until=[State.IMPORTED])
    victims = {keysets.open_json(ring_of(person).key_for(v.key_set), v, "identity")["name"]: v for v in _all()}
    linked_victim, unlinked_victim = victims["name 1"], victims["name 2"]
    # Then the link is sealed (the reference is nowhere in clear) and opens to the case's reference
    assert case.reference.encode() not in bytes(linked_victim.case_link)
    assert keysets.open_field(ring_of(person).key_for(linked_victim.key_set), linked_victim, "case_link") == (
        case.reference
    )
    # And the linked victim's own key set is sealed to the case's caseworker too, besides the team and escrow,
    # as victim_add seals it; the unlinked victim's and the incident's are not
    team = {person.staff.pk, linked["documenter"].staff.pk, linked["documenter2"].staff.pk}
    assert _holders(linked_victim.key_set_id) == team | {caseworker.staff.pk}
    assert _holders(unlinked_victim.key_set_id) == team
    assert Grant.objects.filter(key_set_id=linked_victim.key_set_id, escrow__isnull=False).count() == 1
    # And the caseworker opens that victim and nothing else of the incident, nor the other victim
    caseworker_ring = ring_of(caseworker)
    with pytest.raises(NoGrant):
        caseworker_ring.key_for(linked_victim.incident.key_set)
    assert not caseworker_ring.can_open(unlinked_victim.key_set)
    # And the case's page leads the caseworker to the victim (found by opening the sealed links they hold)
    client = staff_client(caseworker)
    case_page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert f"/staff/documentation/victims/{linked_victim.pk}/" in case_page
    assert str(unlinked_victim.pk) not in case_page
    page = client.get(f"/staff/documentation/victims/{linked_victim.pk}/").content.decode()
    assert "name 1" in page
    assert case.reference in page
    # And the link is audited per victim, as the page audits it, naming only the record
    created = AuditEntry.objects.filter(action="victim.create", actor_id=person.staff.pk)
    assert list(created.values_list("object_type", "object_id")) == [("victim", linked_victim.pk.hex)]
    # And the team's export carries the link for whoever holds the victim, so that a sheet exported and
    # imported again keeps it
    made = export_incidents(ring=ring_of(person), staff=person.staff, filters=Filters(), kind="csv")
    exported = list(csv.reader(io.StringIO(made.content.decode("utf-8-sig"))))
    column = exported[0].index(str(field_label("case_reference")))
    assert sorted(row[column] for row in exported[1:]) == ["", case.reference]


def test_a_case_the_importer_lost_since_the_dry_run_stops_the_import(linked: dict[str, Any]) -> None:
    # Given a dry run that passed with a link to the importer's case
    person = linked["importer"]
    job = _checked(person, [_row(1, linked["theirs"].reference)])
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    # When the importer loses the case before the import runs (their grant to it removed)
    Grant.objects.filter(key_set_id=linked["theirs"].key_set_id, staff_id=person.staff.pk).delete()
    job = steps(person, job, until=[State.STOPPED])
    # Then nothing was written, and the report says why, in the same words
    assert not Incident.objects.exists()
    assert _report(person, job) == [(2, "case_reference", "No such case.")]


def _all() -> list[Victim]:
    return list(Victim.objects.select_related("key_set", "incident__key_set"))


def _holders(key_set_id: int) -> set[int]:
    return set(Grant.objects.filter(key_set_id=key_set_id, staff__isnull=False).values_list("staff_id", flat=True))
