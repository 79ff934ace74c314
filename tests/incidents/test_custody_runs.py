"""Verifying every evidence item in chunks (incidents.custody_runs): a run driven by its documenter's own page, one
chunk per request, that finds tampering across chunks, belongs to its documenter alone, reports the items it
cannot open, stays within its byte budget, and records each chunk once and whole."""

from __future__ import annotations

from typing import Any

import pytest

from ferry.audit.models import AuditEntry
from ferry.core.errors import NotFound
from ferry.incidents import custody_runs
from ferry.incidents.custody_models import VerifyFinding, VerifyRun
from ferry.incidents.models import CustodyEvent, Evidence
from tests.cases.conftest import staff_client
from tests.incidents.evidence_helpers import (
    PHOTO_NAME,
    REFRESH,
    VERIFY_URL,
    Desk,
    actions,
    desk,
    drive,
    ring_of,
    stored_damage,
    who,
)

pytestmark = pytest.mark.django_db
__all__ = ["desk"]  # the fixture, imported for the tests below

A = CustodyEvent.Action


def _flip_a_byte(item: Evidence) -> None:
    stored_damage(item, 60)


def _step(person: Any, run: VerifyRun) -> VerifyRun:
    return custody_runs.verify_step(**who(person), run_id=run.pk)


def test_a_run_over_several_chunks_finds_a_tampered_file_and_a_tampered_chain(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given five items, checked two at a time: one file's bytes changed on disk, one chain's entry edited
    monkeypatch.setattr(custody_runs, "CHUNK_ITEMS", 2)
    items = [desk.add() for _ in range(5)]
    ordered = sorted(items, key=lambda item: item.pk.hex)
    file_changed, chain_changed = ordered[4], ordered[1]  # in the last chunk and in the first
    _flip_a_byte(file_changed)
    CustodyEvent.objects.filter(evidence=chain_changed, sequence=1).update(actor=None)
    # When the author verifies everything, their page driving the run
    client = staff_client(desk.author)
    openings, page = drive(client)
    # Then it took three chunks (2 + 2 + 1), each page asking for the next while the run went on
    assert openings == 3
    run = VerifyRun.objects.get()
    assert (run.state, run.checked, run.total, run.rechecked, run.unopened) == (VerifyRun.State.DONE, 5, 5, 5, 0)
    # ...and the report names both tampered items and what is wrong with each, and no other item
    assert f"{chain_changed.reference}</a> (entry 1): an entry was changed" in page
    assert f"{file_changed.reference}</a>: the stored file is not the one stored at acquisition" in page
    assert f"{file_changed.reference}</a>: The stored file cannot be read back: it was altered or damaged." in page
    assert "3 problems found." in page
    for item in items:
        if item not in (file_changed, chain_changed):
            assert item.reference not in page
    assert (run.ok, run.problems) == (3, 3)
    # Each item's re-check is in its custody log once: the damaged file's as a failure
    assert actions(file_changed) == [A.ACQUIRED, A.CHECK_FAILED]
    assert all(actions(item)[-1] == A.CHECKED for item in items if item != file_changed)
    assert sum(actions(item).count(A.CHECKED) for item in items) == 4
    # What the run keeps names items and codes only; the report shows references, never a file's name
    stored = list(VerifyFinding.objects.values_list("evidence_id", "code", "entry"))
    assert sorted(stored, key=str) == sorted(
        [
            (chain_changed.pk, "content_changed", 1),
            (file_changed.pk, "stored_changed", None),
            (file_changed.pk, "file_unreadable", None),
        ],
        key=str,
    )
    assert PHOTO_NAME not in page
    # Once done, opening the page again checks nothing more
    again = client.get(f"{VERIFY_URL}{run.pk}/").content.decode()
    assert REFRESH not in again
    assert VerifyRun.objects.get().checked == 5


def test_the_page_refreshes_itself_while_the_run_goes_on(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given three items checked one at a time
    monkeypatch.setattr(custody_runs, "CHUNK_ITEMS", 1)
    for _ in range(3):
        desk.add()
    client = staff_client(desk.author)
    started = client.post(VERIFY_URL)
    run = VerifyRun.objects.get()
    assert started["Location"] == f"{VERIFY_URL}{run.pk}/"
    # When the page is opened once
    page = client.get(started["Location"]).content.decode()
    # Then it checked one chunk, shows how far it is, and asks the browser to come back (no script needed)
    assert '<meta http-equiv="refresh" content="1">' in page
    assert '<progress max="3" value="1">' in page
    assert "1 of 3 items checked." in page
    assert "<script" not in page
    # ...and the run is listed on the verify page, with a link back to it
    listed = client.get(VERIFY_URL).content.decode()
    assert f'href="{VERIFY_URL}{run.pk}/"' in listed


def test_a_second_viewer_cannot_open_or_drive_the_first_viewers_run(desk: Desk) -> None:
    # Given a run the author started, not yet driven
    desk.add()
    author = staff_client(desk.author)
    author.post(VERIFY_URL)
    run = VerifyRun.objects.get()
    # When the colleague (a documenter too) opens it, and a run that does not exist
    colleague = staff_client(desk.colleague)
    theirs = colleague.get(f"{VERIFY_URL}{run.pk}/")
    invented = colleague.get(f"{VERIFY_URL}00000000-0000-0000-0000-000000000007/")
    # Then both answers are the same refusal, byte for byte, and the run did not move
    assert theirs.status_code == invented.status_code == 404
    assert theirs.content == invented.content
    assert VerifyRun.objects.get().checked == 0
    assert VerifyRun.objects.get().cursor is None
    assert not CustodyEvent.objects.filter(action=A.CHECKED).exists()
    # The services refuse alike, and the colleague's own list does not show it
    with pytest.raises(NotFound):
        _step(desk.colleague, run)
    assert custody_runs.verify_runs_of(desk.colleague.staff) == []
    # ...while the author can drive it
    assert _step(desk.author, run).checked == 1


def test_a_run_by_someone_without_keys_for_some_items_reports_them_as_not_openable(desk: Desk) -> None:
    # Given an item of the team's, and two of a restricted incident the colleague cannot open, one of them damaged
    shared = desk.add()
    restricted = desk.incident_new(restricted=True)
    hidden, damaged = desk.add(incident=restricted), desk.add(incident=restricted)
    _flip_a_byte(damaged)
    # When the colleague verifies everything
    _openings, page = drive(staff_client(desk.colleague))
    # Then the run finishes: the two it cannot open are listed as checked without keys only, not as failing...
    run = VerifyRun.objects.get()
    assert (run.state, run.checked, run.rechecked, run.unopened) == (VerifyRun.State.DONE, 3, 1, 2)
    assert "3 items checked; 1 re-checked with your keys." in page
    assert "2 items checked without keys only" in page
    for item in (hidden, damaged):
        assert f"{item.reference}: you hold no key to this item: checked without keys only" in page
    # ...what is checked without keys still found the damaged file, and nothing was opened or recorded for them
    assert f"{damaged.reference}</a>: the stored file is not the one stored at acquisition" in page
    assert (run.ok, run.problems) == (2, 1)
    assert actions(hidden) == actions(damaged) == [A.ACQUIRED]
    assert actions(shared) == [A.ACQUIRED, A.CHECKED]


def test_a_chunk_stops_at_its_byte_budget_and_a_larger_file_is_a_chunk_of_its_own(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three items of 3,000 bytes each and a budget of 5,000 bytes of files per chunk
    monkeypatch.setattr(custody_runs, "CHUNK_BYTES", 5_000)
    for n in range(3):
        desk.add(bytes([n]) * 3_000)
    run = custody_runs.verify_start(staff=desk.author.staff)
    # When the run is driven: each chunk checks the one item that fits (never none)
    assert [_step(desk.author, run).checked for _ in range(3)] == [1, 2, 3]
    assert VerifyRun.objects.get().state == VerifyRun.State.DONE


def test_a_chunk_interrupted_writes_nothing_and_the_next_request_does_it_again(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two items, and a chunk that fails while recording the second re-check
    first, second = sorted([desk.add(), desk.add()], key=lambda item: item.pk.hex)
    run = custody_runs.verify_start(staff=desk.author.staff)
    real = custody_runs.evidence_recheck_record

    def failing(**kwargs: Any) -> Any:
        if kwargs["evidence"] == second:
            raise RuntimeError("the request died")
        return real(**kwargs)

    monkeypatch.setattr(custody_runs, "evidence_recheck_record", failing)
    with pytest.raises(RuntimeError):
        _step(desk.author, run)
    # Then nothing of the chunk is kept: not the first item's re-check, nor the cursor, nor a count
    assert actions(first) == actions(second) == [A.ACQUIRED]
    assert (VerifyRun.objects.get().checked, VerifyRun.objects.get().cursor) == (0, None)
    # When the next request comes, the chunk is done whole
    monkeypatch.setattr(custody_runs, "evidence_recheck_record", real)
    assert _step(desk.author, run).checked == 2
    assert actions(first) == actions(second) == [A.ACQUIRED, A.CHECKED]


def test_two_requests_racing_for_one_chunk_record_it_once(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a run, and a second request (a double refresh) that finishes the same chunk while the first reads
    item = desk.add()
    run = custody_runs.verify_start(staff=desk.author.staff)
    real, raced = custody_runs._checks, []

    def racing(ring: Any, batch: list[Evidence]) -> Any:
        found = real(ring, batch)
        if not raced:
            raced.append(None)
            raced[0] = _step(desk.author, run)
        return found

    monkeypatch.setattr(custody_runs, "_checks", racing)
    # When the first request comes to record its chunk
    after = _step(desk.author, run)
    # Then only the second one's was recorded: one re-check in the log, the item counted once
    assert raced[0].checked == after.checked == 1
    assert actions(item) == [A.ACQUIRED, A.CHECKED]
    assert VerifyFinding.objects.count() == 0


def test_a_run_is_audited_when_it_starts_and_when_it_ends_and_keeps_its_documenters_latest_runs(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.add()
    run = custody_runs.verify_start(staff=desk.author.staff)
    entries = AuditEntry.objects.filter(object_type="verify_run")
    assert list(entries.values_list("action", "actor_id", "object_id")) == [
        ("evidence.verify_all", desk.author.staff.pk, run.pk.hex)
    ]
    _step(desk.author, run)
    assert list(entries.order_by("seq").values_list("action", flat=True)) == [
        "evidence.verify_all",
        "evidence.verify_done",
    ]
    # Starting more runs than are kept drops the documenter's oldest, never a colleague's
    monkeypatch.setattr(custody_runs, "KEEP_RUNS", 2)
    theirs = custody_runs.verify_start(staff=desk.colleague.staff)
    newer = [custody_runs.verify_start(staff=desk.author.staff) for _ in range(2)]
    assert set(VerifyRun.objects.filter(staff=desk.author.staff)) == set(newer)
    assert VerifyRun.objects.filter(pk=theirs.pk).exists()


def test_a_run_without_any_key_still_checks_every_item(desk: Desk) -> None:
    # Given a ring that opens nothing (no key in this session)
    item = desk.add()
    run = custody_runs.verify_start(staff=desk.author.staff)
    done = custody_runs.verify_step(ring=None, staff=desk.author.staff, run_id=run.pk)
    assert (done.state, done.checked, done.unopened, done.rechecked) == (VerifyRun.State.DONE, 1, 1, 0)
    assert actions(item) == [A.ACQUIRED]
    assert ring_of(desk.author).key_for(item.key_set)  # the author could have opened it with their keys


def test_an_item_whose_sealed_record_was_swapped_is_reported_and_the_run_goes_on(desk: Desk) -> None:
    # Given an item whose sealed record was replaced by another item's (a valid ciphertext, of another row)
    swapped, other = desk.add(), desk.add()
    Evidence.objects.filter(pk=swapped.pk).update(record=other.record)
    # When the author verifies everything
    _openings, page = drive(staff_client(desk.author))
    # Then the run ends, naming the item and why (its chain and its file verify: only its record cannot open)
    assert f"{swapped.reference}</a>: the item&#x27;s sealed record cannot be opened" in page
    run = VerifyRun.objects.get()
    assert (run.state, run.checked, run.problems, run.rechecked) == (VerifyRun.State.DONE, 2, 1, 1)
    assert actions(swapped) == [A.ACQUIRED]
    assert actions(other) == [A.ACQUIRED, A.CHECKED]
