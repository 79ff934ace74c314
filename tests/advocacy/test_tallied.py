"""The tallies give the same tables as the records: every cell's count exactly, and distinct incidents exactly
(checked against the truth counted one record at a time), or never more than there are where a year filter
merges years, so a table counted from the tallies suppresses at least every cell it should."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ferry.advocacy import statistics
from ferry.advocacy.statistics import Question, Settings
from ferry.incidents import tallies
from ferry.incidents.models import Act, Incident, Term, Victim
from ferry.vault import keysets
from ferry.vault.models import KeySet

pytestmark = pytest.mark.django_db

QUESTIONS = [
    Question("acts", ("period", "subdivision"), "act_type", period="month"),
    Question("acts", ("period",), "act_type", period="quarter"),
    Question("acts", ("subdivision",), "act_type"),
    Question("acts", ("act_type",), "verification", year_from=0, year_to=0),  # years set below
    Question("acts", ("subdivision", "verification"), "", period="year"),
    Question("acts", ("period",), "", period="year", country="RU"),
    Question("incidents", ("period", "subdivision"), "verification", period="month"),
    Question("incidents", ("subdivision",), "", verification="verified"),
]


def _world(staff_id: int, seed: int) -> None:
    """Incidents over three years in three regions, some dated only to the year, each with acts of one to four
    types (some under one heading, some in a later month than the incident began)."""
    rng = random.Random(seed)
    key_set, _key = keysets.keyset_create(purpose=KeySet.Purpose.DOCUMENTATION, grant_to=[staff_id])
    types = list(Term.objects.filter(vocabulary="act_type"))
    honour = [t for t in types if t.code.startswith("honour-killing")]
    now = timezone.now()
    first = timezone.localdate().replace(month=1, day=1) - timedelta(days=3 * 365)
    for n in range(160):
        start = first + timedelta(days=rng.randrange(3 * 365))
        precision = rng.choices(["day", "month", "year", "approximate"], [70, 15, 10, 5])[0]
        if precision == "year":
            start = start.replace(month=1, day=1)
        incident = Incident.objects.create(
            key_set=key_set,
            reference=f"R{seed % 100:02d}{n:04d}",
            country=rng.choice(["RU", "RU", "GE"]),
            subdivision=rng.choice(["RU-CE", "RU-DA", "RU-IN"]),
            start_date=start,
            start_precision=precision,
            verification=rng.choice(["verified", "verified", "unverified", "partly"]),
            created_at=now,
            updated_at=now,
        )
        victim = Victim.objects.create(id=uuid.uuid4(), key_set=key_set, incident=incident, created_at=now)
        pool = rng.choice([types[:4], honour or types[:2], types])
        for _ in range(rng.randint(1, 4)):
            act_start = start + timedelta(days=rng.choice([0, 0, 0, 40]))
            Act.objects.create(
                key_set=key_set,
                incident=incident,
                victim=victim,
                act_type=rng.choice(pool),
                start_date=act_start,
                start_precision=precision,
                created_at=now,
            )


def _true_incidents(question: Question, counts: Any, row_dims: list[Any], column_dim: Any) -> dict[Any, int]:
    """Distinct incidents behind every cell and total, worked out one record at a time (the ground truth)."""
    acts = question.measure == "acts"
    records = list(Act.objects.select_related("incident")) if acts else list(Incident.objects.all())
    names = [*question.rows, *([question.column] if question.column else [])]
    dims = [*row_dims, *([column_dim] if column_dim else [])]
    sets: dict[Any, set[Any]] = {}
    for record in records:
        incident = record.incident if acts else record
        if question.country and incident.country != question.country:
            continue
        if question.verification and incident.verification != question.verification:
            continue
        if question.year_from and record.start_date.year < question.year_from:
            continue
        if question.year_to and record.start_date.year > question.year_to:
            continue
        values = {
            "period": (record.start_date, record.start_precision),
            "act_type": (getattr(record, "act_type_id", None),),
            "country": (incident.country,),
            "subdivision": (incident.subdivision,),
            "verification": (incident.verification,),
        }
        key = tuple(dim.key(values[name]) for name, dim in zip(names, dims, strict=True))
        width = len(question.rows)
        i = counts.rows.index(key[:width])
        j = counts.columns.index(key[width]) if column_dim else 0
        for cell in ((i, j), (i, len(counts.columns)), (len(counts.rows), j), (len(counts.rows), len(counts.columns))):
            sets.setdefault(cell, set()).add(incident.pk)
    return {cell: len(found) for cell, found in sets.items()}


def _question(question: Question) -> Question:
    if question.year_from == 0:
        year = timezone.localdate().year
        return Question(question.measure, question.rows, question.column, year_from=year - 2, year_to=year - 1)
    return question


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tallies_count_what_the_records_count(analysts: dict[str, Any], seed: int) -> None:
    _world(analysts["analyst"].staff.pk, seed)
    built = tallies.tallies_build()
    assert built.rows > 0
    k = Settings().threshold
    for asked in map(_question, QUESTIONS):
        live, row_dims, column_dim = statistics.counts_of(asked, live=True)
        tallied, _r, _c = statistics.counts_of(asked)
        # Every count is the same from the tallies as from the records
        assert (tallied.rows, tallied.columns, tallied.cells) == (live.rows, live.columns, live.cells), asked
        if asked.measure != "acts":
            continue
        # Distinct incidents: never more than there really are (from the tallies or the records), so every cell
        # that comes from fewer than k incidents is found either way
        truth = _true_incidents(asked, live, row_dims, column_dim)
        merges_years = bool(asked.year_from or asked.year_to) and "period" not in (*asked.rows, asked.column)
        for cell, incidents in truth.items():
            # Exact from the tallies, except where a year filter merges years (a lower bound there)
            if merges_years:
                assert tallied.contributors.get(cell, 0) <= incidents, (asked, cell)
            else:
                assert tallied.contributors.get(cell, 0) == incidents, (asked, cell)
            assert live.contributors.get(cell, 0) <= incidents, (asked, cell)
        few_truth = {c for c, n in truth.items() if 0 < n < k}
        assert few_truth <= {c for c, n in tallied.contributors.items() if 0 < n < k}, asked


def test_a_build_replaces_the_previous_generation(analysts: dict[str, Any]) -> None:
    from ferry.incidents.tally_models import ActTally

    _world(analysts["analyst"].staff.pk, 4)
    first = tallies.tallies_build()
    second = tallies.tallies_build()
    assert second.generation == first.generation + 1
    assert set(ActTally.objects.values_list("generation", flat=True)) == {second.generation}
    # Records written after the build are counted at the next one
    question = Question("incidents", ("verification",), "")
    before = statistics.answer(question, Settings()).total
    Incident.objects.filter(pk=Incident.objects.first().pk).update(start_date=date(2000, 1, 1))  # type: ignore[union-attr]
    tallies.tallies_build()
    assert statistics.answer(question, Settings()).total == before


def test_the_page_counts_again_and_says_when_the_figures_were_counted(analysts: dict[str, Any]) -> None:
    from django_tasks_db.models import DBTaskResult

    from tests.cases.conftest import staff_client

    _world(analysts["analyst"].staff.pk, 5)
    browser = staff_client(analysts["analyst"])
    assert "Count again now" in browser.get("/staff/advocacy/").content.decode()
    # Counting again is left to the worker (at a million incidents it takes a minute)
    assert browser.post("/staff/advocacy/", {"action": "recount"}).status_code == 302
    assert DBTaskResult.objects.filter(task_path="ferry.incidents.tasks.tallies_refresh").exists()
    tallies.tallies_build()
    table = statistics.answer(Question("acts", ("subdivision",), "act_type"), Settings())
    assert f"as they stood on {timezone.localdate().isoformat()}" in " ".join(table.method)
