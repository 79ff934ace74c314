"""A NUL character in an address names nothing: PostgreSQL refuses one in any text, so before this every page
that looks a reference up answered 500 there (and 404 on SQLite). Found by the API's schema fuzzing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cases.conftest import staff_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/staff/documentation/a%00b/",
        "/staff/documentation/victims/a%00b/",
        "/staff/cases/a%00b/",
        "/staff/documentation/evidence/incident/a%00b/",
    ],
)
def test_a_nul_in_an_address_is_the_404_page_on_every_database(make_staff: Any, path: str) -> None:
    # Given a signed-in documenter and caseworker
    client = staff_client(make_staff("documenter", "caseworker"))
    # When they open an address carrying a NUL character
    answer = client.get(path)
    # Then it is the page of an address that names nothing, as on any unknown reference
    assert answer.status_code == 404
