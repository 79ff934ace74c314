"""Sheets for the import tests: CSV and XLSX bytes from rows, a documentation team, and driving an import
to its end through the service, one chunk per call as the progress page does."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import openpyxl

from ferry.incidents import imports
from ferry.incidents.import_models import ImportJob
from ferry.incidents.models import Perpetrator, Term
from ferry.incidents.seed import vocabularies_seed
from ferry.incidents.services import PerpetratorData, perpetrator_create
from ferry.vault.keyring import KeyRing

HEADINGS = ["Title", "Start", "Precision", "End", "Country", "Region", "Story", "Name", "Act", "Method", "Who"]
MAPPING = {
    "title": 0,
    "start": 1,
    "start_precision": 2,
    "end": 3,
    "country": 4,
    "subdivision": 5,
    "narrative": 6,
    "victim_name": 7,
    "act_type": 8,
    "method": 9,
    "perpetrators": 10,
}


def good_row(n: int) -> list[str]:
    return [
        f"Detention {n}",
        "2017-03-15",
        "",
        "2017-04-02",
        "RU",
        "RU-CE",
        f"story {n}",
        f"name {n}",
        "torture",
        "",
        "",
    ]


def csv_bytes(rows: Sequence[Sequence[str]], headings: Sequence[str] = HEADINGS, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headings)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence[Any]], headings: Sequence[str] = HEADINGS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headings))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ring_of(person: Any) -> KeyRing:
    return KeyRing(staff_id=person.staff.pk, private_key=person.private_key)


def documentation_setup(make_staff: Any) -> dict[str, Any]:
    """An administrator (the escrow key), two documenters and an analyst; the seeded vocabularies; a unit."""
    vocabularies_seed(Term)
    team = {
        "admin": make_staff("administrator"),
        "documenter": make_staff("documenter"),
        "documenter2": make_staff("documenter"),
        "analyst": make_staff("analyst"),
    }
    team["unit"] = perpetrator_create(
        staff=team["documenter"].staff,
        data=PerpetratorData(kind=Perpetrator.Kind.UNIT, perpetrator_type="police", name_original="ППСП-2"),
    )
    return team


def started(person: Any, content: bytes, name: str = "sheet.csv") -> ImportJob:
    return imports.import_start(staff=person.staff, handle=io.BytesIO(content), name=name)


def steps(person: Any, job: ImportJob, *, until: Sequence[str], limit: int = 1000) -> ImportJob:
    """Call import_step until the job reaches one of the states in `until`."""
    for _ in range(limit):
        job = imports.import_step(ring=ring_of(person), staff=person.staff, job_id=job.pk)
        if job.state in until:
            return job
    raise AssertionError(f"the import stayed {job.state}")


def mapped_and_checked(person: Any, content: bytes, name: str = "sheet.csv") -> ImportJob:
    job = started(person, content, name)
    imports.import_map(ring=ring_of(person), staff=person.staff, job_id=job.pk, mapping=dict(MAPPING))
    return steps(person, job, until=[ImportJob.State.CHECKED])
