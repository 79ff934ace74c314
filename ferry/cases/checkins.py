"""Cases: checkins (being built)."""

from __future__ import annotations

from typing import Any


def panel(*, request: Any, case: Any, bound: dict[str, Any]) -> dict[str, Any]:
    """Context for this part of the case page."""
    return {}


def sweep() -> None:
    """The minute sweep over check-in plans (being built)."""
