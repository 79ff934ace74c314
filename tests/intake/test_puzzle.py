"""The flood's optional puzzle (issue 14): while this hour's requests are past the cap, the form carries a
script that finds a proof of work for its own token; a request sent with it stays among the regular ones,
one sent without it is kept all the same, marked overflow. A solution cannot be reused for another form."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client

from ferry.intake import puzzle
from ferry.intake.models import Request
from tests.intake.helpers import TOKEN_RE, request_data
from tests.intake.test_flood import _junk

pytestmark = pytest.mark.django_db


def _solve(token: str, bits: int) -> str:
    n = 0
    while puzzle.leading_zero_bits(hashlib.sha256(f"{token}:{n}".encode()).digest()) < bits:
        n += 1
    return str(n)


def _form(client: Client) -> tuple[str, str]:
    page = client.get("/?lang=en").content.decode()
    found = TOKEN_RE.search(page)
    assert found is not None
    return found.group(1), page


def _token_not_solved_by(client: Client, solution: str) -> str:
    """A fresh form token that this solution does not happen to solve (1 in 1,024 would): no test by chance."""
    while True:
        token, _page = _form(client)
        if not puzzle.solved(token, solution):
            return token


def test_zero_bits_are_counted_from_the_first_byte() -> None:
    assert puzzle.leading_zero_bits(bytes([0, 0, 0x10, 0xFF])) == 19
    assert puzzle.leading_zero_bits(bytes([0x80])) == 0
    assert puzzle.leading_zero_bits(bytes(4)) == 32


def test_a_solved_puzzle_keeps_a_request_among_the_regular_ones_during_a_flood(
    client: Client, hotline: dict[str, Any], settings: Any
) -> None:
    settings.FERRY_INTAKE_HOURLY_CAP = 3
    settings.FERRY_INTAKE_PUZZLE_BITS = 10
    # Before the flood the form carries no script
    _token, page = _form(client)
    assert "puzzle.js" not in page
    # Given a flood that filled the hourly cap
    _junk(5)
    token, page = _form(client)
    # Then the form offers the puzzle, and works without it: a request sent without a solution is kept, marked
    assert "puzzle.js" in page
    assert 'data-puzzle-bits="10"' in page
    plain = client.post("/send?lang=en", {**request_data(story="no script", urgency="later"), "form_token": token})
    assert plain.status_code == 200
    # When another person's browser solves its form's puzzle
    token, _page = _form(client)
    solution = _solve(token, 10)
    solved = client.post(
        "/send?lang=en",
        {**request_data(story="with script", urgency="later"), "form_token": token, "puzzle": solution},
    )
    assert solved.status_code == 200
    # A solution for another form's token, or a wrong one, ranks nothing
    other, _page = _form(client)
    client.post(
        "/send?lang=en", {**request_data(story="stolen", urgency="later"), "form_token": other, "puzzle": solution}
    )
    third, _page = _form(client)
    client.post("/send?lang=en", {**request_data(story="wrong", urgency="later"), "form_token": third, "puzzle": "1"})
    later = list(Request.objects.filter(urgency="later").order_by("overflow").values_list("overflow", flat=True))
    # Then exactly one of the four late requests stays regular: the one whose sender solved its own puzzle
    assert later == [False, True, True, True]


def test_the_puzzle_can_be_turned_off(client: Client, hotline: dict[str, Any], settings: Any) -> None:
    settings.FERRY_INTAKE_HOURLY_CAP = 1
    settings.FERRY_INTAKE_PUZZLE_BITS = 0
    _junk(2)
    _token, page = _form(client)
    assert "puzzle.js" not in page
    assert not puzzle.solved("token", "0")
