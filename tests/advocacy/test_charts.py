"""Charts of a published table: what they show (suppressed cells never as zero), their size, their text,
and the same bytes for the same table."""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image

from ferry.advocacy.charts.figures import DPI, ChartError
from ferry.advocacy.charts.render import FOOTNOTE_LINE, HEIGHT, WIDTH, chart_render
from ferry.advocacy.tables import Table

SUPPRESSED_AT = {(2, 0), (4, 1), (5, 0)}  # (row, column) of the suppressed cells


def _table(title: str = "Acts by month", **changes: Any) -> Table:
    months = ["2017-01", "2017-02", "2017-03", "2017-04", "2017-05", "2017-06", "2017-07"]
    cells: list[list[int | None]] = [[12 + r * 3, 20 + r] for r in range(len(months))]
    for row, column in SUPPRESSED_AT:
        cells[row][column] = None
    fields: dict[str, Any] = {
        "title": title,
        "measure": "acts",
        "measure_label": "Acts",
        "row_headings": ["Month"],
        "column_heading": "Act type",
        "rows": [(m,) for m in months],
        "columns": ["Detention", "Beating"],
        "cells": cells,
        "row_totals": [None] * len(months),
        "column_totals": [None, None],
        "total": None,
        "method": ["Counts of verified acts by the month they began.", "Cells below 10 are suppressed."],
    }
    fields.update(changes)
    return Table(**fields)


def _svg_group(svg: str, gid: str) -> str:
    """The SVG group matplotlib writes for an artist given this id."""
    found = re.search(rf'<g id="{re.escape(gid)}">(.*?)</g>', svg, re.S)
    assert found, f"no group {gid}"
    return found.group(1)


def _path_runs(group: str) -> list[list[tuple[float, float]]]:
    """The runs of points of the first path in an SVG group: each "M" starts a run."""
    d = re.search(r'd="([^"]+)"', group)
    assert d
    runs: list[list[tuple[float, float]]] = []
    for command, x, y in re.findall(r"([ML])\s*([-\d.]+)\s+([-\d.]+)", d.group(1)):
        if command == "M":
            runs.append([])
        runs[-1].append((float(x), float(y)))
    return runs


@pytest.mark.parametrize("style", ["series", "bars", "stacked"])
def test_a_png_chart_opens_at_its_size(style: str) -> None:
    # Given a table with two method sentences
    # When it is drawn as a PNG
    png = chart_render(_table(), style=style, format="png", language="en")
    # Then it is a PNG of the chart's width, and as tall as the chart and its three footnote lines
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (round(WIDTH * DPI), round((HEIGHT + 3 * FOOTNOTE_LINE) * DPI))


def test_an_svg_chart_holds_its_title_labels_and_footnote() -> None:
    # Given a table
    # When it is drawn as an SVG
    svg = chart_render(_table(title="Acts by month, Chechnya"), style="series", format="svg", language="en").decode()
    # Then its title, axis names, series names, method and the suppression note are text in it
    for text in [
        "Acts by month, Chechnya",
        "Month",
        "Acts",
        "Detention",
        "Beating",
        "Counts of verified acts by the month they began.",
        "Suppressed cells are not shown.",
    ]:
        assert text in svg


def test_a_series_leaves_a_gap_where_a_cell_is_suppressed() -> None:
    # Given a table whose first column is suppressed in rows 2 and 5 (of 0..6)
    svg = chart_render(_table(), style="series", format="svg", language="en").decode()
    # When the first series' line is read back from the SVG
    runs = _path_runs(_svg_group(svg, "series-0"))
    # Then it is broken into three pieces (rows 0-1, 3-4 and 6) holding only the five published cells
    assert [len(run) for run in runs] == [2, 2, 1]
    # And no point of it lies on the zero line (the axis's bottom, the lowest y drawn in the plot)
    lowest_published = max(y for run in runs for _x, y in run)
    baseline = float(re.search(r'<g id="baseline">.*?d="M\s*[-\d.]+\s+([-\d.]+)', svg, re.S).group(1))  # type: ignore[union-attr]
    assert lowest_published < baseline - 1
    # And the unbroken second series (suppressed in row 4 only) has two pieces
    assert [len(run) for run in _path_runs(_svg_group(svg, "series-1"))] == [4, 2]


@pytest.mark.parametrize("style", ["bars", "stacked"])
def test_bars_leave_out_a_suppressed_cell(style: str) -> None:
    # Given a table with three suppressed cells
    # When it is drawn as bars
    svg = chart_render(_table(), style=style, format="svg", language="en").decode()
    # Then every published cell has its bar and no suppressed cell has one (not even of height zero)
    for row in range(7):
        for column in range(2):
            drawn = f'id="bar-{column}-{row}"' in svg
            assert drawn == ((row, column) not in SUPPRESSED_AT)


@pytest.mark.parametrize("format", ["png", "svg"])
def test_the_same_table_gives_the_same_bytes(format: str) -> None:
    # Given a chart drawn once
    first = chart_render(_table(), style="series", format=format, language="en")
    # When another chart is drawn and then the first again
    chart_render(_table(title="Something else"), style="bars", format=format, language="ru")
    again = chart_render(_table(), style="series", format=format, language="en")
    # Then the bytes, and so the release's SHA-256, are the same
    assert again == first
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(first).hexdigest()
    # And the SVG carries no date
    if format == "svg":
        assert b"<dc:date>" not in again


def test_charts_drawn_at_once_in_two_threads_match_those_drawn_alone() -> None:
    # Given two charts drawn one after the other
    alone = [
        chart_render(_table(), style="series", format="png", language="en"),
        chart_render(_table(title="Другое"), style="bars", format="png", language="ru"),
    ]
    # When they are drawn at the same time, twice over
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(
            pool.map(
                lambda n: chart_render(
                    _table() if n % 2 == 0 else _table(title="Другое"),
                    style="series" if n % 2 == 0 else "bars",
                    format="png",
                    language="en" if n % 2 == 0 else "ru",
                ),
                range(4),
            )
        )
    # Then each is the same as when drawn alone
    assert together == alone * 2


def test_a_russian_chart_renders_without_missing_glyphs() -> None:
    # Given a table whose title and labels are in Russian
    table = _table(
        title="Задержания в Чечне по месяцам",
        measure_label="Акты",
        row_headings=["Месяц"],
        column_heading="Тип акта",
        columns=["Задержание", "Избиение"],
        method=["Число подтверждённых актов по месяцу их начала."],
    )
    # When it is drawn, as a PNG and as an SVG
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart_render(table, style="series", format="png", language="ru")
        svg = chart_render(table, style="bars", format="svg", language="ru").decode()
    # Then no glyph was missing from the font, and the Russian text is in the SVG
    assert [str(w.message) for w in caught if "missing from" in str(w.message).lower()] == []
    assert "Задержания в Чечне по месяцам" in svg


@pytest.mark.parametrize(
    ("style", "format"),
    [("pie", "png"), ("series", "pdf"), ("series", "jpg")],
)
def test_an_unknown_style_or_format_is_refused(style: str, format: str) -> None:
    with pytest.raises(ChartError):
        chart_render(_table(), style=style, format=format, language="en")


def test_an_empty_table_is_refused() -> None:
    with pytest.raises(ChartError):
        chart_render(_table(rows=[], cells=[], row_totals=[]), style="series", format="png", language="en")
