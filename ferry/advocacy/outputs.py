"""From a published table to a release's output: which renderer makes which format, and the file's name."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from ferry.advocacy import tabular
from ferry.advocacy.models import Release
from ferry.advocacy.releases import Output
from ferry.advocacy.statistics import StatisticsError
from ferry.advocacy.tables import Table


def _filename(title: str, extension: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "table"
    return f"{stem}.{extension}"


def table_output(table: Table, output: str, language: str) -> Output:
    """The table rendered as asked ("csv", "xlsx", "series.png", "bars.svg", "map.png"...)."""
    style, _dot, extension = output.rpartition(".") if "." in output else ("", "", output)
    if not style and extension == "csv":
        kind, content = Release.Kind.TABLE, tabular.table_csv(table, language)
    elif not style and extension == "xlsx":
        kind, content = Release.Kind.TABLE, tabular.table_xlsx(table, language)
    elif style in {"series", "bars", "stacked"} and extension in {"png", "svg"}:
        from ferry.advocacy.charts.render import chart_render  # noqa: PLC0415 - matplotlib only when drawn

        kind, content = Release.Kind.CHART, chart_render(table, style=style, format=extension, language=language)
    elif style == "map" and extension in {"png", "svg"}:
        kind, content = Release.Kind.MAP, map_output(table, extension, language)
    else:
        raise StatisticsError(_("Choose an output from the list."))
    return Output(
        kind=kind,
        format=extension,
        content=content,
        title=table.title,
        filename=_filename(table.title, extension),
        language=language,
        question=table.question,
        disclosure=table.disclosure,
        suppressed=table.suppressed,
    )


def map_output(table: Table, extension: str, language: str) -> bytes:
    """A choropleth of the table's subdivisions: rows by subdivision, one country, one figure per region."""
    question = table.question
    if question.get("rows") != ["subdivision"] or not question.get("country"):
        raise StatisticsError(_("A map needs rows by subdivision only, and one country chosen."))
    from ferry.advocacy.charts.maps import map_render  # noqa: PLC0415 - matplotlib only when drawn

    values = {key[0]: total for key, total in zip(table.row_keys, table.row_totals, strict=True) if key[0]}
    return map_render(
        values,
        country=question["country"],
        title=table.title,
        legend=table.measure_label,
        format=extension,
        language=language,
    )
