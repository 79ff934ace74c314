"""A published table: what the statistics builder (advocacy.statistics) hands to every renderer (HTML,
CSV, XLSX, charts, maps, reports). Every figure in it has already passed disclosure control: a None is a
suppressed cell, and no renderer sees the counts behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    title: str
    measure: str  # "incidents", "acts", "involvements", "cases", "referrals"
    measure_label: str  # translated, e.g. "Acts"
    row_headings: list[str]  # translated names of the row dimensions, e.g. ["Month", "Subdivision"]
    column_heading: str  # translated name of the column dimension
    rows: list[tuple[str, ...]]  # translated row labels, one string per row dimension
    columns: list[str]  # translated column labels
    cells: list[list[int | None]]  # None: suppressed
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None
    # Codes behind the labels (month "2017-03", subdivision "RU-CE", term code...), for maps and exports.
    row_keys: list[tuple[str, ...]] = field(default_factory=list)
    column_keys: list[str] = field(default_factory=list)
    question: dict[str, Any] = field(default_factory=dict)
    disclosure: dict[str, Any] = field(default_factory=dict)
    # {"primary": n, "secondary": n, "cells": [[row label..., column label], ...], "rounding": "...", ...}
    suppressed: dict[str, Any] = field(default_factory=dict)
    # Translated sentences saying how the figures were made (printed under charts and at a report's end).
    method: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[tuple[tuple[str, ...], list[int | None], int | None]]:
        """Each row's labels, cells and total, for templates."""
        return list(zip(self.rows, self.cells, self.row_totals, strict=True))
