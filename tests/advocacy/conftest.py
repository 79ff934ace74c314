from __future__ import annotations

from typing import Any

import pytest

from ferry.incidents.models import Term
from ferry.incidents.seed import vocabularies_seed
from tests.cases.conftest import accepted, team  # noqa: F401 - the case fixtures, for pathway figures
from tests.test_doors import world  # noqa: F401 - one of each record, for the release door's walk


@pytest.fixture
def analysts(make_staff: Any) -> dict[str, Any]:
    """An administrator (who holds the escrow key), two analysts, a documenter and a caseworker."""
    vocabularies_seed(Term)
    return {
        "admin": make_staff("administrator"),
        "analyst": make_staff("analyst"),
        "analyst2": make_staff("analyst"),
        "doc": make_staff("documenter"),
        "caseworker": make_staff("caseworker"),
    }
