"""The tracker's scorecards as CSV outputs for a release (never served from here: see advocacy.releases).

Counts only: no incident or release reference, no summary, source or quote, dates no finer than a year (a
government's scorecard) or a month (the overview's last response). The verified-incident columns count
documented violations, so their small cells are suppressed (advocacy.disclosure, primary and secondary
against the published total); the counts of asks and responses are the organisation's own public work and
are published as they are."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ferry.advocacy import disclosure
from ferry.advocacy.models import Release
from ferry.advocacy.releases import Output
from ferry.advocacy.tracker.selectors import Overview, Scorecard

INCIDENT_COLUMNS = ("incidents_asked", "incidents_verified")


def _formula_safe(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula (=, +, -, @) is written with a leading apostrophe."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@"):
        return f"'{cell}"
    return cell


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if cell is None else _formula_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def _language() -> str:
    return (get_language() or "en")[:2]


def _protected_column(values: list[int], threshold: int) -> tuple[list[int | None], int | None, set[int], set[int]]:
    """One column of counts with its total, small cells suppressed: (cells, total, primary rows, secondary
    rows); the total's row is len(values)."""
    if not values:
        return [], 0, set(), set()
    protected = disclosure.protect([[value] for value in values], threshold=threshold)
    # The row totals equal the cells (one column) and are not published; what is published is the column and
    # its total, a part of what protect() checked, so nothing hidden can be worked out from it.
    primary = {row for row, column in protected.primary if column == 0}
    secondary = {row for row, column in protected.secondary if column == 0}
    return [row[0] for row in protected.cells], protected.column_totals[0], primary, secondary


def scorecard_output(card: Scorecard, *, threshold: int = disclosure.DEFAULT_THRESHOLD) -> Output:
    """A government's scorecard by year, with the verified-incident counts protected."""
    after = card.after_days
    heading = [
        _("Year"),
        _("Asks"),
        *[_("Asks: %(kind)s") % {"kind": label} for _code, label in card.ask_kinds],
        _("Answered within %(days)d days") % {"days": after},
        _("No answer after %(days)d days") % {"days": after},
        _("Waiting"),
        _("Responses"),
        *[_("Responses: %(kind)s") % {"kind": label} for _code, label in card.response_kinds],
        _("Verified incidents the asks rested on"),
        _("Verified incidents documented"),
    ]
    lines = card.table()
    labels = [str(line["row"].year) if line["row"].year else _("Total") for line in lines]
    body: list[list[Any]] = [
        [
            label,
            line["row"].asks_total,
            *line["asks"],
            line["row"].answered,
            line["row"].no_answer,
            line["row"].waiting,
            line["row"].responses_total,
            *line["responses"],
        ]
        for label, line in zip(labels, lines, strict=True)
    ]
    cells: list[list[str]] = []
    counts = {"primary": 0, "secondary": 0}
    for offset, name in enumerate(INCIDENT_COLUMNS):
        values = [getattr(row, name) for row in card.rows]
        published, total, primary, secondary = _protected_column(values, threshold)
        for row, value in zip(body, [*published, total], strict=True):
            row.append(value)
        counts["primary"] += len(primary)
        counts["secondary"] += len(secondary)
        column_label = heading[len(heading) - len(INCIDENT_COLUMNS) + offset]
        cells += [[labels[row], column_label] for row in sorted(primary | secondary)]
    name = card.government.name
    return Output(
        kind=Release.Kind.TABLE,
        format="csv",
        content=_csv([heading, *body]),
        title=_("Government response scorecard: %(name)s") % {"name": name},
        filename=f"scorecard-{slugify(card.government.name_en) or card.government.pk}.csv",
        language=_language(),
        question={
            "builder": "tracker.scorecard",
            "government": card.government.name_en,
            "rows": ["year"],
            "no_answer_after_days": after,
        },
        disclosure={"threshold": threshold, "suppressed_columns": list(INCIDENT_COLUMNS), "date_precision": "year"},
        suppressed={**counts, "cells": cells},
    )


def overview_output(view: Overview) -> Output:
    """Every government in one table: asks, their states, responses by kind, share answered, last response."""
    after = view.after_days
    heading = [
        _("Government or body"),
        _("Kind"),
        _("Asks"),
        _("Answered within %(days)d days") % {"days": after},
        _("No answer after %(days)d days") % {"days": after},
        _("Waiting"),
        _("Share answered (%)"),
        _("Responses"),
        *[_("Responses: %(kind)s") % {"kind": label} for _code, label in view.response_kinds],
        _("Last response (month)"),
    ]
    body = []
    for line in view.table():
        row = line["row"]
        share = row.share_answered
        body.append(
            [
                row.government.name,
                row.government.get_kind_display(),
                row.asks,
                row.states["answered"],
                row.states["no_answer"],
                row.states["waiting"],
                None if share is None else round(share * 100),
                row.responses_total,
                *line["responses"],
                row.last_response.strftime("%Y-%m") if row.last_response else None,
            ]
        )
    return Output(
        kind=Release.Kind.TABLE,
        format="csv",
        content=_csv([heading, *body]),
        title=_("Government response scorecard: overview"),
        filename="scorecard-overview.csv",
        language=_language(),
        question={"builder": "tracker.overview", "rows": ["government"], "no_answer_after_days": after},
        disclosure={"date_precision": "month"},
        suppressed={"primary": 0, "secondary": 0, "cells": []},
    )
