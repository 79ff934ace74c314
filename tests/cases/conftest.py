from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ferry.cases.models import Case
from ferry.cases.services import pipeline_ensure
from ferry.intake.models import Request
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE
from tests.intake.helpers import submit


def staff_client(person: Any) -> Client:
    return login(Client(), person.staff.email, TEST_PASSPHRASE, person.totp_secret)


@pytest.fixture
def team(make_staff: Any) -> dict[str, Any]:
    # The migration seeds the pipeline, but a transactional test run earlier on the same worker empties the
    # tables; every case test starts from the default pipeline whatever ran before it.
    pipeline_ensure()
    return {
        "admin": make_staff("administrator"),
        "coordinator": make_staff("coordinator"),
        "coordinator2": make_staff("coordinator"),
        "caseworker": make_staff("caseworker"),
        "caseworker2": make_staff("caseworker"),
    }


@pytest.fixture
def accepted(client: Client, team: dict[str, Any]) -> dict[str, Any]:
    """A request sent through the intake and accepted into a case for the first caseworker."""
    _response, code, _ = submit(client)
    request = Request.objects.get()
    coordinator = staff_client(team["coordinator"])
    answer = coordinator.post(
        f"/staff/intake/{request.reference}/accept/",
        {"version": request.version, "caseworker": team["caseworker"].staff.pk},
    )
    assert answer.status_code == 302
    return {"case": Case.objects.get(), "code": code, "coordinator": coordinator}
