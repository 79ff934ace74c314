"""Every perpetrator of the register can be named in a form, however large the register: a whole name or the
register number is typed and taken; a part of a name, or a name several have, lists them with their kinds and
numbers, and nothing is saved.
Before, the forms offered the first 2,000 names (the list's filter 5,000) and the rest could not be chosen."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from ferry.incidents import selectors, services
from ferry.incidents.models import Act, Involvement, Perpetrator, PerpetratorLink, Vocabulary
from ferry.incidents.services import VictimData, name_key
from tests.cases.conftest import staff_client
from tests.incidents.conftest import incident_data, ring_of, term

pytestmark = pytest.mark.django_db

REGISTER = 5_100  # more than any list the forms used to offer


def _register() -> list[Perpetrator]:
    police = term(Vocabulary.PERPETRATOR_TYPE, "police")
    now = timezone.now()
    names = [f"Батальон {n:04d}" for n in range(REGISTER)]
    Perpetrator.objects.bulk_create(
        Perpetrator(kind="unit", perpetrator_type=police, name_original=n, name_key=name_key(n), created_at=now)
        for n in names
    )
    return list(Perpetrator.objects.order_by("name_original"))


def _act_form(victim: Any, perpetrator: str) -> dict[str, str]:
    return {
        "victim": str(victim.pk),
        "act_type": str(term(Vocabulary.ACT_TYPE, "torture").pk),
        "start_year": "2017",
        "start_month": "",
        "start_day": "",
        "start_precision": "year",
        "end_year": "",
        "end_month": "",
        "end_day": "",
        "end_precision": "",
        "notes": "",
        "perpetrator": perpetrator,
        "degree": "direct",
        "detail": "",
    }


def test_the_last_name_of_a_large_register_can_be_named_and_an_ambiguous_one_is_listed(docs: dict[str, Any]) -> None:
    # Given a register of 5,100 units and an incident with a victim
    staff, ring = docs["doc"].staff, ring_of(docs["doc"])
    register = _register()
    last = register[-1]
    incident, _key = services.incident_create(staff=staff, data=incident_data())
    ring.forget()
    victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData(name="V"))
    client = staff_client(docs["doc"])
    act_url = f"/staff/documentation/{incident.reference}/act/"

    # When a documenter types a part of a name several units share
    answer = client.post(act_url, _act_form(victim, "батальон 509"))
    # Then they are listed with their numbers, the text is kept, and nothing is saved
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Батальон 5090 (Unit, #" in page
    assert "Батальон 5099 (Unit, #" in page
    assert 'value="батальон 509"' in page
    assert not Act.objects.exists()

    # When they type the last unit's whole name, in another case and spacing
    answer = client.post(act_url, _act_form(victim, "  БАТАЛЬОН   5099 "))
    # Then the act names it
    assert answer.status_code == 302
    assert Involvement.objects.get().perpetrator == last

    # And a unit far down the register can be linked from another's page by its number, and filters the list
    first = register[0]
    answer = client.post(
        f"/staff/documentation/perpetrators/{first.pk}/link/", {"kind": "commands", "target": f"#{last.pk}"}
    )
    assert answer.status_code == 302
    assert PerpetratorLink.objects.get(source=first).target == last
    listed = client.post("/staff/documentation/", {"perpetrator": f"#{last.pk}"})
    assert incident.reference in listed.content.decode()
    assert [
        r.incident for r in selectors.incident_list(ring=ring, filters=selectors.Filters(perpetrator=last.pk)).rows
    ] == [incident]

    # And a name nobody has is refused in the person's language, listing nothing rather than everything
    answer = client.post("/staff/documentation/", {"perpetrator": "Полк 1"}, HTTP_ACCEPT_LANGUAGE="ru")
    assert answer.status_code == 400
    assert "Никто в реестре" in answer.content.decode()
    assert incident.reference not in answer.content.decode()


def test_the_register_page_finds_any_name(docs: dict[str, Any]) -> None:
    # Given a register larger than its page
    register = _register()
    client = staff_client(docs["analyst"])
    # When an analyst opens it, Then it says only the first names are shown
    page = client.get("/staff/documentation/perpetrators/").content.decode()
    assert register[-1].name_original not in page
    assert "Find a name to reach the others" in page
    # When they find the last one, Then it is there with its number
    page = client.post("/staff/documentation/perpetrators/", {"find": "5099"}).content.decode()
    assert f"#{register[-1].pk}" in page
    assert register[-1].name_original in page
    # And the search added nobody
    assert Perpetrator.objects.count() == REGISTER


def test_a_part_of_a_name_is_offered_never_taken_and_alike_names_are_told_apart(docs: dict[str, Any]) -> None:
    # Given an official and a unit in the register, both called Иванов, and Петров Иван Сергеевич
    staff, ring = docs["doc"].staff, ring_of(docs["doc"])
    police = term(Vocabulary.PERPETRATOR_TYPE, "police")
    for kind, name in (("person", "Иванов"), ("unit", "Иванов"), ("person", "Петров Иван Сергеевич")):
        services.perpetrator_create(
            staff=staff,
            data=services.PerpetratorData(kind=kind, perpetrator_type=police.pk, name_original=name),
        )
    petrov = Perpetrator.objects.get(name_original="Петров Иван Сергеевич")
    incident, _key = services.incident_create(staff=staff, data=incident_data())
    ring.forget()
    victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData(name="V"))
    client = staff_client(docs["doc"])
    act_url = f"/staff/documentation/{incident.reference}/act/"

    # When a documenter types a surname that only a part of one registered name matches
    answer = client.post(act_url, _act_form(victim, "Петров"))
    # Then the act is not attributed to that person: the name is offered, with its number, and nothing is saved
    assert answer.status_code == 400
    assert f"Петров Иван Сергеевич (Person, #{petrov.pk})" in answer.content.decode()
    assert not Act.objects.exists()

    # When they type a name both the official and the unit have
    answer = client.post(act_url, _act_form(victim, "иванов"))
    # Then both are listed, told apart by their kind
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "Иванов (Person, #" in page
    assert "Иванов (Unit, #" in page

    # When they type the whole name, or the number
    for typed in ("петров  иван сергеевич", f"#{petrov.pk}"):
        answer = client.post(act_url, _act_form(victim, typed))
        # Then the act names that person
        assert answer.status_code == 302
    assert [i.perpetrator for i in Involvement.objects.all()] == [petrov, petrov]
