"""A published table as CSV or XLSX: headings, rows with their totals, the totals row, then the method.
A suppressed cell is written "[c]" (as statistics offices mark confidential cells), never as zero."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import override

from ferry.advocacy.tables import Table
from ferry.core.text import decimal_number

SUPPRESSED = "[c]"


def _shown(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


def _formula_safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @) is written with a leading apostrophe."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def table_lines(table: Table, language: str) -> Iterator[list[str]]:
    with override(language):
        yield [table.title]
        yield [*table.row_headings, *table.columns, *([_("Total")] if table.column_heading else [])]
        for labels, cells, total in zip(table.rows, table.cells, table.row_totals, strict=True):
            yield [*labels, *map(_shown, cells), *([_shown(total)] if table.column_heading else [])]
        blank = [""] * max(len(table.row_headings) - 1, 0)
        yield [
            _("Total"),
            *blank,
            *map(_shown, table.column_totals),
            *([_shown(table.total)] if table.column_heading else []),
        ]
        yield []
        yield [_("%(mark)s: suppressed to protect the people counted.") % {"mark": SUPPRESSED}]
        for sentence in table.method:
            yield [sentence]


def table_csv(table: Table, language: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for line in table_lines(table, language):
        writer.writerow([_formula_safe(cell) for cell in line])
    return out.getvalue().encode("utf-8")


def table_xlsx(table: Table, language: str) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - loaded only when a spreadsheet is asked for
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Table")[:31])
    for line in table_lines(table, language):
        row = []
        for value in line:
            number = decimal_number(value)
            if number is not None:
                row.append(number)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, even when it starts with "=" (never a formula)
            row.append(cell)
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
