"""What a count hands to disclosure control: cells and margins with the distinct incidents behind each, and
the limits on a table's size. Shared by the count from the records (statistics) and from the tallies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from ferry.core.errors import FerryError

MAX_ROWS = 20_000
MAX_COLUMNS = 60


class StatisticsError(FerryError):
    """A question that cannot be answered as asked; the message is for the person."""


@dataclass
class Counts:
    """Cells and margins with, for each, how many records and how many distinct incidents are behind it."""

    rows: list[tuple[str, ...]]
    columns: list[str]
    cells: list[list[int]]
    contributors: dict[tuple[int, int], int] = field(default_factory=dict)  # extended-table cell → incidents
    as_of: date | None = None  # counted from the tallies built that day; None: from the records just now


def check_size(rows: int, columns: int) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise StatisticsError(
            _("The table would be too large to protect. Narrow the filters or choose a coarser period.")
        )
