"""The clear index of terms behind the list's filters (ferry.incidents.term_index): a filter on a term finds
exactly the incidents whose acts or involvements carry it or a term below it, in the list's own order, however
the records were written (the pages, the import, an edit of the dates), and a rebuild from the records writes
the same index that was kept along the way."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ferry.incidents import imports, selectors, services, term_index
from ferry.incidents.import_models import ImportJob
from ferry.incidents.models import Act, Incident, IncidentPerpetrator, IncidentTerm, Involvement, Term, Vocabulary
from ferry.incidents.services import ActData, InvolvementData, PartialDate, PerpetratorData, VictimData
from ferry.incidents.vocabulary import term_add
from tests.incidents.conftest import incident_data, ring_of
from tests.incidents.import_helpers import csv_bytes, good_row, mapped_and_checked, steps

pytestmark = pytest.mark.django_db


def _truth(filters: selectors.Filters) -> list[Any]:
    """The incidents a filter must find, worked out from the acts and involvements themselves, newest first."""
    wanted = set(Incident.objects.values_list("pk", flat=True))
    if filters.act_type:
        below = selectors.descendants(filters.act_type)
        wanted &= set(Act.objects.filter(act_type_id__in=below).values_list("incident_id", flat=True))
    if filters.method:
        below = selectors.descendants(filters.method)
        wanted &= set(Act.objects.filter(method_id__in=below).values_list("incident_id", flat=True))
    if filters.perpetrator:
        wanted &= set(
            Involvement.objects.filter(perpetrator_id=filters.perpetrator).values_list("act__incident_id", flat=True)
        )
    if filters.perpetrator_type:
        below = selectors.descendants(filters.perpetrator_type)
        wanted &= set(
            Involvement.objects.filter(perpetrator_type_id__in=below).values_list("act__incident_id", flat=True)
        )
    ordered = Incident.objects.order_by("-start_date", "-created_at").values_list("pk", flat=True)
    return [pk for pk in ordered if pk in wanted]


def _involved(rng: random.Random, kinds: dict[str, list[Term]], units: list[Any]) -> InvolvementData:
    """Now a unit of the register, now only a kind of perpetrator."""
    if rng.random() < 0.5:
        return InvolvementData(perpetrator_id=rng.choice(units).pk)
    return InvolvementData(perpetrator_type=rng.choice(kinds[Vocabulary.PERPETRATOR_TYPE]).pk)


def _listed(ring: Any, filters: selectors.Filters) -> list[Any]:
    found: list[Any] = []
    page = 1
    while True:
        listed = selectors.incident_list(ring=ring, filters=selectors.Filters(**{**vars(filters), "page": page}))
        found += [row.incident.pk for row in listed.rows]
        if not listed.has_next:
            return found
        page += 1


def _index() -> set[tuple[Any, ...]]:
    terms = IncidentTerm.objects.values_list("incident_id", "term_id", "start_date", "created_at")
    named = IncidentPerpetrator.objects.values_list("incident_id", "perpetrator_id", "start_date", "created_at")
    return {("term", *row) for row in terms} | {("perpetrator", *row) for row in named}


def test_every_term_filter_finds_exactly_what_the_records_carry_in_the_lists_order(
    docs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a vocabulary three levels deep (a term added under "threat of honour killing")
    admin, staff, ring = docs["admin"].staff, docs["doc"].staff, ring_of(docs["doc"])
    threat = Term.objects.get(vocabulary=Vocabulary.ACT_TYPE, code="honour-killing-threat")
    by_phone = term_add(
        staff=admin,
        vocabulary=Vocabulary.ACT_TYPE,
        code="threat-by-phone",
        label_en="By phone",
        label_ru="По телефону",
        parent_id=threat.pk,
    )
    kinds = {v: list(Term.objects.filter(vocabulary=v)) for v in Vocabulary.values}
    # and a register of four units, named in some involvements
    units = [
        services.perpetrator_create(
            staff=staff, data=PerpetratorData(kind="unit", perpetrator_type="police", name_original=f"Unit {n}")
        )
        for n in range(4)
    ]
    # And incidents recorded through the pages with acts of every depth, methods and perpetrator types,
    # some involvements added after their act, and one incident's dates moved afterwards
    rng = random.Random(11)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)  # several pages, so the order across pages is checked too
    made = []
    for n in range(14):
        year = 2010 + rng.randrange(10)
        incident, _key = services.incident_create(
            staff=staff, data=incident_data(start=PartialDate(year, 1 + n % 12, 1 + n), end=None)
        )
        made.append(incident)
        victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData())
        for _ in range(rng.randrange(3)):
            act_type = by_phone if rng.random() < 0.2 else rng.choice(kinds[Vocabulary.ACT_TYPE])
            involved = tuple(_involved(rng, kinds, units) for _ in range(rng.randrange(2)))
            act = services.act_add(
                ring=ring,
                staff=staff,
                reference=incident.reference,
                data=ActData(
                    victim_id=victim.pk,
                    act_type=act_type.pk,
                    method=None if rng.random() < 0.3 else rng.choice(kinds[Vocabulary.METHOD]).pk,
                    start=PartialDate(year, 1, 1, "year"),
                    involvements=involved,
                ),
            )
            if rng.random() < 0.5:
                services.involvement_add(
                    ring=ring,
                    staff=staff,
                    reference=incident.reference,
                    act_id=act.pk,
                    data=_involved(rng, kinds, units),
                )
    moved = made[3]
    moved.refresh_from_db()
    services.incident_update(
        ring=ring,
        staff=staff,
        reference=moved.reference,
        version=moved.version,
        data=incident_data(start=PartialDate(2024, 6, 1, "day"), end=None),
    )

    # When every term of the three vocabularies filters the list alone, and act types with perpetrator types
    # together; Then each finds what the records carry, in the unfiltered list's order, across pages
    checked = 0
    for vocabulary, name in (
        (Vocabulary.ACT_TYPE, "act_type"),
        (Vocabulary.METHOD, "method"),
        (Vocabulary.PERPETRATOR_TYPE, "perpetrator_type"),
    ):
        for kind in kinds[vocabulary] + ([by_phone] if vocabulary == Vocabulary.ACT_TYPE else []):
            filters = selectors.Filters(**{name: kind.pk})
            assert _listed(ring, filters) == _truth(filters), (vocabulary, kind.code)
            checked += bool(_truth(filters))
    for unit in units:
        filters = selectors.Filters(perpetrator=unit.pk)
        assert _listed(ring, filters) == _truth(filters)
        checked += bool(_truth(filters))
        filters = selectors.Filters(perpetrator=unit.pk, act_type=kinds[Vocabulary.ACT_TYPE][0].pk)
        assert _listed(ring, filters) == _truth(filters)
    for act_type in kinds[Vocabulary.ACT_TYPE][:6]:
        for kind in kinds[Vocabulary.PERPETRATOR_TYPE][:6]:
            filters = selectors.Filters(act_type=act_type.pk, perpetrator_type=kind.pk)
            assert _listed(ring, filters) == _truth(filters)
    # (the data is rich enough for the comparison to mean something)
    assert checked > 20
    honour = Term.objects.get(vocabulary=Vocabulary.ACT_TYPE, code="honour-killing")
    assert set(_truth(selectors.Filters(act_type=by_phone.pk))) <= set(_truth(selectors.Filters(act_type=honour.pk)))
    assert _truth(selectors.Filters(act_type=by_phone.pk))
    assert _listed(ring, selectors.Filters())[0] == moved.pk

    # And a rebuild from the records writes the very index that was kept along the way
    kept = _index()
    assert term_index.rebuild() == len(kept)
    assert _index() == kept


def test_an_import_indexes_what_it_writes_and_its_undo_removes_it(docs: dict[str, Any]) -> None:
    # Given an import of three rows, one of them an act of a narrower type
    person = docs["doc"]
    staff, ring = person.staff, ring_of(person)
    rows = [good_row(1), good_row(2), good_row(3)]
    rows[2][8] = "honour-killing-attempt"
    job = mapped_and_checked(person, csv_bytes(rows))
    imports.import_run(ring=ring, staff=staff, job_id=job.pk)
    job = steps(person, job, until=[ImportJob.State.IMPORTED])

    # Then the list's filters find them as the records say, and the index is what a rebuild writes
    honour = Term.objects.get(vocabulary=Vocabulary.ACT_TYPE, code="honour-killing")
    torture = Term.objects.get(vocabulary=Vocabulary.ACT_TYPE, code="torture")
    assert len(_listed(ring, selectors.Filters(act_type=torture.pk))) == 2
    assert _listed(ring, selectors.Filters(act_type=honour.pk)) == _truth(selectors.Filters(act_type=honour.pk))
    assert len(_truth(selectors.Filters(act_type=honour.pk))) == 1
    kept = _index()
    term_index.rebuild()
    assert _index() == kept

    # When the import is undone, Then nothing of it is left in the index
    imports.import_undo(ring=ring, staff=staff, job_id=job.pk)
    steps(person, job, until=[ImportJob.State.UNDONE])
    assert not IncidentTerm.objects.exists()


def _dates_moved_behind_the_door(monkeypatch: pytest.MonkeyPatch, person: Any, start: PartialDate) -> None:
    """Two requests interleaved: the incident is opened at the door (before the service's transaction), then a
    colleague's edit of its dates commits, then the service writes."""
    door = services.access_incident

    def door_then_dates_moved(**kwargs: Any) -> Any:
        opened = door(**kwargs)
        monkeypatch.setattr(services, "access_incident", door)
        fresh = Incident.objects.get(pk=opened.record.pk)
        services.incident_update(
            ring=ring_of(person),
            staff=person.staff,
            reference=fresh.reference,
            version=fresh.version,
            data=incident_data(start=start, end=None),
        )
        return opened

    monkeypatch.setattr(services, "access_incident", door_then_dates_moved)


def test_what_is_indexed_takes_the_dates_as_they_are_when_written(
    docs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an incident with a victim, and a unit in the register
    person = docs["doc"]
    ring, staff = ring_of(person), person.staff
    incident, _key = services.incident_create(staff=staff, data=incident_data())
    victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData())
    police = Term.objects.get(vocabulary=Vocabulary.PERPETRATOR_TYPE, code="police")
    unit = services.perpetrator_create(
        staff=staff, data=PerpetratorData(kind="unit", perpetrator_type=police.pk, name_original="Полк ППС")
    )
    # When a colleague moves its dates while an act is being added (after its door, before its transaction)
    _dates_moved_behind_the_door(monkeypatch, person, PartialDate(2015, 6, 1, "day"))
    act = services.act_add(
        ring=ring,
        staff=staff,
        reference=incident.reference,
        data=ActData(victim_id=victim.pk, act_type="torture", start=PartialDate(2017, 2, 20, "day")),
    )
    # Then what the act indexed carries the incident's dates as they are now, not as the door read them
    incident.refresh_from_db()
    assert incident.start_date.isoformat() == "2015-06-01"
    assert {row[3] for row in _index()} == {incident.start_date}
    # And the same when the dates move again while an involvement is being added to the act
    _dates_moved_behind_the_door(monkeypatch, person, PartialDate(2014, 3, 1, "day"))
    services.involvement_add(
        ring=ring,
        staff=staff,
        reference=incident.reference,
        act_id=act.pk,
        data=InvolvementData(perpetrator_id=unit.pk),
    )
    # (everything indexed, as a rebuild would write it)
    incident.refresh_from_db()
    assert incident.start_date.isoformat() == "2014-03-01"
    kept = _index()
    assert {row[3] for row in kept} == {incident.start_date}
    assert term_index.rebuild() == len(kept)
    assert _index() == kept


def test_incidents_alike_in_date_and_creation_are_paged_in_one_total_order(
    docs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given incidents alike in start date and creation time (as an import's chunk of year-only dates writes them),
    # each with an act by the same unit
    person = docs["doc"]
    ring, staff = ring_of(person), person.staff
    police = Term.objects.get(vocabulary=Vocabulary.PERPETRATOR_TYPE, code="police")
    unit = services.perpetrator_create(
        staff=staff, data=PerpetratorData(kind="unit", perpetrator_type=police.pk, name_original="Полк ППС")
    )
    monkeypatch.setattr(selectors, "PAGE_SIZE", 7)
    for _ in range(24):
        incident, _key = services.incident_create(staff=staff, data=incident_data())
        victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData())
        services.act_add(
            ring=ring,
            staff=staff,
            reference=incident.reference,
            data=ActData(
                victim_id=victim.pk,
                act_type="torture",
                start=PartialDate(2017, None, None, "year"),
                involvements=(InvolvementData(perpetrator_id=unit.pk),),
            ),
        )
    created = Incident.objects.order_by("created_at").values_list("created_at", flat=True).first()
    Incident.objects.update(created_at=created)
    IncidentTerm.objects.update(created_at=created)
    IncidentPerpetrator.objects.update(created_at=created)
    torture = Term.objects.get(vocabulary=Vocabulary.ACT_TYPE, code="torture")
    # When the list is paged through, unfiltered, by act type, by the unit, and by region
    for filters in (
        selectors.Filters(),
        selectors.Filters(act_type=torture.pk),
        selectors.Filters(perpetrator=unit.pk),
        selectors.Filters(country="RU", subdivision="RU-CE"),
    ):
        # Then every incident comes once, in one order that breaks the ties by the incident's id
        assert _listed(ring, filters) == sorted(Incident.objects.values_list("pk", flat=True), reverse=True), filters
