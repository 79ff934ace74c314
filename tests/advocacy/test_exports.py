"""Event exports for outsiders: ACLED's columns (and HXL's hashtags), from clear fields only, dates coarsened to
the release's setting and places to the subdivision, small combinations withheld and counted, and the output
streamed into the release and out of it."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

import pytest

from ferry.advocacy import releases, views
from ferry.advocacy.exports import acled, services
from ferry.advocacy.exports.services import ExportError, ExportQuestion, export_output
from ferry.advocacy.models import Release
from ferry.advocacy.releases import Output
from ferry.incidents import services as incidents
from ferry.incidents.models import Incident
from ferry.incidents.services import ActData, InvolvementData, PartialDate, PerpetratorData, VictimData
from ferry.vault import files, streams
from tests.cases.conftest import staff_client
from tests.incidents.conftest import incident_data, ring_of

pytestmark = pytest.mark.django_db

CANARIES = (
    "CANARY-TITLE",
    "CANARY-NARRATIVE",
    "CANARY-LOCATION",
    "CANARY-NOTES",
    "CANARY-VICTIM",
    "CANARY-ACT-NOTE",
    "CANARY-DETAIL",
    "CANARY-PERPETRATOR",
    "CANARY-PLACE",
)


def _record(
    doc: Any,
    *,
    day: int = 10,
    month: int = 3,
    precision: str = "day",
    subdivision: str = "RU-CE",
    act_type: str = "torture",
    consequence: str | None = None,
    perpetrator_id: int | None = None,
    perpetrator_type: str | None = None,
    place_id: int | None = None,
    restricted: bool = False,
) -> Incident:
    """An incident through the documentation's services, with a canary in every sealed field."""
    start = PartialDate(2017, month if precision != "year" else None, day if precision == "day" else None, precision)
    incident, _key = incidents.incident_create(
        staff=doc.staff,
        data=incident_data(
            title=f"CANARY-TITLE {day}",
            start=start,
            end=None,
            subdivision=subdivision,
            place_precision=1,
            place_id=place_id,
            narrative="CANARY-NARRATIVE",
            location="CANARY-LOCATION",
            notes="CANARY-NOTES",
        ),
        restricted=restricted,
    )
    ring = ring_of(doc)
    victim = incidents.victim_add(
        ring=ring, staff=doc.staff, reference=incident.reference, data=VictimData(name="CANARY-VICTIM", age="23")
    )
    involvement = InvolvementData(
        perpetrator_id=perpetrator_id, perpetrator_type=perpetrator_type, degree="direct", detail="CANARY-DETAIL"
    )
    incidents.act_add(
        ring=ring,
        staff=doc.staff,
        reference=incident.reference,
        data=ActData(
            victim_id=victim.pk,
            act_type=act_type,
            start=start,
            consequence=consequence,
            notes="CANARY-ACT-NOTE",
            involvements=(involvement,),
        ),
    )
    return incident


@pytest.fixture
def world(analysts: dict[str, Any]) -> dict[str, Any]:
    """In March 2017: 12 incidents of torture in Chechnya by a named police perpetrator at a named place (3 of
    them deaths), a restricted 13th, and 3 abductions in Dagestan by relatives; one torture known only to 2017."""
    doc = analysts["doc"]
    named = PerpetratorData(kind="person", perpetrator_type="police", name_original="CANARY-PERPETRATOR")
    perpetrator = incidents.perpetrator_create(staff=doc.staff, data=named)
    place = incidents.place_create(
        staff=doc.staff, name="CANARY-PLACE", name_translit="", kind="detention", country="RU", subdivision="RU-CE"
    )
    made = [
        _record(
            doc,
            day=1 + n,
            consequence="death" if n < 3 else "injury",
            perpetrator_id=perpetrator.pk,
            place_id=place.pk,
        )
        for n in range(12)
    ]
    made.append(_record(doc, day=20, perpetrator_id=perpetrator.pk, restricted=True))
    made += [
        _record(doc, day=5 + n, subdivision="RU-DA", act_type="abduction", perpetrator_type="relatives")
        for n in range(3)
    ]
    made.append(_record(doc, precision="year", perpetrator_id=perpetrator.pk))
    return {**analysts, "references": [i.reference for i in made]}


def _released(world: dict[str, Any], **question: Any) -> tuple[Release, bytes]:
    one, two = world["analyst"], world["analyst2"]
    output = export_output(staff=one.staff, question=ExportQuestion(**{"format": "acled_csv", **question}))
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=output)
    releases.release_approve(ring=ring_of(two), staff=two.staff, reference=release.reference)
    served = releases.release_stream(ring=ring_of(one), staff=one.staff, reference=release.reference)
    return Release.objects.get(pk=release.pk), b"".join(served.chunks)


def _table(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def test_an_export_has_acledss_columns_coarse_dates_and_places_and_withholds_small_combinations(
    world: dict[str, Any],
) -> None:
    # Given the incidents above, exported by month with k = 10
    release, content = _released(world, date_setting="month", threshold=10)
    header, *rows = _table(content)
    # Then the columns are ACLED's
    assert header == acled.HEADER
    assert {"event_id_cnty", "event_date", "time_precision", "sub_event_type", "admin1", "geo_precision"} <= set(header)
    # and only the 12 Chechen tortures come out: the restricted one never, the 3 Dagestani abductions and the
    # one known only to its year are combinations smaller than 10, withheld
    assert len(rows) == 12
    got = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["event_id_cnty"] for r in got] == [f"RUS{n}" for n in range(1, 13)]
    for r in got:
        assert r["event_date"] == "2017-03-01"
        assert (r["year"], r["time_precision"]) == ("2017", "2")
        assert (r["disorder_type"], r["event_type"], r["sub_event_type"]) == (
            "Political violence",
            "Violence against civilians",
            "Attack",
        )
        assert (r["actor1"], r["inter1"], r["inter2"], r["interaction"]) == ("Police", "1", "7", "17")
        assert (r["country"], r["iso"], r["admin1_code"]) == ("Russian Federation", "643", "RU-CE")
        assert r["admin1"] == "Chechenskaya Respublika"
        # the place is never finer than the subdivision, whatever the incident's own precision (1 here)
        assert r["geo_precision"] == "3"
        assert r["notes"] == r["location"] == r["source"] == r["latitude"] == r["admin2"] == ""
    assert sorted(int(r["fatalities"]) for r in got) == [0] * 9 + [1] * 3
    # And the release records k, the settings and what was withheld: counts and labels, never a small count
    assert release.kind == "export"
    assert release.disclosure["threshold"] == 10
    assert (release.disclosure["date"], release.disclosure["place"]) == ("month", "subdivision")
    assert release.suppressed["rows"] == 4
    assert release.suppressed["combinations"] == 2
    assert sorted(release.suppressed["cells"]) == [
        ["2017-01-01", 3, "RU", "RU-CE", "Attack"],
        ["2017-03-01", 2, "RU", "RU-DA", "Abduction/forced disappearance"],
    ]
    assert release.sha256 == hashlib.sha256(content).hexdigest()
    assert release.size == len(content)


def test_no_reference_name_narrative_location_or_other_sealed_text_leaves(world: dict[str, Any]) -> None:
    # Given incidents with a canary in every sealed field, a named perpetrator and a named place
    for threshold, setting in ((5, "year"), (5, "month")):
        # When they are exported with the lowest threshold (the most rows)
        _release, content = _released(world, date_setting=setting, threshold=threshold)
        text = content.decode()
        assert len(_table(content)) > 1
        # Then no canary, and no incident's reference, is anywhere in the output
        for canary in CANARIES:
            assert canary not in text
        for reference in world["references"]:
            assert reference not in text
        # and no day of the month is given (every date is the first of its month or year)
        assert all(row[1].endswith("-01") for row in _table(content)[1:])


def test_by_year_every_date_is_its_years_first_day(world: dict[str, Any]) -> None:
    # When exported by year with k = 5: the tortures (12 + the one known to its year) and the abductions
    # are two combinations; the abductions (3) are withheld
    release, content = _released(world, date_setting="year", threshold=5)
    header, *rows = _table(content)
    got = [dict(zip(header, row, strict=True)) for row in rows]
    assert len(got) == 13
    assert {(r["event_date"], r["time_precision"]) for r in got} == {("2017-01-01", "3")}
    assert release.suppressed["rows"] == 3
    assert release.disclosure["date"] == "year"


def test_an_hxl_export_has_a_second_row_of_hashtags(world: dict[str, Any]) -> None:
    _release, content = _released(world, format="hxl_csv", threshold=10)
    header, tags, *rows = _table(content)
    assert header == acled.HEADER
    assert tags == acled.HXL_ROW
    assert all(tag.startswith("#") for tag in tags)
    assert dict(zip(header, tags, strict=True))["event_date"] == "#date+occurred"
    assert dict(zip(header, tags, strict=True))["admin1_code"] == "#adm1+code"
    assert len(rows) == 12


def test_an_xlsx_export_opens_with_the_same_columns(world: dict[str, Any]) -> None:
    import openpyxl

    release, content = _released(world, format="xlsx", threshold=10)
    assert release.format == "xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == acled.HEADER
    assert len(values) == 13
    for canary in CANARIES:
        assert canary.encode() not in content


def test_the_threshold_is_never_below_five(world: dict[str, Any]) -> None:
    with pytest.raises(ExportError):
        export_output(staff=world["analyst"].staff, question=ExportQuestion(format="acled_csv", threshold=4))


def test_incidents_recorded_between_the_two_passes_refuse_the_export(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an incident recorded just after the first pass counted the combinations
    one = world["analyst"]
    counted = services.export_plan

    def then_recorded(*args: Any) -> Any:
        plan = counted(*args)
        _record(world["doc"], day=28, perpetrator_type="police")
        return plan

    monkeypatch.setattr(services, "export_plan", then_recorded)
    # Then the second pass finds a combination that no longer matches, and the export is refused
    with pytest.raises(ExportError):
        export_output(staff=one.staff, question=ExportQuestion(format="acled_csv", threshold=10))
    assert not Release.objects.exists()


def test_a_release_prepared_from_chunks_is_streamed_in_and_out_with_its_hash(analysts: dict[str, Any]) -> None:
    # Given an output handed over as chunks
    one = analysts["analyst"]
    pieces = [f"{n},2017-03-01\n".encode() for n in range(50_000)]
    whole = b"".join(pieces)
    output = Output(
        kind="export", format="csv", content=b"", chunks=iter(pieces), title="Events", filename="events.csv"
    )
    # When it is prepared
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=output)
    # Then its hash and size are the whole output's, and it is stored as a sealed stream
    assert (release.sha256, release.size) == (hashlib.sha256(whole).hexdigest(), len(whole))
    stored = files.storage().open(files.stored_name(str(release.file_id))).read()
    assert streams.is_stream(stored)
    # and it comes back, streamed in more than one piece, and whole
    served = releases.release_stream(ring=ring_of(one), staff=one.staff, reference=release.reference)
    got = list(served.chunks)
    assert len(got) > 1
    assert b"".join(got) == whole
    assert releases.release_serve(ring=ring_of(one), staff=one.staff, reference=release.reference).content == whole


def test_a_streamed_output_altered_in_storage_is_not_served(analysts: dict[str, Any]) -> None:
    one = analysts["analyst"]
    output = Output(kind="export", format="csv", content=b"", chunks=[b"a,b\n1,2\n"], title="E", filename="e.csv")
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=output)
    # Another stream under the release's own key, put in its place, does not match the approved hash
    key = ring_of(one).key_for(release.key_set)
    other, _sha, _size = files.file_put_stream(key_set=release.key_set, chunks=[b"a,b\n1,3\n"], set_key=key)
    Release.objects.filter(pk=release.pk).update(file_id=other)
    with pytest.raises(releases.ReleaseError):
        releases.release_stream(ring=ring_of(one), staff=one.staff, reference=release.reference)


def test_a_stream_that_stops_matching_after_the_check_never_gives_its_last_piece(analysts: dict[str, Any]) -> None:
    # Given a streamed release checked and handed out
    one = analysts["analyst"]
    pieces = [b"x" * 1000] * 200
    output = Output(kind="export", format="csv", content=b"", chunks=pieces, title="E", filename="e.csv")
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=output)
    served = releases.release_stream(ring=ring_of(one), staff=one.staff, reference=release.reference)
    # When its stored output is replaced between the check and the streaming (same length, one byte off)
    key = ring_of(one).key_for(release.key_set)
    other, _sha, _size = files.file_put_stream(key_set=release.key_set, chunks=[b"x" * 199_999 + b"y"], set_key=key)
    Release.objects.filter(pk=release.pk).update(file_id=other)
    served.release.file_id = other
    # Then the stream raises before its end: what came out is short of the whole
    out = bytearray()

    def read_all() -> None:
        for piece in served.chunks:
            out.extend(piece)

    with pytest.raises(releases.ReleaseError):
        read_all()
    assert len(out) < release.size


def test_the_export_page_prepares_a_release_and_the_download_streams_it(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    analyst, approver = staff_client(world["analyst"]), staff_client(world["analyst2"])
    # The page is for analysts only
    assert analyst.get("/staff/advocacy/exports/").status_code == 200
    assert staff_client(world["doc"]).get("/staff/advocacy/exports/").status_code == 403
    # A threshold below 5 is refused with the form's error, and nothing is prepared
    form = {"format": "hxl_csv", "date_setting": "month", "threshold": "4", "country": "RU"}
    assert analyst.post("/staff/advocacy/exports/", form).status_code == 400
    assert not Release.objects.exists()
    # With k = 10, the release is prepared, and the analyst is taken to it
    answer = analyst.post("/staff/advocacy/exports/", {**form, "threshold": "10", "since": "2016", "until": "2018"})
    assert answer.status_code == 302
    release = Release.objects.get()
    assert answer["Location"] == f"/staff/advocacy/releases/{release.reference}/"
    assert release.question["country"] == "RU"
    assert (release.question["since"], release.question["until"]) == (2016, 2018)
    assert approver.post(f"/staff/advocacy/releases/{release.reference}/approve/").status_code == 302
    # When an output above the streaming size is downloaded, it is streamed with its length
    monkeypatch.setattr(views, "STREAM_FROM", 10)
    download = analyst.get(f"/staff/advocacy/releases/{release.reference}/download/")
    assert download.status_code == 200
    assert download.streaming
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert int(download["Content-Length"]) == len(body) == release.size
    assert hashlib.sha256(body).hexdigest() == release.sha256
    assert _table(body)[1] == acled.HXL_ROW
