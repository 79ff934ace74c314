"""Input that looks like a number or a name but is not one gets an answer, never a server error: digits of
other kinds ("²" passes str.isdigit() yet int() refuses it), numbers too large for the database, and a NUL
character in the register's search (PostgreSQL refuses NUL in text). Found by review, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ferry.incidents import services
from ferry.incidents.import_rows import Lookups, RowProblems, row_check
from ferry.incidents.models import Place, Vocabulary
from ferry.incidents.services import PerpetratorData
from tests.api.conftest import API, bearer, token_for
from tests.cases.conftest import staff_client
from tests.incidents.conftest import term
from tests.incidents.import_helpers import HEADINGS, MAPPING, good_row

pytestmark = pytest.mark.django_db


def test_odd_digits_and_huge_numbers_get_an_answer(docs: dict[str, Any]) -> None:
    # Given a unit and a place in the register, and an analyst's browser that shows server errors as pages
    staff = docs["doc"].staff
    police = term(Vocabulary.PERPETRATOR_TYPE, "police")
    unit = services.perpetrator_create(
        staff=staff, data=PerpetratorData(kind="unit", perpetrator_type=police.pk, name_original="Полк ППС")
    )
    place = Place.objects.create(name="Base", kind=Place.Kind.values[0], country="RU", created_at=timezone.now())
    browser = staff_client(docs["analyst"])
    browser.raise_request_exception = False
    # When pages are asked for with a superscript digit for a page number, or a list page beyond any integer
    for address in (f"/staff/documentation/perpetrators/{unit.pk}/", f"/staff/documentation/places/{place.pk}/"):
        # Then the first page is shown
        assert browser.get(address, {"page": "²"}).status_code == 200
    # And the list refuses the page number, saying so
    refused = browser.post("/staff/documentation/", {"page": "99999999999999999999"})
    assert refused.status_code == 400
    # And the API answers an id written so as it answers any id that names nothing
    api = Client(raise_request_exception=False)
    token = token_for(docs["analyst"], scope="read")
    for path in (f"{API}/places/%C2%B2/", f"{API}/perpetrators/%C2%B2/"):
        assert api.get(path, **bearer(token)).status_code == 404


def test_an_imported_number_written_in_other_digits_is_refused_for_its_cell(docs: dict[str, Any]) -> None:
    # Given a row whose number of victims is a superscript two
    values = {name: good_row(1)[column] for name, column in MAPPING.items()} | {"victim_count": "²"}
    assert len(HEADINGS) == len(good_row(1))
    # When it is checked
    checked = row_check(values, Lookups())
    # Then it is refused for that cell, in words
    assert isinstance(checked, RowProblems)
    assert [field for field, _message in checked.items] == ["victim_count"]


def test_a_nul_in_the_register_search_finds_what_the_rest_names(docs: dict[str, Any]) -> None:
    # Given a unit in the register
    police = term(Vocabulary.PERPETRATOR_TYPE, "police")
    services.perpetrator_create(
        staff=docs["doc"].staff,
        data=PerpetratorData(kind="unit", perpetrator_type=police.pk, name_original="Полк ППС"),
    )
    browser = staff_client(docs["analyst"])
    browser.raise_request_exception = False
    # When someone searches with a NUL character in the name
    found = browser.post("/staff/documentation/perpetrators/", {"find": "Пол\x00к"})
    # Then the register answers, and finds the unit the rest of the text names
    assert found.status_code == 200
    assert "Полк ППС" in found.content.decode()
