"""Charts of a published table: a time series or bars, as PNG or SVG, drawn on the server.

A suppressed cell (None) is never drawn as zero: a series has a gap there and a bar is left out, and the
footnote says so, under the table's method sentences."""

from __future__ import annotations

import math
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from ferry.advocacy.charts.figures import ChartError, check_format, drawing, figure, footnote, footnote_lines, save
from ferry.advocacy.tables import Table

STYLES = ("series", "bars", "stacked")
WIDTH, HEIGHT = 9.0, 5.0  # inches, before the footnote
FOOTNOTE_LINE = 0.16  # inches


def _row_label(row: tuple[str, ...]) -> str:
    return " · ".join(row)


def _values(table: Table, column: int) -> list[float]:
    """A column's cells, a suppressed one as NaN (a gap), never as zero."""
    return [math.nan if row[column] is None else float(row[column]) for row in table.cells]  # type: ignore[arg-type]


def _series(ax: Axes, table: Table) -> None:
    positions = list(range(len(table.rows)))
    for column, label in enumerate(table.columns):
        ax.plot(
            positions,
            _values(table, column),
            marker="o",
            markersize=3.5,
            linewidth=1.8,
            label=label,
            gid=f"series-{column}",
        )


def _bars(ax: Axes, table: Table, *, stacked: bool) -> None:
    columns = max(len(table.columns), 1)
    width = 0.8 if stacked else 0.8 / columns
    bottoms = [0.0] * len(table.rows)
    for column, label in enumerate(table.columns):
        present = [(i, v) for i, v in enumerate(_values(table, column)) if not math.isnan(v)]
        xs = [i if stacked else i - 0.4 + width * (column + 0.5) for i, _v in present]
        heights = [v for _i, v in present]
        bottom = [bottoms[i] for i, _v in present] if stacked else None
        bars = ax.bar(xs, heights, width=width, bottom=bottom, label=label)
        for (row, _v), bar in zip(present, bars, strict=True):
            bar.set_gid(f"bar-{column}-{row}")  # an SVG's reader (and a test) can tell which cell a bar is
        if stacked:
            for i, v in present:
                bottoms[i] += v


def _ticks(table: Table) -> tuple[list[int], list[str], bool]:
    """Where the rows' labels go (at most about two dozen), and whether they must be turned to fit."""
    labels = [_row_label(row) for row in table.rows]
    step = max(1, math.ceil(len(labels) / 24))
    shown = labels[::step]
    turned = len(shown) * max(len(label) for label in shown) > 110
    return list(range(0, len(labels), step)), shown, turned


def _axes_labels(ax: Axes, table: Table) -> None:
    positions, shown, turned = _ticks(table)
    ax.set_xticks(positions, shown)
    if turned:
        for tick in ax.get_xticklabels():
            tick.set_rotation(45)
            tick.set_horizontalalignment("right")
    ax.set_xlabel(" · ".join(table.row_headings))
    ax.set_ylabel(table.measure_label)
    ax.set_ylim(bottom=0)
    ax.axhline(0, color="#333333", linewidth=0.8, gid="baseline")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def chart_render(table: Table, *, style: str, format: str, language: str) -> bytes:
    """The table drawn as `style` ("series": one line per column over the rows' periods; "bars": grouped
    bars; "stacked": stacked bars), as `format` ("png" or "svg"), with the footnote in `language`."""
    check_format(format)
    if style not in STYLES:
        raise ChartError(_("This kind of chart is not known."))
    if not table.rows or not table.columns:
        raise ChartError(_("An empty table cannot be drawn."))
    with translation.override(language):
        lines = footnote_lines([*table.method, _("Suppressed cells are not shown.")])
    height = HEIGHT + FOOTNOTE_LINE * len(lines)
    with drawing():
        fig = figure(WIDTH, height)
        wide_legend = len(table.columns) > 6
        under_axis = 1.15 if _ticks(table)[2] else 0.7  # inches for the row labels and the axis's name
        ax = fig.add_axes(
            (
                0.08,
                (0.15 + FOOTNOTE_LINE * len(lines) + under_axis) / height,
                0.66 if wide_legend else 0.88,
                (HEIGHT - under_axis - 0.75) / height,
            )
        )
        if style == "series":
            _series(ax, table)
        else:
            _bars(ax, table, stacked=style == "stacked")
        _axes_labels(ax, table)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(table.title, loc="left", pad=12)
        legend_at: dict[str, Any] = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if wide_legend else {}
        ax.legend(title=table.column_heading, fontsize=8, title_fontsize=8, frameon=False, **legend_at)
        footnote(fig, lines)
        return save(fig, format)
