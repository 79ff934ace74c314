"""Documentation: recording an incident after an interview, bad input, verification by a second documenter,
compartments (restricted incidents, analysts, victims linked to cases), the register, vocabularies, search."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ferry.audit.models import AuditEntry
from ferry.cases.models import Case
from ferry.core.errors import Conflict, NotFound
from ferry.incidents import selectors, services, vocabulary
from ferry.incidents.models import Act, Incident, Involvement, Perpetrator, Term, Verification, Victim, Vocabulary
from ferry.incidents.services import (
    ActData,
    DocumentationError,
    InvolvementData,
    PartialDate,
    PerpetratorData,
    VictimData,
)
from ferry.vault.keyring import NoGrant
from tests.cases.conftest import staff_client
from tests.incidents.conftest import incident_data, ring_of, term

pytestmark = pytest.mark.django_db


def _interview(**overrides: Any) -> dict[str, Any]:
    form = {
        "title": "Taken at a checkpoint",
        "start_year": "2017",
        "start_month": "2",
        "start_day": "20",
        "start_precision": "day",
        "end_year": "2017",
        "end_month": "3",
        "end_day": "",
        "end_precision": "month",
        "country": "RU",
        "subdivision": "RU-CE",
        "place_precision": "2",
        "victim_count": "1",
        "narrative": "He was stopped at the checkpoint and taken to the base.",
        "location": "checkpoint on the road north",
        "notes": "",
        "name": "Adam",
        "age": "24",
        "sexual_orientation": "gay",
        "gender_identity": "",
        "gender_expression": "",
        "sex_characteristics": "",
        "case_reference": "",
        "act_type": str(term(Vocabulary.ACT_TYPE, "arbitrary-detention").pk),
        "method": str(term(Vocabulary.METHOD, "electric-shocks").pk),
        "perpetrator_type": str(term(Vocabulary.PERPETRATOR_TYPE, "police").pk),
    }
    form.update(overrides)
    return form


def test_a_documenter_records_an_interview_in_one_screen(docs: dict[str, Any]) -> None:
    documenter = staff_client(docs["doc"])
    # Given the one-screen form after a phone interview
    answer = documenter.post("/staff/documentation/new/", _interview())
    # Then the incident, its first victim and the act exist, all at once
    assert answer.status_code == 302, answer.content.decode()[:2000]
    incident = Incident.objects.get()
    assert answer["Location"] == f"/staff/documentation/{incident.reference}/"
    victim = Victim.objects.get(incident=incident)
    act = Act.objects.get(incident=incident)
    assert act.victim == victim
    assert act.act_type.code == "arbitrary-detention"
    assert act.method.code == "electric-shocks"
    assert Involvement.objects.get(act=act).perpetrator_type.code == "police"
    # Clear for statistics: dates with precision, subdivision; sealed: the title and what was said
    assert (incident.start_precision, incident.end_precision, incident.subdivision) == ("day", "month", "RU-CE")
    page = documenter.get(answer["Location"]).content.decode()
    for text in ("Taken at a checkpoint", "taken to the base", "checkpoint on the road north", "Adam", "gay"):
        assert text in page
    # The whole team of documenters can open a non-restricted incident; the analyst cannot
    assert staff_client(docs["doc2"]).get(answer["Location"]).status_code == 200
    assert staff_client(docs["analyst"]).get(answer["Location"]).status_code == 404
    assert AuditEntry.objects.filter(action="incident.open").count() == 2


@pytest.mark.parametrize(
    ("change", "message_en", "message_ru"),
    [
        (
            {"end_year": "2016", "end_month": "1", "end_precision": "month"},
            "The end date is before the start date.",
            "Дата окончания раньше даты начала.",
        ),
        ({"start_day": ""}, "marked exact to the day", "отмечена как точная до дня"),
        ({"start_month": "2", "start_day": "30"}, "The start date does not exist.", "Дата начала не существует."),
        ({"act_type": "999999"}, "Select a valid choice", "Выберите корректный вариант"),
        ({"subdivision": "UA-30"}, "Choose a region of the chosen country.", "Выберите регион выбранной страны."),
    ],
)
def test_impossible_input_is_refused_in_the_persons_language_and_nothing_is_saved(
    docs: dict[str, Any], change: dict[str, str], message_en: str, message_ru: str
) -> None:
    for language, message in (("en", message_en), ("ru", message_ru)):
        documenter = staff_client(docs["doc"])
        documenter.cookies["django_language"] = language
        answer = documenter.post("/staff/documentation/new/", _interview(**change), HTTP_ACCEPT_LANGUAGE=language)
        assert answer.status_code == 400
        page = answer.content.decode()
        assert message in page, page[:3000]
        # What was typed is still there
        assert "taken to the base" in page
    assert Incident.objects.count() == 0
    assert Victim.objects.count() == 0
    assert Act.objects.count() == 0


def test_verified_only_by_a_second_documenter_and_both_are_recorded(docs: dict[str, Any]) -> None:
    incident, _key = services.incident_create(staff=docs["doc"].staff, data=incident_data())
    # The author cannot verify their own incident
    with pytest.raises(DocumentationError, match="second documenter"):
        services.incident_verify(
            ring=ring_of(docs["doc"]),
            staff=docs["doc"].staff,
            reference=incident.reference,
            version=1,
            status="verified",
        )
    # A second documenter can, through the page
    second = staff_client(docs["doc2"])
    answer = second.post(
        f"/staff/documentation/{incident.reference}/verify/", {"version": incident.version, "status": "verified"}
    )
    assert answer.status_code == 302
    incident.refresh_from_db()
    assert incident.verification == Verification.VERIFIED
    assert (incident.author, incident.verified_by) == (docs["doc"].staff, docs["doc2"].staff)
    assert incident.verified_at is not None
    assert AuditEntry.objects.filter(action="incident.verification_verified", actor_id=docs["doc2"].staff.pk).exists()
    # A stale page changes nothing
    with pytest.raises(Conflict):
        services.incident_verify(
            ring=ring_of(docs["doc2"]),
            staff=docs["doc2"].staff,
            reference=incident.reference,
            version=1,
            status="disputed",
        )


def test_a_restricted_incident_opens_only_for_the_people_named(docs: dict[str, Any]) -> None:
    incident, _key = services.incident_create(
        staff=docs["doc"].staff, data=incident_data(), restricted=True, share_with=[docs["analyst"].staff.pk]
    )
    url = f"/staff/documentation/{incident.reference}/"
    missing = "/staff/documentation/ZZZ-ZZZ/"
    # Another documenter is refused exactly like for an incident that does not exist, and it is audited
    other = staff_client(docs["doc2"])
    refused, invented = other.get(url), other.get(missing)
    assert refused.status_code == invented.status_code == 404
    assert AuditEntry.objects.filter(action="incident.denied", actor_id=docs["doc2"].staff.pk).count() == 1
    # The analyst it was shared with reads it; the list shows others nothing but its clear classification
    assert "Held for two weeks" in staff_client(docs["analyst"]).get(url).content.decode()
    listing = other.get("/staff/documentation/").content.decode()
    assert incident.reference in listing
    assert "Detention at the regiment base" not in listing
    assert "not shared with you" in listing


def test_an_analyst_opening_sealed_content_is_refused_and_audited(docs: dict[str, Any]) -> None:
    incident, _key = services.incident_create(staff=docs["doc"].staff, data=incident_data())
    analyst = staff_client(docs["analyst"])
    # The list (clear classification) is theirs; the sealed page is not
    assert analyst.get("/staff/documentation/").status_code == 200
    assert analyst.get(f"/staff/documentation/{incident.reference}/").status_code == 404
    assert AuditEntry.objects.filter(action="incident.denied", actor_id=docs["analyst"].staff.pk).exists()
    # Nor can an analyst write, whatever they name
    assert analyst.post(f"/staff/documentation/{incident.reference}/victim/", {"name": "x"}).status_code == 403
    # And a documenter refused a restricted incident's write is audited too (the door runs outside the write)
    restricted, _key = services.incident_create(staff=docs["doc"].staff, data=incident_data(), restricted=True)
    with pytest.raises(NotFound):
        services.victim_add(
            ring=ring_of(docs["doc2"]), staff=docs["doc2"].staff, reference=restricted.reference, data=VictimData()
        )
    assert AuditEntry.objects.filter(action="incident.denied", actor_id=docs["doc2"].staff.pk).count() == 1


def test_a_caseworker_reads_the_victim_linked_to_their_case_and_nothing_else(
    docs: dict[str, Any], accepted_case: Case
) -> None:
    incident, _key = services.incident_create(staff=docs["doc"].staff, data=incident_data())
    ring = ring_of(docs["doc"])
    other = services.victim_add(
        ring=ring, staff=docs["doc"].staff, reference=incident.reference, data=VictimData(name="Other person")
    )
    linked = services.victim_add(
        ring=ring_of(docs["linker"]),
        staff=docs["linker"].staff,
        reference=incident.reference,
        data=VictimData(name="Linked person", case_reference=accepted_case.reference.lower()),
    )
    caseworker = staff_client(docs["caseworker"])
    # The case's page leads to the victim record (found by opening the sealed links the caseworker holds)
    case_page = caseworker.get(f"/staff/cases/{accepted_case.reference}/").content.decode()
    assert f"/staff/documentation/victims/{linked.pk}/" in case_page
    assert str(other.pk) not in case_page
    page = caseworker.get(f"/staff/documentation/victims/{linked.pk}/").content.decode()
    assert "Linked person" in page
    assert accepted_case.reference in page
    # Not the other victim, not the incident
    assert caseworker.get(f"/staff/documentation/victims/{other.pk}/").status_code == 404
    caseworker_ring = ring_of(docs["caseworker"])
    with pytest.raises(NoGrant):
        caseworker_ring.key_for(incident.key_set)
    # Nothing in clear joins the victim to the case: the link is sealed
    assert accepted_case.reference.encode() not in bytes(Victim.objects.get(pk=linked.pk).case_link)
    # An unknown case is refused, nothing saved; and so, in the same words, is a case that exists but that the
    # documenter does not hold (the case door answers both alike: a documenter cannot learn which cases exist)
    refusals = []
    for reference in ("ZZZ-ZZZ", accepted_case.reference):
        with pytest.raises(DocumentationError) as refused:
            services.victim_add(
                ring=ring,
                staff=docs["doc"].staff,
                reference=incident.reference,
                data=VictimData(case_reference=reference),
            )
        refusals.append(str(refused.value))
    assert refusals == ["No such case.", "No such case."]
    assert Victim.objects.filter(incident=incident).count() == 2


def test_the_register_refuses_duplicates_and_private_individuals(docs: dict[str, Any]) -> None:
    staff = docs["doc"].staff
    police = term(Vocabulary.PERPETRATOR_TYPE, "police")
    services.perpetrator_create(
        staff=staff,
        data=PerpetratorData(
            kind="unit", perpetrator_type=police.pk, name_original="Полк ППС", name_translit="Polk PPS"
        ),
    )
    with pytest.raises(DocumentationError, match="already in the register"):
        services.perpetrator_create(
            staff=staff, data=PerpetratorData(kind="unit", perpetrator_type=police.pk, name_original="  полк   ппс ")
        )
    relatives = term(Vocabulary.PERPETRATOR_TYPE, "relatives")
    with pytest.raises(DocumentationError, match="Private individuals"):
        services.perpetrator_create(
            staff=staff, data=PerpetratorData(kind="person", perpetrator_type=relatives.pk, name_original="Uncle")
        )
    # Through the page, the same refusals are form errors with what was typed kept
    answer = staff_client(docs["doc"]).post(
        "/staff/documentation/perpetrators/",
        {
            "kind": "unit",
            "perpetrator_type": police.pk,
            "name_original": "ПОЛК ППС",
            "name_translit": "",
            "country": "",
        },
    )
    assert answer.status_code == 400
    assert "already in the register" in answer.content.decode()
    assert Perpetrator.objects.count() == 1


def test_a_perpetrator_page_shows_every_linked_act_on_a_timeline(docs: dict[str, Any]) -> None:
    staff, ring = docs["doc"].staff, ring_of(docs["doc"])
    unit = services.perpetrator_create(
        staff=staff,
        data=PerpetratorData(
            kind="unit", perpetrator_type=term(Vocabulary.PERPETRATOR_TYPE, "police").pk, name_original="Regiment"
        ),
    )
    references = []
    for year in (2017, 2019):
        incident, _key = services.incident_create(
            staff=staff, data=incident_data(start=PartialDate(year, None, None, "year"), end=None)
        )
        ring.forget()
        victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData(name="V"))
        services.act_add(
            ring=ring,
            staff=staff,
            reference=incident.reference,
            data=ActData(
                victim_id=victim.pk,
                act_type="torture",
                start=PartialDate(year, None, None, "year"),
                involvements=(InvolvementData(perpetrator_id=unit.pk, degree="direct", detail="the commander"),),
            ),
        )
        references.append(incident.reference)
    by_unit = selectors.incident_list(ring=ring, filters=selectors.Filters(perpetrator=unit.pk))
    assert sorted(r.incident.reference for r in by_unit.rows) == sorted(references)
    page = staff_client(docs["analyst"]).get(f"/staff/documentation/perpetrators/{unit.pk}/").content.decode()
    assert "2 acts linked" in page
    assert all(reference in page for reference in references)
    # The involvement's detail is sealed: not on the clear page
    assert "the commander" not in page


def test_vocabularies_are_kept_by_administrators_and_a_code_in_use_never_goes(docs: dict[str, Any]) -> None:
    admin = staff_client(docs["admin"])
    answer = admin.post(
        "/staff/documentation/vocabularies/act_type/",
        {
            "code": "digital-surveillance",
            "label_en": "Digital surveillance",
            "label_ru": "Цифровая слежка",
            "parent": "",
        },
    )
    assert answer.status_code == 302
    added = Term.objects.get(code="digital-surveillance")
    # A code is stable: the same code twice is refused
    again = admin.post(
        "/staff/documentation/vocabularies/act_type/",
        {"code": "digital-surveillance", "label_en": "x", "label_ru": "x", "parent": ""},
    )
    assert again.status_code == 400
    assert "already used" in again.content.decode()
    torture = term(Vocabulary.ACT_TYPE, "torture")
    incident, _key = services.incident_create(staff=docs["doc"].staff, data=incident_data())
    ring = ring_of(docs["doc"])
    ring.forget()
    victim = services.victim_add(ring=ring, staff=docs["doc"].staff, reference=incident.reference, data=VictimData())
    services.act_add(
        ring=ring,
        staff=docs["doc"].staff,
        reference=incident.reference,
        data=ActData(victim_id=victim.pk, act_type=torture.pk, start=PartialDate(2017, 2, 20)),
    )
    # In use: delete refused, deprecate allowed; a deprecated code is no longer accepted
    admin.post(f"/staff/documentation/vocabularies/act_type/{torture.pk}/", {"delete": "1"})
    assert Term.objects.filter(pk=torture.pk).exists()
    admin.post(f"/staff/documentation/vocabularies/act_type/{torture.pk}/", {"deprecate": "1"})
    with pytest.raises(DocumentationError, match="Unknown code"):
        services.act_add(
            ring=ring,
            staff=docs["doc"].staff,
            reference=incident.reference,
            data=ActData(victim_id=victim.pk, act_type="torture", start=PartialDate(2017, 2, 20)),
        )
    assert torture.pk not in dict(vocabulary.choices(Vocabulary.ACT_TYPE))
    # Renamed in both languages; unused: deleted
    admin.post(
        f"/staff/documentation/vocabularies/act_type/{added.pk}/",
        {"rename": "1", "label_en": "Surveillance", "label_ru": "Слежка"},
    )
    assert Term.objects.get(pk=added.pk).label_ru == "Слежка"
    admin.post(f"/staff/documentation/vocabularies/act_type/{added.pk}/", {"delete": "1"})
    assert not Term.objects.filter(pk=added.pk).exists()
    # Documenters do not keep vocabularies
    assert staff_client(docs["doc"]).get("/staff/documentation/vocabularies/act_type/").status_code == 403


def test_search_reads_only_what_the_reader_can_open(docs: dict[str, Any]) -> None:
    services.incident_create(staff=docs["doc"].staff, data=incident_data(narrative="They mentioned the lake house."))
    services.incident_create(staff=docs["doc"].staff, data=incident_data(narrative="Nothing here."), restricted=True)
    found = selectors.incident_list(ring=ring_of(docs["doc2"]), filters=selectors.Filters(query="LAKE house"))
    assert [row.title for row in found.rows] == ["Detention at the regiment base"]
    # The analyst without a grant finds nothing by words, though the classification lists both
    assert selectors.incident_list(ring=ring_of(docs["analyst"]), filters=selectors.Filters(query="lake")).rows == []
    assert len(selectors.incident_list(ring=ring_of(docs["analyst"]), filters=selectors.Filters()).rows) == 2
    # Search is sent by POST: the words never reach an address
    answer = staff_client(docs["doc2"]).post("/staff/documentation/", {"q": "lake"})
    assert "Detention at the regiment base" in answer.content.decode()


def test_filters_on_clear_fields_include_narrower_terms(docs: dict[str, Any]) -> None:
    staff, ring = docs["doc"].staff, ring_of(docs["doc"])
    incident, _key = services.incident_create(staff=staff, data=incident_data())
    ring.forget()
    victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData())
    services.act_add(
        ring=ring,
        staff=staff,
        reference=incident.reference,
        data=ActData(victim_id=victim.pk, act_type="honour-killing-threat", start=PartialDate(2017, 2, 20)),
    )
    broad = term(Vocabulary.ACT_TYPE, "honour-killing")
    assert [
        r.incident for r in selectors.incident_list(ring=ring, filters=selectors.Filters(act_type=broad.pk)).rows
    ] == [incident]
    assert selectors.incident_list(ring=ring, filters=selectors.Filters(subdivision="RU-DA")).rows == []
    counts = selectors.counts_by_month_subdivision_act_type()
    assert [(c["subdivision"], c["act_type_code"], c["n"]) for c in counts] == [("RU-CE", "honour-killing-threat", 1)]


def test_removing_someone_re_keys_the_incident_and_its_victims(docs: dict[str, Any]) -> None:
    staff, ring = docs["doc"].staff, ring_of(docs["doc"])
    incident, _key = services.incident_create(staff=staff, data=incident_data())
    ring.forget()
    victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData(name="Adam"))
    removed = ring_of(docs["doc2"])
    old_incident_key = removed.key_for(incident.key_set)
    services.incident_unshare(ring=ring, staff=staff, reference=incident.reference, staff_id=docs["doc2"].staff.pk)
    incident.refresh_from_db()
    victim.refresh_from_db()
    assert incident.key_set.generation == 2
    assert victim.key_set.generation == 2
    with pytest.raises(NotFound):
        services.access_incident(ring=ring_of(docs["doc2"]), staff=docs["doc2"].staff, reference=incident.reference)
    # The key they once had opens nothing any more
    from ferry.vault import keysets

    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure to open is the point
        keysets.open_field(old_incident_key, incident, "narrative")


def test_a_stale_edit_changes_nothing(docs: dict[str, Any]) -> None:
    incident, _key = services.incident_create(staff=docs["doc"].staff, data=incident_data())
    documenter = staff_client(docs["doc"])
    form = {
        "version": "1",
        "title": "New title",
        "start_year": "2017",
        "start_month": "2",
        "start_day": "20",
        "start_precision": "day",
        "country": "RU",
        "subdivision": "RU-CE",
        "place_precision": "2",
        "victim_count": "3",
    }
    assert documenter.post(f"/staff/documentation/{incident.reference}/edit/", form).status_code == 302
    stale = documenter.post(f"/staff/documentation/{incident.reference}/edit/", {**form, "title": "Lost"})
    assert stale.status_code == 400
    assert "Someone else changed this incident" in stale.content.decode()
    incident.refresh_from_db()
    assert incident.victim_count == 3
    assert incident.version == 2
    page = documenter.get(f"/staff/documentation/{incident.reference}/").content.decode()
    assert "New title" in page
    assert "Lost" not in page


@pytest.fixture
def accepted_case(client: Client, docs: dict[str, Any], make_staff: Any) -> Case:
    """A request accepted into a case carried by the docs' caseworker."""
    from ferry.cases.services import pipeline_ensure
    from ferry.intake.models import Request
    from tests.intake.helpers import submit

    pipeline_ensure()
    coordinator = make_staff("coordinator", "documenter")
    docs["linker"] = coordinator  # documents too, and holds the case: the case door lets them link to it
    submit(client)
    request = Request.objects.get()
    answer = staff_client(coordinator).post(
        f"/staff/intake/{request.reference}/accept/",
        {"version": request.version, "caseworker": docs["caseworker"].staff.pk},
    )
    assert answer.status_code == 302
    return Case.objects.get()


def test_a_timeline_pages_newest_first_with_totals_by_year_and_type(
    docs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a unit involved in five acts over five years, two of them torture
    staff, ring = docs["doc"].staff, ring_of(docs["doc"])
    unit = services.perpetrator_create(
        staff=staff, data=PerpetratorData(kind="unit", perpetrator_type="police", name_original="Полк")
    )
    incident, _key = services.incident_create(staff=staff, data=incident_data())
    ring.forget()
    victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData())
    kinds = ["torture", "abduction", "torture", "outing", "abduction"]
    for year, kind in zip((2014, 2018, 2016, 2015, 2017), kinds, strict=True):
        services.act_add(
            ring=ring,
            staff=staff,
            reference=incident.reference,
            data=ActData(
                victim_id=victim.pk,
                act_type=kind,
                start=PartialDate(year, 5, 1),
                involvements=(InvolvementData(perpetrator_id=unit.pk),),
            ),
        )
    monkeypatch.setattr(selectors, "TIMELINE_PAGE", 2)
    # When the timeline is read a page at a time
    pages = [selectors.perpetrator_timeline(unit, n) for n in (1, 2, 3)]
    # Then the acts come newest first across pages, and the totals count all five
    assert [row["start_date"].year for p in pages for row in p.rows] == [2018, 2017, 2016, 2015, 2014]
    assert [p.has_next for p in pages] == [True, True, False]
    assert pages[0].total == 5
    assert pages[0].by_year == [(2018, 1), (2017, 1), (2016, 1), (2015, 1), (2014, 1)]
    assert [n for _label, n in pages[0].by_act_type] == [2, 2, 1]
    assert pages[0].rows[0]["incident__reference"] == incident.reference
