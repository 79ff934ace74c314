"""Reading a spreadsheet's rows and checking each against the documentation's rules: which field each column
may hold, how a cell becomes a date, a code or a number, and every reason a row is refused.

Pure but for the look-ups of codes, perpetrators and cases (one query per vocabulary, one for the names of a
chunk, and the case door once per case named). A row is one incident, with at most one victim and one act;
the act takes the incident's dates.
Every refusal is a translated sentence naming the field, never the cell's content."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any
from zipfile import BadZipFile

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ferry.core.text import decimal_number
from ferry.incidents.models import Degree, Perpetrator, PlacePrecision, Precision, Term, Vocabulary
from ferry.incidents.services import (
    SOGIESC,
    DocumentationError,
    IncidentData,
    PartialDate,
    VictimData,
    _incident_fields,
    _location_check,
    case_reference_of,
    dates_check,
    name_key,
)
from ferry.intake.places import is_country

# Names of several perpetrators in one cell are separated by this.
NAME_SEPARATOR = ";"
# Built once: a choices class makes a new list each time its values are read, twice per row.
DEGREES = frozenset(Degree.values)
PLACE_PRECISIONS = frozenset(PlacePrecision.values)


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str | Promise
    required: bool = False


FIELDS: tuple[ImportField, ...] = (
    ImportField("title", gettext_lazy("Title"), required=True),
    ImportField("start", gettext_lazy("Start date"), required=True),
    ImportField("start_precision", gettext_lazy("Start date precision")),
    ImportField("end", gettext_lazy("End date")),
    ImportField("end_precision", gettext_lazy("End date precision")),
    ImportField("country", gettext_lazy("Country (ISO code)"), required=True),
    ImportField("subdivision", gettext_lazy("Region (ISO 3166-2 code)")),
    ImportField("place_precision", gettext_lazy("Place precision (1-3)")),
    ImportField("victim_count", gettext_lazy("Number of victims")),
    ImportField("narrative", gettext_lazy("Narrative")),
    ImportField("location", gettext_lazy("Exact location")),
    ImportField("notes", gettext_lazy("Notes")),
    ImportField("victim_name", gettext_lazy("Victim's name")),
    ImportField("victim_age", gettext_lazy("Victim's age")),
    ImportField("sexual_orientation", gettext_lazy("Sexual orientation")),
    ImportField("gender_identity", gettext_lazy("Gender identity")),
    ImportField("gender_expression", gettext_lazy("Gender expression")),
    ImportField("sex_characteristics", gettext_lazy("Sex characteristics")),
    ImportField("case_reference", gettext_lazy("Victim's case in Ferry (reference)")),
    ImportField("act_type", gettext_lazy("Act type (code)")),
    ImportField("method", gettext_lazy("Method (code)")),
    ImportField("consequence", gettext_lazy("Consequence (code)")),
    ImportField("perpetrator_type", gettext_lazy("Perpetrator type (code)")),
    ImportField("perpetrators", gettext_lazy("Perpetrators in the register (names, separated by ;)")),
    ImportField("degree", gettext_lazy("Perpetrators' part (code)")),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
REQUIRED = tuple(f.name for f in FIELDS if f.required)
VICTIM_FIELDS = ("victim_name", "victim_age", *SOGIESC, "case_reference")
ACT_DETAIL_FIELDS = ("method", "consequence", "perpetrator_type", "perpetrators", "degree")


def field_label(name: str) -> str:
    return next((str(f.label) for f in FIELDS if f.name == name), name)


# ------------------------------------------------------------------------------------------ reading


class SheetError(DocumentationError):
    """The file cannot be read as a sheet."""


def _cell(value: Any) -> str:
    """A cell as text: dates as ISO days, whole numbers without ".0", nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def csv_rows(handle: IO[bytes]) -> Iterator[list[str]]:
    """The rows of a CSV file (UTF-8, with or without a byte-order mark; comma or semicolon), one at a time."""
    # newline="": a quoted cell may hold line breaks, which the csv module reads itself.
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
        # Spreadsheets saved in a Russian locale separate cells with semicolons.
        delimiter = ";" if first.count(";") > first.count(",") else ","

        def lines() -> Iterator[str]:
            yield first
            yield from text

        for row in csv.reader(lines(), delimiter=delimiter):
            yield [cell.strip() for cell in row]
    except (UnicodeDecodeError, csv.Error):
        raise SheetError(_("This file is not a CSV file in UTF-8. Save it as CSV (UTF-8) and try again.")) from None


def xlsx_rows(handle: IO[bytes]) -> Iterator[list[str]]:
    """The rows of an XLSX workbook's first sheet, one at a time (read-only mode: memory stays flat)."""
    # openpyxl is large: loaded when a workbook is read, not by every worker as it loads the URLs.
    import openpyxl  # noqa: PLC0415

    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError):
        raise SheetError(_("This file is not an XLSX workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in row]
    finally:
        workbook.close()


def sheet_rows(handle: IO[bytes], kind: str) -> Iterator[list[str]]:
    """Non-empty rows of the file, trailing empty cells dropped."""
    rows = xlsx_rows(handle) if kind == "xlsx" else csv_rows(handle)
    for row in rows:
        while row and not row[-1]:
            row.pop()
        if row:
            yield row


# ------------------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class Involved:
    perpetrator: Perpetrator | None
    perpetrator_type: Term
    degree: str


@dataclass(frozen=True)
class RowPlan:
    """A row that passed every check: what it will create."""

    incident: IncidentData
    fields: dict[str, Any]  # the incident's clear fields, as services._incident_fields makes them
    victim: VictimData | None
    act_type: Term | None
    method: Term | None
    consequence: Term | None
    involved: tuple[Involved, ...] = ()


@dataclass
class RowProblems:
    """Why a row is refused: (field name, translated sentence) pairs."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.items.append((name, message))


class Lookups:
    """Live vocabulary terms by code, registered perpetrators by name, and the cases the importer may link a
    victim to, for one chunk of rows. `case_open` answers through the case door: False for a case that does
    not exist and for one the importer cannot open alike."""

    def __init__(self, case_open: Callable[[str], bool] | None = None) -> None:
        self._terms: dict[str, dict[str, Term]] = {}
        self._perpetrators: dict[str, list[Perpetrator]] = {}
        self._case_open = case_open
        self._cases: dict[str, bool] = {}

    def case(self, reference: str) -> bool:
        """Whether a victim may be linked to this case (the door is asked once per case and chunk)."""
        if reference not in self._cases:
            self._cases[reference] = self._case_open is not None and self._case_open(reference)
        return self._cases[reference]

    def term(self, vocabulary: str, code: str) -> Term | None:
        if vocabulary not in self._terms:
            live = Term.objects.filter(vocabulary=vocabulary, deprecated_at__isnull=True)
            self._terms[vocabulary] = {t.code: t for t in live}
        return self._terms[vocabulary].get(code.strip().lower())

    def perpetrators_load(self, names: Iterable[str]) -> None:
        keys = {name_key(n) for n in names} - self._perpetrators.keys()
        if not keys:
            return
        for key in keys:
            self._perpetrators[key] = []
        for p in Perpetrator.objects.filter(name_key__in=keys).select_related("perpetrator_type"):
            self._perpetrators[p.name_key].append(p)

    def perpetrators(self, name: str) -> list[Perpetrator]:
        key = name_key(name)
        self.perpetrators_load([name])
        return self._perpetrators[key]


ISO_DATE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
DOTTED_DATE = re.compile(r"(?:(\d{1,2})\.)?(\d{1,2})\.(\d{4})")


def precision_of(text: str) -> str | None:
    """A precision code from a code or a label in English or Russian; None if unknown."""
    wanted = text.strip().casefold()
    for value, label in Precision.choices:
        if wanted in (value, str(label).casefold()):
            return str(value)
    return None


def partial_date(text: str, precision_text: str) -> PartialDate | None:
    """A partial date from 2017-03-15, 2017-03, 2017, 15.03.2017 or 03.2017; None if it cannot be read.
    Without a precision cell, the precision is what the text gives (day, month or year)."""
    iso = ISO_DATE.fullmatch(text.strip())
    dotted = DOTTED_DATE.fullmatch(text.strip())
    if iso:
        year, month, day = (int(p) if p else None for p in iso.groups())
    elif dotted:
        day, month, year = (int(p) if p else None for p in dotted.groups())
    else:
        return None
    if year is None:
        return None
    given = Precision.DAY if day else Precision.MONTH if month else Precision.YEAR
    precision = precision_of(precision_text) if precision_text.strip() else str(given)
    if precision is None:
        return None
    return PartialDate(year=year, month=month, day=day, precision=precision)


def _number(text: str) -> int | None:
    return decimal_number(text.strip())


def _dates(values: dict[str, str], problems: RowProblems) -> tuple[PartialDate | None, PartialDate | None]:
    start = None
    if values.get("start"):
        start = partial_date(values["start"], values.get("start_precision", ""))
        if start is None:
            problems.add("start", _("Write the date as 2017-03-15, 2017-03 or 2017, with a known precision."))
    end = None
    if values.get("end"):
        end = partial_date(values["end"], values.get("end_precision", ""))
        if end is None:
            problems.add("end", _("Write the date as 2017-03-15, 2017-03 or 2017, with a known precision."))
    elif values.get("end_precision"):
        problems.add("end", _("A precision is given for an end date that is empty."))
    return start, end


def _terms(values: dict[str, str], lookups: Lookups, problems: RowProblems) -> dict[str, Term | None]:
    vocabularies = {
        "act_type": Vocabulary.ACT_TYPE,
        "method": Vocabulary.METHOD,
        "consequence": Vocabulary.CONSEQUENCE,
        "perpetrator_type": Vocabulary.PERPETRATOR_TYPE,
    }
    found: dict[str, Term | None] = {}
    for name, vocabulary in vocabularies.items():
        code = values.get(name, "")
        found[name] = None
        if code:
            found[name] = lookups.term(vocabulary, code)
            if found[name] is None:
                problems.add(name, _("Unknown code: use a code from the vocabulary."))
    return found


def _involved(
    values: dict[str, str], kind: Term | None, lookups: Lookups, problems: RowProblems
) -> tuple[Involved, ...]:
    degree = values.get("degree", "").strip().lower() or Degree.UNKNOWN
    if degree not in DEGREES:
        problems.add("degree", _("Unknown code: use a code from the list of perpetrators' parts."))
        return ()
    names = [n.strip() for n in values.get("perpetrators", "").split(NAME_SEPARATOR) if n.strip()]
    keys = [name_key(n) for n in names]
    if len(set(keys)) != len(keys):
        problems.add("perpetrators", _("The same perpetrator is named twice in this row."))
        return ()
    involved: list[Involved] = []
    for name in names:
        matches = lookups.perpetrators(name)
        if not matches:
            problems.add("perpetrators", _("A perpetrator here is not in the register: add them there first."))
        elif len(matches) > 1:
            problems.add("perpetrators", _("A name here matches several perpetrators in the register."))
        else:
            involved.append(Involved(matches[0], matches[0].perpetrator_type, degree))
    if not names and kind is not None:
        involved.append(Involved(None, kind, degree))
    if names and kind is not None:
        problems.add("perpetrator_type", _("Give either perpetrators from the register or a type, not both."))
    return tuple(involved)


def _case(values: dict[str, str], lookups: Lookups, problems: RowProblems) -> str:
    reference = case_reference_of(values.get("case_reference", ""))
    if reference and not lookups.case(reference):
        # The door's own answer: a case that does not exist and one the importer cannot open read the same.
        problems.add("case_reference", _("No such case."))
    return reference


def row_check(values: dict[str, str], lookups: Lookups) -> RowPlan | RowProblems:
    """The plan of one row, or every reason it is refused."""
    problems = RowProblems()
    for name in REQUIRED:
        if not values.get(name):
            problems.add(name, _("This cell is empty; it is required."))
    start, end = _dates(values, problems)
    if start is not None:
        try:
            dates_check(start, end)
        except DocumentationError as exc:
            problems.add("", str(exc))
    if values.get("country"):
        try:
            _location_check(values["country"].strip().upper(), values.get("subdivision", "").strip().upper())
        except DocumentationError as exc:
            problems.add("subdivision" if is_country(values["country"].strip().upper()) else "country", str(exc))
    place_precision = _number(values.get("place_precision", "") or "3")
    if place_precision not in PLACE_PRECISIONS:
        problems.add("place_precision", _("Write 1 (exact place), 2 (district or town) or 3 (region)."))
    victim_count = _number(values.get("victim_count", "") or "1")
    if victim_count is None:
        problems.add("victim_count", _("Write the number of victims as a whole number."))
    terms = _terms(values, lookups, problems)
    involved = _involved(values, terms["perpetrator_type"], lookups, problems)
    case_reference = _case(values, lookups, problems)
    has_act_detail = any(values.get(name) for name in ACT_DETAIL_FIELDS)
    if has_act_detail and not values.get("act_type"):
        problems.add("act_type", _("An act type is needed for its method, consequence or perpetrators."))
    if problems.items or start is None:
        return problems
    incident = IncidentData(
        title=values.get("title", ""),
        start=start,
        end=end,
        country=values.get("country", "").strip().upper(),
        subdivision=values.get("subdivision", "").strip().upper(),
        place_precision=place_precision or 3,
        victim_count=victim_count or 0,
        narrative=values.get("narrative", ""),
        location=values.get("location", ""),
        notes=values.get("notes", ""),
    )
    try:
        fields = _incident_fields(incident)
    except DocumentationError as exc:
        # Any rule of the page's own checks not already said of a cell above: said of the row.
        problems.add("", str(exc))
        return problems
    victim = None
    if terms["act_type"] is not None or any(values.get(name) for name in VICTIM_FIELDS):
        victim = VictimData(
            name=values.get("victim_name", ""),
            age=values.get("victim_age", ""),
            **{name: values.get(name, "") for name in SOGIESC},
            case_reference=case_reference,
        )
    return RowPlan(
        incident=incident,
        fields=fields,
        victim=victim,
        act_type=terms["act_type"],
        method=terms["method"],
        consequence=terms["consequence"],
        involved=involved,
    )


def row_values(row: list[str], mapping: dict[str, int]) -> dict[str, str]:
    """The row's cells by field name, per the mapping (a column beyond the row's end is empty)."""
    return {name: (row[index] if index < len(row) else "") for name, index in mapping.items()}
