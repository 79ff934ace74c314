"""The team's export of incidents (CSV or XLSX): what the clear filters select, one row per act (an incident
without acts is one row), in the import's columns so a sheet can go out and come back. Clear fields for
everyone; sealed fields only where the reader holds the key set, blank otherwise. Audited, with no content.

Not for outsiders: anything leaving the organisation goes through advocacy's release door (P7)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.audit.services import audit_record
from ferry.core.permissions import require
from ferry.incidents.import_rows import FIELDS, NAME_SEPARATOR
from ferry.incidents.models import Act, Incident, Victim
from ferry.incidents.selectors import Filters, ordered
from ferry.incidents.services import SOGIESC, DocumentationError
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing

# An export is built in one request; past this many incidents, narrow the filters.
EXPORT_LIMIT = 20_000
BATCH = 500
COLUMNS = ("reference", *(f.name for f in FIELDS), "verification", "place")
SEALED = ("title", "narrative", "location", "notes", "victim_name", "victim_age", *SOGIESC)


@dataclass(frozen=True)
class Made:
    content: bytes
    content_type: str
    filename: str
    rows: int
    incidents: int


def headings() -> list[str]:
    labels = {f.name: str(f.label) for f in FIELDS}
    return [
        labels.get(
            name, {"reference": _("Reference"), "verification": _("Verification"), "place": _("Place")}.get(name, name)
        )
        for name in COLUMNS
    ]


def _rows(ring: KeyRing | None, incidents: list[Incident]) -> Iterator[list[str]]:
    keys = {} if ring is None else ring.keys_for([i.key_set for i in incidents])
    acts: dict[object, list[Act]] = {}
    for act in (
        Act.objects.filter(incident__in=incidents)
        .select_related("act_type", "method", "consequence")
        .prefetch_related("involvements__perpetrator", "involvements__perpetrator_type")
        .order_by("start_date", "created_at")
    ):
        acts.setdefault(act.incident_id, []).append(act)
    victims = {v.pk: v for v in Victim.objects.filter(incident__in=incidents).select_related("key_set")}
    victim_keys = {} if ring is None else ring.keys_for([v.key_set for v in victims.values()])
    for incident in incidents:
        key = keys.get(incident.key_set_id)
        base = {
            "reference": incident.reference,
            "start": incident.start_date.isoformat(),
            "start_precision": incident.start_precision,
            "end": incident.end_date.isoformat() if incident.end_date else "",
            "end_precision": incident.end_precision,
            "country": incident.country,
            "subdivision": incident.subdivision,
            "place_precision": str(incident.place_precision),
            "victim_count": str(incident.victim_count),
            "verification": incident.verification,
            "place": incident.place.name if incident.place else "",
        }
        if key is not None:
            base["title"] = keysets.open_json(key, incident, "card").get("title", "")
            for name in ("narrative", "location", "notes"):
                base[name] = keysets.open_field(key, incident, name) or ""
        listed: list[Act | None] = [*acts.get(incident.pk, [])] or [None]
        for one in listed:
            row = dict(base)
            if one is not None:
                row |= _act(one, victims.get(one.victim_id), victim_keys)
            yield [row.get(name, "") for name in COLUMNS]


def _act(act: Act, victim: Victim | None, victim_keys: dict[int, bytes]) -> dict[str, str]:
    involvements = list(act.involvements.all())
    named = [i.perpetrator.name_original for i in involvements if i.perpetrator is not None]
    kinds = {i.perpetrator_type.code for i in involvements if i.perpetrator is None}
    row = {
        "act_type": act.act_type.code,
        "method": act.method.code if act.method else "",
        "consequence": act.consequence.code if act.consequence else "",
        "perpetrators": f"{NAME_SEPARATOR} ".join(named),
        "perpetrator_type": "" if named else NAME_SEPARATOR.join(sorted(kinds)),
        "degree": involvements[0].degree if len({i.degree for i in involvements}) == 1 else "",
    }
    key = None if victim is None else victim_keys.get(victim.key_set_id)
    if victim is not None and key is not None:
        identity = keysets.open_json(key, victim, "identity")
        row["victim_name"] = identity.get("name", "")
        row["victim_age"] = identity.get("age", "")
        row |= {name: identity.get(name, "") for name in SOGIESC}
        # The link to a case, sealed with the identity: for those who hold the victim (an import takes it back).
        row["case_reference"] = keysets.open_field(key, victim, "case_link") or ""
    return row


def export_incidents(*, ring: KeyRing | None, staff: Staff, filters: Filters, kind: str) -> Made:
    """The file, built in memory a batch of incidents at a time."""
    require(staff, Role.DOCUMENTER, Role.ANALYST)
    rows = ordered(filters).select_related("key_set", "place")
    count = rows.count()
    if count > EXPORT_LIMIT:
        raise DocumentationError(
            _("This would export %(n)s incidents; narrow the filters to %(limit)s at most.")
            % {"n": count, "limit": EXPORT_LIMIT}
        )
    stamp = timezone.localdate().isoformat()
    written = 0
    if kind == "xlsx":
        # openpyxl is large: loaded when a workbook is written, not by every worker as it loads the URLs.
        import openpyxl  # noqa: PLC0415

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(headings())
        for batch in _batches(rows):
            for row in _rows(ring, batch):
                sheet.append([_text_cell(sheet, cell) for cell in row])
                written += 1
        out = io.BytesIO()
        book.save(out)
        content, content_type = out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headings())
        for batch in _batches(rows):
            for row in _rows(ring, batch):
                writer.writerow([_formula_safe(cell) for cell in row])
                written += 1
        content, content_type = ("\ufeff" + text.getvalue()).encode(), "text/csv; charset=utf-8"
    audit_record(action="incident.export", actor_id=staff.pk, object_type="export", object_id=str(count))
    return Made(content, content_type, f"incidents-{stamp}.{kind}", written, count)


def _batches(rows: QuerySet[Incident]) -> Iterator[list[Incident]]:
    start = 0
    while True:
        batch = list(rows[start : start + BATCH])
        if not batch:
            return
        yield batch
        start += BATCH


def _formula_safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @) is written with a leading apostrophe."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def _text_cell(sheet: Any, value: str) -> Any:
    """A cell that holds text even when it starts with "=" (openpyxl would otherwise write a formula)."""
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 - see export_incidents

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
