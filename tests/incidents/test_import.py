"""Import from CSV and XLSX: the dry run's per-row report, chunks that are all or nothing, resuming after
an interruption, undo until confirmed, and the sheet waiting sealed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from ferry.incidents import imports
from ferry.incidents.import_models import ImportedIncident, ImportJob
from ferry.incidents.models import Act, Incident, Involvement, Victim
from ferry.vault import keysets
from ferry.vault.models import Grant, KeySet
from tests.incidents.import_helpers import (
    MAPPING,
    csv_bytes,
    documentation_setup,
    good_row,
    mapped_and_checked,
    ring_of,
    started,
    steps,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db
State = ImportJob.State


@pytest.fixture
def setup(make_staff: Any) -> dict[str, Any]:
    return documentation_setup(make_staff)


def _report(person: Any, job: ImportJob) -> list[tuple[int, str, str]]:
    opened, key = imports.access_import(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    return [(r.row, r.field, r.message) for r in imports.import_report(opened, key)]


def test_dry_run_reports_each_refused_row_and_why(setup: dict[str, Any]) -> None:
    # Given a sheet with good rows and one of each kind of bad input
    person = setup["documenter"]
    bad = {
        3: ["End before start", "2017-03-15", "", "2017-03-01", "RU", "", "", "", "torture", "", ""],
        4: ["Day with no day", "2017-03", "day", "", "RU", "", "", "", "", "", ""],
        5: ["Unknown code", "2017-03-15", "", "", "RU", "", "", "", "beheading-by-tax", "", ""],
        6: ["Twice", "2017-03-15", "", "", "RU", "", "", "", "torture", "", "ППСП-2; ппсп-2"],
        7: ["", "2017-03-15", "", "", "", "", "", "", "", "", ""],
    }
    rows = [good_row(0), *bad.values(), good_row(1)]
    # When it is mapped and dry-run
    job = mapped_and_checked(person, csv_bytes(rows))
    # Then the report names each bad row (the headings are row 1) and nothing else, and nothing was created
    report = _report(person, job)
    assert sorted({r for r, _f, _m in report}) == [3, 4, 5, 6, 7]
    messages = {row: [(f, m) for r, f, m in report if r == row] for row in bad}
    assert messages[3] == [("", "The end date is before the start date.")]
    assert messages[4] == [("", "The start date is marked exact to the day: give its day and month.")]
    assert messages[5] == [("act_type", "Unknown code: use a code from the vocabulary.")]
    assert messages[6] == [("perpetrators", "The same perpetrator is named twice in this row.")]
    assert sorted(f for f, _m in messages[7]) == ["country", "title"]
    assert job.rows == 7
    assert job.rows_failed == 5
    assert Incident.objects.count() == 0
    # And the import cannot start while rows are refused
    with pytest.raises(imports.DocumentationError):
        imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)


def test_a_dry_run_request_checks_several_segments_and_numbers_rows_as_the_sheet_does(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sheet of four segments of two rows, with refused rows in the first, third and fourth
    monkeypatch.setattr(imports, "SEGMENT_ROWS", 2)
    monkeypatch.setattr(imports, "CHECK_SEGMENTS", 3)
    person = setup["documenter"]
    rows = [good_row(n) for n in range(8)]
    for n in (1, 4, 7):
        rows[n][4] = "XX"
    job = started(person, csv_bytes(rows))
    imports.import_map(ring=ring_of(person), staff=person.staff, job_id=job.pk, mapping=dict(MAPPING))
    # When the page asks twice
    first = imports.import_step(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    second = imports.import_step(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    # Then the first request checked three segments, the second the last one and ended the dry run
    assert (first.state, first.cursor, first.rows_failed) == (State.CHECKING, 3, 2)
    assert (second.state, second.cursor, second.rows_failed) == (State.CHECKED, 4, 3)
    # And each refused row is named by its row in the sheet (the headings are row 1)
    assert [row for row, _f, _m in _report(person, second)] == [3, 6, 9]


def test_the_report_is_in_the_importers_language(setup: dict[str, Any]) -> None:
    person = setup["documenter"]
    row = ["Bad", "2017-03-15", "", "", "XX", "", "", "", "", "", ""]
    with translation.override("ru"):
        job = mapped_and_checked(person, csv_bytes([row]))
    (only,) = _report(person, job)
    assert only[2] == "Выберите страну из списка."


def test_import_creates_incidents_victims_and_acts_sealed_to_the_team(setup: dict[str, Any]) -> None:
    person, colleague = setup["documenter"], setup["documenter2"]
    rows = [good_row(n) for n in range(3)]
    rows[1][10] = "ППСП-2"
    job = mapped_and_checked(person, xlsx_bytes(rows), name="sheet.xlsx")
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    job = steps(person, job, until=[State.IMPORTED])
    assert job.rows_done == 3
    assert Incident.objects.count() == 3
    assert Victim.objects.count() == 3
    assert Act.objects.filter(act_type__code="torture").count() == 3
    assert Involvement.objects.get().perpetrator == setup["unit"]
    incident = Incident.objects.get(acts__involvements__isnull=False)
    # Sealed to the importer and to the other documenter, not to the analyst; the title opens
    key = ring_of(colleague).key_for(incident.key_set)
    assert keysets.open_json(key, incident, "card") == {"title": "Detention 1"}
    assert keysets.open_field(key, incident, "narrative") == "story 1"
    victim = Victim.objects.get(incident=incident)
    victim_key = ring_of(colleague).key_for(victim.key_set)
    assert keysets.open_json(victim_key, victim, "identity")["name"] == "name 1"
    assert not ring_of(setup["analyst"]).can_open(incident.key_set)
    assert incident.start_precision == "day"
    assert incident.subdivision == "RU-CE"


def test_a_failing_chunk_leaves_nothing_of_that_chunk_and_the_next_request_resumes(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an import of three chunks
    monkeypatch.setattr(imports, "SEGMENT_ROWS", 4)
    person = setup["documenter"]
    job = mapped_and_checked(person, csv_bytes([good_row(n) for n in range(10)]))
    assert len(job.segments) == 3
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    imports.import_step(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    sets_before = KeySet.objects.count()
    # When the second chunk dies after writing its incidents but before its acts (a crash, a killed request)
    real = imports.rows_insert

    def dies(model: Any, objs: Any) -> None:
        if model is Act:
            raise RuntimeError("the request was killed")
        real(model, objs)

    monkeypatch.setattr(imports, "rows_insert", dies)
    with pytest.raises(RuntimeError):
        imports.import_step(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    # Then nothing of the second chunk is left: no incident, key set or grant, and the cursor has not moved
    job.refresh_from_db()
    assert (job.state, job.cursor, job.rows_done) == (State.IMPORTING, 1, 4)
    assert Incident.objects.count() == 4
    assert Victim.objects.count() == Act.objects.count() == 4
    assert KeySet.objects.count() == sets_before
    # And the next request (the page refreshing itself) resumes where it stopped and finishes
    monkeypatch.setattr(imports, "rows_insert", real)
    job = steps(person, job, until=[State.IMPORTED])
    assert job.rows_done == 10
    assert Incident.objects.count() == Act.objects.count() == 10
    titles = set()
    for incident in Incident.objects.all():
        titles.add(keysets.open_json(ring_of(person).key_for(incident.key_set), incident, "card")["title"])
    assert titles == {f"Detention {n}" for n in range(10)}


def test_a_row_refused_during_the_import_stops_it_with_nothing_of_its_chunk(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a dry run that passed, in chunks of 2 rows
    monkeypatch.setattr(imports, "SEGMENT_ROWS", 2)
    person = setup["documenter"]
    rows = [good_row(n) for n in range(4)]
    rows[3][8] = "outing"
    job = mapped_and_checked(person, csv_bytes(rows))
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    imports.import_step(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    # When a code the fourth row uses is deprecated before its chunk runs
    from django.utils import timezone

    from ferry.incidents.models import Term

    Term.objects.filter(vocabulary="act_type", code="outing").update(deprecated_at=timezone.now())
    job = steps(person, job, until=[State.STOPPED])
    # Then the import stops, the second chunk wrote nothing (its good third row neither), and the report says why
    assert Incident.objects.count() == 2
    assert job.cursor == 1
    assert _report(person, job) == [(5, "act_type", "Unknown code: use a code from the vocabulary.")]
    # And once the code is back, resuming finishes it
    Term.objects.filter(code="outing").update(deprecated_at=None)
    imports.import_resume(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    job = steps(person, job, until=[State.IMPORTED])
    assert Incident.objects.count() == 4


def test_undo_removes_everything_the_import_made_and_shreds_its_keys(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "SEGMENT_ROWS", 3)
    person = setup["documenter"]
    kept_by_hand = mapped_and_checked(person, csv_bytes([good_row(99)]))
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=kept_by_hand.pk)
    steps(person, kept_by_hand, until=[State.IMPORTED])
    imports.import_confirm(ring=ring_of(person), staff=person.staff, job_id=kept_by_hand.pk)
    job = mapped_and_checked(person, csv_bytes([good_row(n) for n in range(7)]))
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    job = steps(person, job, until=[State.IMPORTED])
    made = list(Incident.objects.filter(pk__in=ImportedIncident.objects.filter(job=job).values("incident")))
    sets = [i.key_set_id for i in made] + list(
        Victim.objects.filter(incident__in=made).values_list("key_set_id", flat=True)
    )
    assert len(sets) == 14
    # When the importer undoes it
    imports.import_undo(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    job = steps(person, job, until=[State.UNDONE])
    # Then its incidents, victims and acts are gone, their key sets shredded (no grant left), the sheet too
    assert Incident.objects.count() == 1
    assert Act.objects.count() == Victim.objects.count() == 1
    assert not Grant.objects.filter(key_set_id__in=[*sets, job.key_set_id]).exists()
    assert KeySet.objects.filter(pk__in=sets, shredded_at__isnull=False).count() == 14
    # And a confirmed import can no longer be undone
    with pytest.raises(imports.NotFound):
        imports.import_undo(ring=ring_of(person), staff=person.staff, job_id=kept_by_hand.pk)


def test_someone_elses_import_is_not_found(setup: dict[str, Any]) -> None:
    person, colleague = setup["documenter"], setup["documenter2"]
    job = started(person, csv_bytes([good_row(1)]))
    with pytest.raises(imports.NotFound):
        imports.import_map(ring=ring_of(colleague), staff=colleague.staff, job_id=job.pk, mapping=dict(MAPPING))
    with pytest.raises(imports.NotFound):
        imports.import_step(ring=ring_of(colleague), staff=colleague.staff, job_id="not-a-uuid")


def test_the_sheet_waits_sealed(setup: dict[str, Any], tmp_path: Any, settings: Any) -> None:
    # Given a sheet whose cells carry a canary
    person = setup["documenter"]
    canary = "CANARY-Жёлтый-попугай-import"
    job = started(person, csv_bytes([[*good_row(1)[:6], canary, canary, "torture", "", ""]]))
    # Then neither the database nor the stored files hold it in clear
    from ferry.vault.files import storage

    store = storage()
    found = []
    for file_id in [*job.segments, str(job.head_file)]:
        name = f"{file_id[:2]}/{file_id}.bin"
        with store.open(name) as handle:
            found.append(canary.encode() in handle.read())
    assert found == [False, False]
    with connection.cursor() as cursor:
        cursor.execute("SELECT mapping, segments FROM incidents_importjob")
        assert canary not in str(cursor.fetchall())
    # And the importer opens it: the headings and a sample for the mapping page
    opened, key = imports.access_import(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    head = imports.import_head(opened, key)
    assert head["headings"][0] == "Title"
    assert head["samples"][0][6] == canary


def test_semicolon_csv_with_dotted_dates_and_a_byte_order_mark(setup: dict[str, Any]) -> None:
    person = setup["documenter"]
    row = ["Задержание", "15.03.2017", "", "04.2017", "RU", "RU-CE", "", "", "", "", ""]
    content = b"\xef\xbb\xbf" + csv_bytes([row], delimiter=";")
    job = mapped_and_checked(person, content)
    assert job.rows_failed == 0
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    steps(person, job, until=[State.IMPORTED])
    incident = Incident.objects.get()
    assert (str(incident.start_date), incident.start_precision) == ("2017-03-15", "day")
    assert (str(incident.end_date), incident.end_precision) == ("2017-04-01", "month")
    assert not Victim.objects.exists()


# ------------------------------------------------------------------------------------------ pages


def _page_until(client: Any, url: str, state_text: str, limit: int = 50) -> str:
    """Open the import's page as the browser would while it keeps refreshing itself, until it shows a state."""
    for _ in range(limit):
        page = client.get(url).content.decode()
        if state_text in page:
            return page
    raise AssertionError(f"the page never said {state_text!r}")


def test_through_the_pages_upload_map_dry_run_import_and_confirm(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.cases.conftest import staff_client

    monkeypatch.setattr(imports, "SEGMENT_ROWS", 2)
    monkeypatch.setattr(imports, "CHECK_SEGMENTS", 1)
    person = setup["documenter"]
    client = staff_client(person)
    # Given a documenter uploading an XLSX sheet with columns named as the fields are
    headings = ["title", "start", "country", "act_type", "Victim's name"]
    rows = [[f"Detention {n}", "2017-03-15", "RU", "torture", f"name {n}"] for n in range(5)]
    upload = SimpleUploadedFile("sheet.xlsx", xlsx_bytes(rows, headings=headings))
    response = client.post(reverse("incidents:import_start"), {"sheet": upload})
    assert response.status_code == 302
    mapping_url = response["Location"]
    # When they open the mapping page, the columns are suggested from the headings
    page = client.get(mapping_url).content.decode()
    assert '<option value="0" selected>1. title</option>' in page
    assert '<option value="4" selected>5. Victim&#x27;s name</option>' in page
    job = ImportJob.objects.get()
    posted = {"title": 0, "start": 1, "country": 2, "act_type": 3, "victim_name": 4}
    response = client.post(mapping_url, posted)
    assert response.status_code == 302
    page_url = reverse("incidents:import_page", args=[job.pk])
    # Then the page runs the dry run a part per visit, refreshing itself, with its progress shown
    first = client.get(page_url).content.decode()
    assert '<meta http-equiv="refresh"' in first
    assert '<progress max="3" value="1">' in first
    checked = _page_until(client, page_url, "Every row passed the dry run.")
    assert '<meta http-equiv="refresh"' not in checked
    # And the import runs the same way, then waits for confirmation
    client.post(reverse("incidents:import_decide", args=[job.pk, "run"]))
    _page_until(client, page_url, "Confirm the import")
    assert Incident.objects.count() == 5
    client.post(reverse("incidents:import_decide", args=[job.pk, "confirm"]))
    job.refresh_from_db()
    assert job.state == State.CONFIRMED
    assert KeySet.objects.get(pk=job.key_set_id).shredded_at is not None
    assert "Confirmed" in client.get(page_url).content.decode()


def test_the_pages_show_the_refused_rows(setup: dict[str, Any]) -> None:
    from django.urls import reverse

    from tests.cases.conftest import staff_client

    person = setup["documenter"]
    client = staff_client(person)
    job = mapped_and_checked(person, csv_bytes([good_row(1), ["", "2017-13-01", "", "", "RU", "", "", "", "", "", ""]]))
    page = client.get(reverse("incidents:import_page", args=[job.pk])).content.decode()
    assert "<td>3</td><td>Title</td><td>This cell is empty; it is required.</td>" in page
    assert "The start date does not exist." in page
    assert "Every row passed" not in page


def test_another_documenters_import_pages_are_not_found(setup: dict[str, Any]) -> None:
    from django.urls import reverse

    from tests.cases.conftest import staff_client

    job = started(setup["documenter"], csv_bytes([good_row(1)]))
    client = staff_client(setup["documenter2"])
    assert client.get(reverse("incidents:import_page", args=[job.pk])).status_code == 404
    assert client.get(reverse("incidents:import_mapping", args=[job.pk])).status_code == 404
    assert client.post(reverse("incidents:import_decide", args=[job.pk, "undo"])).status_code == 404
    analyst = staff_client(setup["analyst"])
    assert analyst.get(reverse("incidents:import_start")).status_code == 403


# ------------------------------------------------------------------------------------------ export


def _exported(client: Any, file_format: str) -> list[list[str]]:
    import csv
    import io

    import openpyxl
    from django.urls import reverse

    response = client.post(reverse("incidents:export"), {"file_format": file_format})
    assert response.status_code == 200
    if file_format == "csv":
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_blanks_sealed_columns_for_someone_without_a_grant(setup: dict[str, Any], file_format: str) -> None:
    from ferry.audit.models import AuditEntry
    from ferry.incidents.exports import COLUMNS
    from tests.cases.conftest import staff_client

    # Given two incidents imported by a documenter (sealed to the documenters, not to the analyst)
    person = setup["documenter"]
    rows = [good_row(1), good_row(2)]
    rows[1][0] = "=HYPERLINK(1)"
    job = mapped_and_checked(person, csv_bytes(rows))
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    steps(person, job, until=[State.IMPORTED])
    # When the analyst and the other documenter export them
    by_analyst = _exported(staff_client(setup["analyst"]), file_format)
    by_documenter = _exported(staff_client(setup["documenter2"]), file_format)
    # Then both get the clear columns, and only the documenter the sealed ones
    title, story, name, country, act = (
        COLUMNS.index(c) for c in ("title", "narrative", "victim_name", "country", "act_type")
    )
    assert [(r[country], r[act]) for r in by_analyst[1:]] == [("RU", "torture")] * 2
    assert {(r[title], r[story], r[name]) for r in by_analyst[1:]} == {("", "", "")}
    documenter_titles = sorted(r[title] for r in by_documenter[1:])
    expected = ["'=HYPERLINK(1)", "Detention 1"] if file_format == "csv" else ["=HYPERLINK(1)", "Detention 1"]
    assert documenter_titles == expected
    assert sorted(r[name] for r in by_documenter[1:]) == ["name 1", "name 2"]
    # And each export is audited, with the number of incidents and nothing else
    exports = AuditEntry.objects.filter(action="incident.export")
    assert list(exports.values_list("actor_id", "object_id")) == [
        (setup["analyst"].staff.pk, "2"),
        (setup["documenter2"].staff.pk, "2"),
    ]


def test_an_exported_sheet_imports_again(setup: dict[str, Any]) -> None:
    from ferry.incidents.import_rows import FIELD_NAMES
    from tests.cases.conftest import staff_client

    person = setup["documenter"]
    rows = [good_row(1)]
    rows[0][10] = "ППСП-2"
    job = mapped_and_checked(person, csv_bytes(rows))
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    steps(person, job, until=[State.IMPORTED])
    exported = _exported(staff_client(person), "xlsx")
    again = started(person, xlsx_bytes(exported[1:], headings=exported[0]), name="again.xlsx")
    mapping = {name: FIELD_NAMES.index(name) + 1 for name in FIELD_NAMES}
    imports.import_map(ring=ring_of(person), staff=person.staff, job_id=again.pk, mapping=mapping)
    again = steps(person, again, until=[State.CHECKED])
    assert again.rows_failed == 0
