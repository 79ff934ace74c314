"""Importing a spreadsheet into the documentation, chunk by chunk, in the importer's own session.

No background job ever holds a key (DESIGN.md), so the import is driven by the importer's browser: each
chunk is one request (a page that refreshes itself), reads one sealed segment of SEGMENT_ROWS rows and
moves the job's cursor in the same transaction as what it wrote. An interrupted chunk leaves nothing and
the next request does it again; a chunk with a refused row writes nothing and stops the import; until the
importer confirms, undo removes everything the import made (its key sets shredded, its rows deleted).

The steps: import_start (the sheet read as it streams, sealed in segments under a key set of the importer's),
import_map (which column is which field), then import_step runs the dry run, the import or the undo, one
chunk per call; import_run, import_resume, import_undo and import_confirm move between them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.audit.services import audit_record
from ferry.core.doors import own_record
from ferry.core.errors import NotFound
from ferry.core.permissions import require
from ferry.incidents import act_counts, term_index
from ferry.incidents.import_models import ImportedIncident, ImportJob
from ferry.incidents.import_rows import (
    FIELD_NAMES,
    REQUIRED,
    Lookups,
    RowPlan,
    RowProblems,
    SheetError,
    field_label,
    row_check,
    row_values,
    sheet_rows,
)
from ferry.incidents.models import Act, Incident, Involvement, Victim
from ferry.incidents.services import (
    SOGIESC,
    DocumentationError,
    _case_caseworkers,
    _clean,
    _linked_case,
    documentation_team,
)
from ferry.intake.submission import reference_new
from ferry.vault import files, keysets
from ferry.vault.keyring import KeyRing
from ferry.vault.models import KeySet
from ferry.vault.rows import rows_insert

SEGMENT_ROWS = 500
# The dry run writes no records, only counts and its sealed report: one request checks this many segments.
CHECK_SEGMENTS = 8
MAX_ROWS = 200_000
MAX_COLUMNS = 80
# The first refusals kept for the report; past this, rows are only counted.
REPORT_KEEP = 500
State = ImportJob.State
UNCONFIRMED = (State.IMPORTING, State.STOPPED, State.IMPORTED)


@dataclass(frozen=True)
class Refusal:
    row: int  # as the spreadsheet numbers it: the headings are row 1
    field: str
    message: str

    @property
    def label(self) -> str:
        return field_label(self.field) if self.field else ""


def _audit(action: str, staff: Staff, job: ImportJob) -> None:
    audit_record(action=f"import.{action}", actor_id=staff.pk, object_type="import", object_id=job.pk.hex)


def _put(job: ImportJob, key: bytes, value: Any) -> str:
    data = json.dumps(value, ensure_ascii=False).encode()
    return str(files.file_put(key_set=job.key_set, content=data, set_key=key))


def _get(key: bytes, file_id: str) -> Any:
    return json.loads(files.file_get(file_id=uuid.UUID(file_id), set_key=key))


# ------------------------------------------------------------------------------------------ the door


def import_of(*, staff: Staff, job_id: object) -> ImportJob:
    """The importer's own job, as far as its clear fields go (its state and counts); anyone else's is NotFound."""
    require(staff, Role.DOCUMENTER)
    rows = ImportJob.objects.select_related("key_set").filter(staff=staff)
    return own_record(rows, record_id=job_id, missing=_("No such import."))


def access_import(*, ring: KeyRing | None, staff: Staff, job_id: object) -> tuple[ImportJob, bytes]:
    """The importer's own job and its key; anyone else's, none, or one whose sheet is shredded is NotFound."""
    job = import_of(staff=staff, job_id=job_id)
    key = None if ring is None else ring.keys_for([job.key_set]).get(job.key_set_id)
    if key is None:
        raise NotFound(_("No such import."))
    return job, key


# ------------------------------------------------------------------------------------------ upload


def _segments(rows: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    batch: list[list[str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == SEGMENT_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def import_start(*, staff: Staff, handle: IO[bytes], name: str) -> ImportJob:
    """Read the sheet as it streams and seal it in segments under a new key set of the importer's own.

    The headings are the first non-empty row. Nothing is kept in clear, not even for a moment on disk;
    a sheet refused half-way leaves nothing (its rows roll back and its stored segments are removed)."""
    require(staff, Role.DOCUMENTER)
    kind = "xlsx" if name.lower().endswith(".xlsx") else "csv" if name.lower().endswith(".csv") else ""
    if not kind:
        raise SheetError(_("Choose a CSV or an XLSX file."))
    stored: list[str] = []
    try:
        with transaction.atomic():
            return _sheet_seal(staff, handle, name, kind, stored)
    except BaseException:
        # Its key set and file keys rolled back: the segments already stored open for nobody; gone at once.
        files.stored_files_discard(stored)
        raise


def _sheet_seal(staff: Staff, handle: IO[bytes], name: str, kind: str, stored: list[str]) -> ImportJob:
    try:
        key_set, key = keysets.keyset_create(purpose=KeySet.Purpose.DOCUMENTATION, grant_to=[staff.pk])
    except keysets.NoStaffKey:
        raise DocumentationError(_("You need a confirmed key first.")) from None
    now = timezone.now()
    job = ImportJob(staff=staff, key_set=key_set, kind=kind, created_at=now, updated_at=now, head_file=uuid.uuid4())
    rows = sheet_rows(handle, kind)
    headings = next(rows, None)
    if not headings:
        raise SheetError(_("The file is empty."))
    if len(headings) > MAX_COLUMNS:
        raise SheetError(_("The sheet has too many columns."))
    head: dict[str, Any] = {"headings": headings, "samples": []}
    for segment in _segments(rows):
        job.rows += len(segment)
        if job.rows > MAX_ROWS:
            raise SheetError(_("The sheet has too many rows: split it into several files."))
        if len(head["samples"]) < 3:
            head["samples"] += segment[: 3 - len(head["samples"])]
        job.columns = max(job.columns, len(headings), *(len(r) for r in segment))
        job.segments.append(_put(job, key, segment))
        stored.append(job.segments[-1])
    if not job.rows:
        raise SheetError(_("The sheet has headings but no rows."))
    head["name"] = name
    job.head_file = uuid.UUID(_put(job, key, head))
    stored.append(str(job.head_file))
    job.save(force_insert=True)
    _audit("start", staff, job)
    return job


def import_head(job: ImportJob, key: bytes) -> dict[str, Any]:
    """The sheet's headings, its first rows and its file name (sealed; opened for the mapping page)."""
    return dict(_get(key, str(job.head_file)))


# ------------------------------------------------------------------------------------------ mapping


def import_map(*, ring: KeyRing | None, staff: Staff, job_id: object, mapping: dict[str, int | None]) -> ImportJob:
    """Say which column holds which field, and start the dry run."""
    job, _key = access_import(ring=ring, staff=staff, job_id=job_id)
    if job.state not in (State.MAPPING, State.CHECKED):
        raise DocumentationError(_("This import has already begun."))
    chosen = {name: index for name, index in mapping.items() if index is not None and name in FIELD_NAMES}
    missing = [field_label(name) for name in REQUIRED if name not in chosen]
    if missing:
        raise DocumentationError(_("Choose a column for: %(fields)s.") % {"fields": ", ".join(missing)})
    if any(not 0 <= index < job.columns for index in chosen.values()):
        raise DocumentationError(_("Choose columns of the sheet."))
    if len(set(chosen.values())) != len(chosen):
        raise DocumentationError(_("Each column can hold one field only."))
    _reports_drop(job)
    job.mapping = chosen
    job.state = State.CHECKING
    job.cursor = 0
    job.rows_failed = 0
    job.rows_done = 0
    job.updated_at = timezone.now()
    job.save()
    _audit("map", staff, job)
    return job


def _reports_drop(job: ImportJob) -> None:
    ids = [file_id for _segment, file_id in job.report_files]
    if ids:
        files.files_delete(ids)
    job.report_files = []


def import_report(job: ImportJob, key: bytes, limit: int = REPORT_KEEP) -> list[Refusal]:
    """The dry run's (or a stopped import's) refused rows, first ones first, at most `limit`."""
    out: list[Refusal] = []
    for _segment, file_id in sorted(job.report_files):
        for row, field, message in _get(key, file_id):
            out.append(Refusal(row=row, field=field, message=message))
            if len(out) >= limit:
                return out
    return out


# ------------------------------------------------------------------------------------------ chunks


def _claim(job: ImportJob, state: str, segments: int = 1) -> bool:
    """Move the cursor on, if no other request did it first: the chunk's claim, in its own transaction."""
    return bool(
        ImportJob.objects.filter(pk=job.pk, state=state, cursor=job.cursor).update(
            cursor=F("cursor") + segments, updated_at=timezone.now()
        )
    )


def _case_door(ring: KeyRing | None, staff: Staff) -> Callable[[str], bool]:
    """Whether the importer may link a victim to a case: only through the case door (a caseworker or
    coordinator holding the case), which answers a missing case and a forbidden one alike and audits a refusal
    of one that exists. No content of the case is decrypted."""

    def can_open(reference: str) -> bool:
        try:
            _linked_case(ring, staff, reference)
        except DocumentationError:
            return False
        return True

    return can_open


def _checked(
    job: ImportJob, key: bytes, segment: int, lookups: Lookups
) -> tuple[list[tuple[int, RowPlan]], list[list[Any]]]:
    rows = _get(key, job.segments[segment])
    plans: list[tuple[int, RowPlan]] = []
    refused: list[list[Any]] = []
    first_row = 2 + segment * SEGMENT_ROWS
    values = [row_values(row, job.mapping) for row in rows]
    lookups.perpetrators_load(n for v in values for n in v.get("perpetrators", "").split(";") if n.strip())
    for offset, row in enumerate(values):
        result = row_check(row, lookups)
        if isinstance(result, RowProblems):
            refused += [[first_row + offset, name, message] for name, message in result.items]
        else:
            plans.append((first_row + offset, result))
    return plans, refused


def _check_step(job: ImportJob, key: bytes, staff: Staff, ring: KeyRing | None) -> None:
    """Dry-run CHECK_SEGMENTS segments: it writes only counts and the sealed report, so one request takes several."""
    first = job.cursor
    last = min(len(job.segments), first + CHECK_SEGMENTS)
    lookups = Lookups(case_open=_case_door(ring, staff))
    refusals = [(segment, _checked(job, key, segment, lookups)[1]) for segment in range(first, last)]
    with transaction.atomic():
        if not _claim(job, State.CHECKING, last - first):
            return
        failed = job.rows_failed
        for segment, refused in refusals:
            if refused and failed < REPORT_KEEP:
                job.report_files.append([segment, _put(job, key, refused[:REPORT_KEEP])])
            failed += len({r[0] for r in refused})
        updates: dict[str, Any] = {"rows_failed": F("rows_failed") + (failed - job.rows_failed)}
        if any(refused for _segment, refused in refusals):
            updates["report_files"] = job.report_files
        if last >= len(job.segments):
            updates["state"] = State.CHECKED
        ImportJob.objects.filter(pk=job.pk).update(**updates)
        if last >= len(job.segments):
            _audit("check", staff, job)


def _references(count: int) -> list[str]:
    """Fresh references, none taken; a clash racing in fails the chunk's insert, and the next request retries."""
    wanted: set[str] = set()
    while len(wanted) < count:
        fresh = {reference_new() for _ in range(count - len(wanted))} - wanted
        fresh -= set(Incident.objects.filter(reference__in=fresh).values_list("reference", flat=True))
        wanted |= fresh
    return sorted(wanted)


KeySetPairs = Iterator[tuple[KeySet, bytes]]


def _key_sets(staff: Staff, plans: list[tuple[int, RowPlan]]) -> tuple[KeySetPairs, dict[str, KeySetPairs]]:
    """The chunk's new key sets, one batch per set of holders: the incidents' and the unlinked victims' (to the
    importer, the documentation team and escrow), then, per case linked to, its victims' (to the case's
    caseworkers too)."""
    holders = {staff.pk, *documentation_team()}
    linked: dict[str, int] = {}
    unlinked = 0
    for _row, plan in plans:
        if plan.victim is not None and plan.victim.case_reference:
            linked[plan.victim.case_reference] = linked.get(plan.victim.case_reference, 0) + 1
        elif plan.victim is not None:
            unlinked += 1
    purpose = KeySet.Purpose.DOCUMENTATION
    try:
        shared = keysets.keysets_create_many(purpose=purpose, grant_to=holders, count=len(plans) + unlinked)
        for_case = {
            reference: iter(
                keysets.keysets_create_many(
                    purpose=purpose, grant_to=holders | set(_case_caseworkers(reference)), count=count
                )
            )
            for reference, count in linked.items()
        }
    except keysets.NoStaffKey:
        raise DocumentationError(_("Everyone it is shared with needs a confirmed key first.")) from None
    return iter(shared), for_case


def _write(job: ImportJob, staff: Staff, segment: int, plans: list[tuple[int, RowPlan]]) -> None:
    """Write everything one chunk makes (the chunk's transaction is the caller's): the incidents, each under its
    own key set, and their victims, each under theirs, sealed as incident_create and victim_add seal them — to
    the importer, the documentation team and escrow; a victim linked to a case also to the case's caseworkers,
    who so get that victim and nothing else of the incident, with the link sealed and audited as the page does.
    Every row an import writes is written here."""
    pairs, for_case = _key_sets(staff, plans)
    now = timezone.now()
    incidents: list[Incident] = []
    made: list[Victim] = []
    acts: list[Act] = []
    involvements: list[Involvement] = []
    shared: list[Victim] = []
    # Related rows by id, not by instance: assigning instances is the ORM's slow path, paid several times a row.
    for (_row, plan), reference in zip(plans, _references(len(plans)), strict=True):
        key_set, key = next(pairs)
        fields = dict(plan.fields)
        place = fields.pop("place")
        incident = Incident(
            key_set_id=key_set.pk,
            reference=reference,
            author_id=staff.pk,
            created_at=now,
            updated_at=now,
            place_id=None if place is None else place.pk,
            **fields,
        )
        keysets.seal_json(key, incident, "card", {"title": _clean(plan.incident.title)})
        keysets.seal_field(key, incident, "narrative", _clean(plan.incident.narrative))
        keysets.seal_field(key, incident, "location", _clean(plan.incident.location))
        keysets.seal_field(key, incident, "notes", _clean(plan.incident.notes))
        incidents.append(incident)
        if plan.victim is None:
            continue
        link = plan.victim.case_reference
        victim_set, victim_key = next(for_case[link] if link else pairs)
        victim = Victim(incident_id=incident.pk, key_set_id=victim_set.pk, position=1, created_at=now)
        identity = {"name": _clean(plan.victim.name), "age": _clean(plan.victim.age)}
        identity |= {name: _clean(getattr(plan.victim, name)) for name in SOGIESC}
        keysets.seal_json(victim_key, victim, "identity", identity)
        keysets.seal_field(victim_key, victim, "case_link", link)
        made.append(victim)
        if link:
            shared.append(victim)
        if plan.act_type is None:
            continue
        act = Act(
            incident_id=incident.pk,
            key_set_id=key_set.pk,
            victim_id=victim.pk,
            act_type_id=plan.act_type.pk,
            method_id=None if plan.method is None else plan.method.pk,
            consequence_id=None if plan.consequence is None else plan.consequence.pk,
            start_date=incident.start_date,
            start_precision=incident.start_precision,
            end_date=incident.end_date,
            end_precision=incident.end_precision,
            created_at=now,
        )
        keysets.seal_field(key, act, "notes", "")
        acts.append(act)
        for part in plan.involved:
            involvement = Involvement(
                act_id=act.pk,
                key_set_id=key_set.pk,
                perpetrator_id=None if part.perpetrator is None else part.perpetrator.pk,
                perpetrator_type_id=part.perpetrator_type.pk,
                degree=part.degree,
            )
            keysets.seal_field(key, involvement, "detail", "")
            involvements.append(involvement)
    rows_insert(Incident, incidents)
    rows_insert(Victim, made)
    rows_insert(Act, acts)
    rows_insert(Involvement, involvements)
    term_index.acts_index(incidents, acts, involvements)
    act_counts.imported(incidents, acts)
    rows_insert(
        ImportedIncident,
        [ImportedIncident(job_id=job.pk, incident_id=incident.pk, segment=segment) for incident in incidents],
    )
    # A link shares the victim with the case's caseworkers: audited per victim, as victim_add audits it.
    for victim in shared:
        audit_record(action="victim.create", actor_id=staff.pk, object_type="victim", object_id=victim.pk.hex)


def _import_step(job: ImportJob, key: bytes, staff: Staff, ring: KeyRing | None) -> None:
    segment = job.cursor
    plans, refused = _checked(job, key, segment, Lookups(case_open=_case_door(ring, staff)))
    if refused:
        # Something changed since the dry run (a code deprecated, a perpetrator merged): nothing of this
        # chunk is written; the import stops here with the report, to be resumed or undone.
        with transaction.atomic():
            _reports_drop(job)
            job.report_files = [[segment, _put(job, key, refused[:REPORT_KEEP])]]
            ImportJob.objects.filter(pk=job.pk, state=State.IMPORTING, cursor=segment).update(
                state=State.STOPPED, report_files=job.report_files, updated_at=timezone.now()
            )
            _audit("stop", staff, job)
        return
    with transaction.atomic():
        if not _claim(job, State.IMPORTING):
            return
        _write(job, staff, segment, plans)
        last = segment + 1 >= len(job.segments)
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=F("rows_done") + len(plans), **({"state": State.IMPORTED} if last else {})
        )
        _audit("chunk", staff, job)


def _undo_step(job: ImportJob, staff: Staff) -> None:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().filter(pk=job.pk, state=State.UNDOING).first()
        if locked is None:
            return
        made = list(ImportedIncident.objects.filter(job=job).values_list("incident_id", flat=True)[:SEGMENT_ROWS])
        if not made:
            _reports_drop(job)
            ImportJob.objects.filter(pk=job.pk).update(
                state=State.UNDONE, rows_done=0, report_files=[], updated_at=timezone.now()
            )
            # The sealed sheet goes too: nothing of it is left to read.
            keysets.keysets_shred_many(key_set_ids=[job.key_set_id])
            _audit("undone", staff, job)
            return
        # The incidents' rows locked first (in one order), so no act can be added to one between its acts being
        # taken out of the counts and its deletion.
        locked_rows = Incident.objects.select_for_update().filter(pk__in=made).order_by("pk")
        sets = list(locked_rows.values_list("key_set_id", flat=True))
        sets += list(Victim.objects.filter(incident_id__in=made).values_list("key_set_id", flat=True))
        keysets.keysets_shred_many(key_set_ids=sets)
        act_counts.removing(made)
        try:
            Incident.objects.filter(pk__in=made).delete()
        except ProtectedError:
            raise DocumentationError(
                _("Evidence was added to an imported incident: remove it first, or confirm the import.")
            ) from None
        ImportJob.objects.filter(pk=job.pk).update(rows_done=F("rows_done") - len(made), updated_at=timezone.now())


def import_step(*, ring: KeyRing | None, staff: Staff, job_id: object) -> ImportJob:
    """Do one chunk of whatever the job is doing (dry run, import, undo); the job as it is afterwards."""
    job, key = access_import(ring=ring, staff=staff, job_id=job_id)
    if job.state == State.CHECKING and job.cursor < len(job.segments):
        _check_step(job, key, staff, ring)
    elif job.state == State.IMPORTING and job.cursor < len(job.segments):
        _import_step(job, key, staff, ring)
    elif job.state == State.UNDOING:
        _undo_step(job, staff)
    job.refresh_from_db()
    return job


# ------------------------------------------------------------------------------------------ decisions


def _move(job: ImportJob, staff: Staff, *, allowed: tuple[str, ...], to: str, action: str, **changes: Any) -> None:
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, state__in=allowed).update(
            state=to, updated_at=timezone.now(), **changes
        )
        if not moved:
            raise DocumentationError(_("This import cannot do that now."))
        _audit(action, staff, job)


def import_run(*, ring: KeyRing | None, staff: Staff, job_id: object) -> None:
    """Start the import after a dry run that refused no row."""
    job, _key = access_import(ring=ring, staff=staff, job_id=job_id)
    if job.rows_failed:
        raise DocumentationError(_("Some rows were refused in the dry run: correct the sheet and upload it again."))
    _move(job, staff, allowed=(State.CHECKED,), to=State.IMPORTING, action="run", cursor=0, rows_done=0)


def import_resume(*, ring: KeyRing | None, staff: Staff, job_id: object) -> None:
    """Go on with a stopped import from the chunk where it stopped."""
    job, _key = access_import(ring=ring, staff=staff, job_id=job_id)
    _move(job, staff, allowed=(State.STOPPED,), to=State.IMPORTING, action="resume")


def import_undo(*, ring: KeyRing | None, staff: Staff, job_id: object) -> None:
    """Remove everything the import made (chunk by chunk, as it was made), or drop one that never ran."""
    job, _key = access_import(ring=ring, staff=staff, job_id=job_id)
    allowed = (*UNCONFIRMED, State.MAPPING, State.CHECKING, State.CHECKED)
    _move(job, staff, allowed=allowed, to=State.UNDOING, action="undo")


def import_confirm(*, ring: KeyRing | None, staff: Staff, job_id: object) -> None:
    """Keep what was imported for good: it can no longer be undone as a whole, and the sealed sheet is shredded."""
    job, _key = access_import(ring=ring, staff=staff, job_id=job_id)
    with transaction.atomic():
        _move(job, staff, allowed=(State.IMPORTED,), to=State.CONFIRMED, action="confirm", confirmed_at=timezone.now())
        ImportedIncident.objects.filter(job=job).delete()
        keysets.keysets_shred_many(key_set_ids=[job.key_set_id])


def imports_of(staff: Staff) -> list[ImportJob]:
    """The importer's own imports, newest first (their pages list them; nobody else's)."""
    return list(ImportJob.objects.filter(staff=staff).order_by("-created_at")[:20])
