from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def hotline(make_staff: Any) -> dict[str, Any]:
    """An administrator (escrow and contact index), two coordinators and a caseworker."""
    return {
        "admin": make_staff("administrator"),
        "coordinator": make_staff("coordinator"),
        "coordinator2": make_staff("coordinator"),
        "caseworker": make_staff("caseworker"),
    }
