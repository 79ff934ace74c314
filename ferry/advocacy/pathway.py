"""Pathway figures from cases: how many cases opened each year reached safety, and the median number of
days from a case's opening (the day its request was accepted) to its first stage of safety (the safe-house
stage or any later open stage). Live cases are read from their clear stage changes, shredded ones from the
statistics their shred kept (cases.ShreddedCase.stage_history). A year's figures are published only when at
least k cases reached safety; a median of fewer would come close to one person's story."""

from __future__ import annotations

import statistics as stats
from collections import defaultdict
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import override

from ferry.advocacy import disclosure
from ferry.advocacy.tables import Table
from ferry.cases.models import Case, Event, ShreddedCase, Stage

SAFE_FROM = "safe_house"


def _safe_stages() -> set[str]:
    anchor = Stage.objects.filter(key=SAFE_FROM).first()
    if anchor is None:
        return set()
    return set(Stage.objects.filter(position__gte=anchor.position, is_closed=False).values_list("key", flat=True))


def _journeys(year_from: int | None, year_to: int | None) -> dict[int, list[int | None]]:
    """For each year of opening, one entry per case: days to safety, or None if it never got there."""
    safe = _safe_stages()
    years: dict[int, list[int | None]] = defaultdict(list)
    live = Case.objects.filter(shredded_at__isnull=True)
    reached: dict[object, date] = {}
    for case_id, at in (
        Event.objects.filter(case__in=live, kind=Event.Kind.STAGE, stage__key__in=safe)
        .order_by("at")
        .values_list("case_id", "at")
    ):
        reached.setdefault(case_id, at.date())
    for case_id, created in live.values_list("pk", "created_at"):
        day = reached.get(case_id)
        years[created.year].append((day - created.date()).days if day else None)
    for created_on, history in ShreddedCase.objects.values_list("created_on", "stage_history"):
        first = next((step["on"] for step in history if step.get("stage") in safe), None)
        years[created_on.year].append((date.fromisoformat(first) - created_on).days if first else None)
    return {
        year: entries
        for year, entries in years.items()
        if (year_from is None or year >= year_from) and (year_to is None or year <= year_to)
    }


def pathway_table(
    *,
    year_from: int | None = None,
    year_to: int | None = None,
    threshold: int = disclosure.DEFAULT_THRESHOLD,
    language: str = "en",
) -> Table:
    if threshold < disclosure.MINIMUM_THRESHOLD:
        raise disclosure.ThresholdTooLow(f"threshold below {disclosure.MINIMUM_THRESHOLD}")
    journeys = _journeys(year_from, year_to)

    def shown(count: int) -> int | None:
        return count if count == 0 or count >= threshold else None

    rows: list[tuple[str, ...]] = []
    cells: list[list[int | None]] = []
    suppressed: list[str] = []
    every: list[int] = []
    opened_total = 0
    for year in sorted(journeys):
        entries = journeys[year]
        days = [d for d in entries if d is not None]
        every += days
        opened_total += len(entries)
        median = round(stats.median(days)) if len(days) >= threshold else None
        line = [shown(len(entries)), shown(len(days)), median]
        if None in line:
            suppressed.append(str(year))
        rows.append((str(year),))
        cells.append(line)
    with override(language):
        return Table(
            title=_("From opening to safety"),
            measure="cases",
            measure_label=_("Cases"),
            row_headings=[_("Year the case was opened")],
            column_heading="",
            rows=rows,
            columns=[_("Cases opened"), _("Reached safety"), _("Median days to safety")],
            cells=cells,
            row_totals=[None] * len(rows),
            column_totals=[
                shown(opened_total),
                shown(len(every)),
                round(stats.median(every)) if len(every) >= threshold else None,
            ],
            total=None,
            row_keys=list(rows),
            column_keys=["opened", "safe", "median_days"],
            question={"measure": "pathway", "year_from": year_from, "year_to": year_to},
            disclosure={"threshold": threshold},
            suppressed={"rows": suppressed},
            method=[
                _("Safety: the case reached the safe-house stage or a later open stage."),
                _("Days are counted from the day the case was opened, shredded cases included."),
                _("A count below %(k)s, and a median of fewer than %(k)s cases, is not published.") % {"k": threshold},
            ],
        )
