"""The figure a benchmark reports, and how it travels from a benchmark's process to the runner."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured value against its target; ok is False when the target was missed.

    An empty target_text marks a figure given for reference only (a baseline), with no target to miss.
    """

    name: str
    value: float
    unit: str
    target_text: str
    ok: bool


def figures_write(path: Path, figures: list[Figure]) -> None:
    path.write_text(json.dumps([asdict(f) for f in figures]), encoding="utf-8")


def figures_read(path: Path) -> list[Figure]:
    return [Figure(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def format_value(value: float) -> str:
    """Enough digits to compare runs, no more: 1234, 123.4, 12.34, 0.123."""
    size = abs(value)
    if float(value).is_integer() and size < 1e15:
        return f"{int(value):,}"
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.1f}"
    if size >= 1 or size == 0:
        return f"{value:.2f}"
    return f"{value:.3f}"
