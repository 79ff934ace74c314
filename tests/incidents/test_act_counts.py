"""The kept counts of acts (ferry.incidents.act_counts) behind the count by month x subdivision x act type: after
acts are added through the pages, incidents re-verified and moved to another region, an import written and one
undone, the count read from them equals the count of the acts themselves, for every filter they answer, and a
rebuild from the acts writes the very rows that were kept along the way."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from ferry.incidents import act_counts, imports, selectors, services
from ferry.incidents.import_models import ImportJob
from ferry.incidents.models import ActCount, Incident, Term, Verification, Vocabulary
from ferry.incidents.services import ActData, PartialDate, VictimData
from tests.incidents.conftest import incident_data, ring_of
from tests.incidents.import_helpers import csv_bytes, good_row, mapped_and_checked, steps

pytestmark = pytest.mark.django_db


def _kept() -> set[tuple[Any, ...]]:
    return set(ActCount.objects.values_list("month", "country", "subdivision", "verification", "act_type_id", "acts"))


def _imported(person: Any, rows: list[list[str]]) -> ImportJob:
    job = mapped_and_checked(person, csv_bytes(rows))
    imports.import_run(ring=ring_of(person), staff=person.staff, job_id=job.pk)
    return steps(person, job, until=[ImportJob.State.IMPORTED])


def test_kept_counts_equal_the_acts_counted_whatever_changed(docs: dict[str, Any]) -> None:
    author, checker = docs["doc"], docs["doc2"]
    staff, ring = author.staff, ring_of(author)
    rng = random.Random(5)
    act_types = list(Term.objects.filter(vocabulary=Vocabulary.ACT_TYPE))
    # Given incidents in three regions with acts over several months, added through the pages
    made = []
    for n in range(9):
        region = ("RU-CE", "RU-DA", "RU-IN")[n % 3]
        incident, _key = services.incident_create(
            staff=staff, data=incident_data(subdivision=region, start=PartialDate(2018, 1 + n, 3), end=None)
        )
        made.append(incident)
        victim = services.victim_add(ring=ring, staff=staff, reference=incident.reference, data=VictimData())
        for _ in range(1 + rng.randrange(3)):
            services.act_add(
                ring=ring,
                staff=staff,
                reference=incident.reference,
                data=ActData(
                    victim_id=victim.pk,
                    act_type=rng.choice(act_types).pk,
                    start=PartialDate(2018, 1 + rng.randrange(12), 1 + rng.randrange(28)),
                ),
            )
    # And some verified by a second documenter, one disputed, one moved to another region afterwards
    for incident in made[:4]:
        incident.refresh_from_db()
        services.incident_verify(
            ring=ring_of(checker),
            staff=checker.staff,
            reference=incident.reference,
            version=incident.version,
            status=Verification.VERIFIED,
        )
    made[5].refresh_from_db()
    services.incident_verify(
        ring=ring, staff=staff, reference=made[5].reference, version=made[5].version, status=Verification.DISPUTED
    )
    moved = made[0]
    moved.refresh_from_db()
    services.incident_update(
        ring=ring,
        staff=staff,
        reference=moved.reference,
        version=moved.version,
        data=incident_data(subdivision="RU-KB", start=PartialDate(2018, 1, 3), end=None),
    )
    # And an import kept, and another undone
    kept_rows = [good_row(n) for n in range(4)]
    kept_rows[1][5] = "RU-DA"
    _imported(author, kept_rows)
    undone = _imported(author, [good_row(10), good_row(11)])
    imports.import_undo(ring=ring, staff=staff, job_id=undone.pk)
    steps(author, undone, until=[ImportJob.State.UNDONE])

    # When the count is read from the kept counts and from the acts, under every filter the kept counts answer
    regions = ["", "RU-CE", "RU-DA", "RU-KB", "RU-IN"]
    statuses = ["", *Verification.values]
    ranges = [(None, None), (date(2018, 3, 15), None), (None, date(2018, 6, 10)), (date(2017, 3, 15), date(2018, 5, 2))]
    checked = 0
    for subdivision in regions:
        for verification in statuses:
            for since, until in ranges:
                filters = selectors.Filters(
                    country="RU" if subdivision else "",
                    subdivision=subdivision,
                    verification=verification,
                    since=since,
                    until=until,
                )
                kept = selectors.counts_by_month_subdivision_act_type(filters)
                counted = selectors.counts_by_month_subdivision_act_type(filters, from_records=True)
                # Then they are the same, cell for cell
                assert kept == counted, filters
                checked += bool(counted)
    assert checked > 30
    # (the moved incident's acts are counted where it is now, and a range is taken in whole months)
    everything = selectors.counts_by_month_subdivision_act_type()
    assert sum(c["n"] for c in everything if c["subdivision"] == "RU-KB") == moved.acts.count()
    march = selectors.counts_by_month_subdivision_act_type(
        selectors.Filters(since=date(2018, 3, 31), until=date(2018, 3, 1))
    )
    assert {c["month"] for c in march} <= {date(2018, 3, 1)}
    # And a rebuild from the acts writes the rows that were kept along the way
    kept_rows_before = _kept()
    assert act_counts.rebuild() == len(kept_rows_before)
    assert _kept() == kept_rows_before


def test_a_change_takes_its_count_rows_in_one_order(docs: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Two transactions that take the same rows in the same order wait for each other in line; in crosswise
    orders they deadlock (PostgreSQL kills one: an error page). So every change writes its count rows in one
    ascending order of their keys, rows it adds to and rows it takes from alike."""
    # Given two incidents with an act in the same month, region and type, one verified
    author, checker = docs["doc"], docs["doc2"]
    made = []
    for _ in range(2):
        incident, _key = services.incident_create(staff=author.staff, data=incident_data())
        victim = services.victim_add(
            ring=ring_of(author), staff=author.staff, reference=incident.reference, data=VictimData()
        )
        services.act_add(
            ring=ring_of(author),
            staff=author.staff,
            reference=incident.reference,
            data=ActData(victim_id=victim.pk, act_type="torture", start=PartialDate(2018, 2, 20, "day")),
        )
        incident.refresh_from_db()
        made.append(incident)
    services.incident_verify(
        ring=ring_of(checker),
        staff=checker.staff,
        reference=made[1].reference,
        version=made[1].version,
        status=Verification.VERIFIED,
    )
    # When each is re-verified the other way (one's count moves from unverified to verified, the other's back),
    # the count rows each change writes to are noted in the order written
    touched: list[list[tuple[str, ...]]] = []
    database = act_counts.connection

    class Noting:
        def __init__(self) -> None:
            self.cursor = database.cursor()

        def __enter__(self) -> Noting:
            self.cursor.__enter__()
            return self

        def __exit__(self, *exc: Any) -> None:
            self.cursor.__exit__(*exc)

        def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
            # (rows emptied are removed after every row was written to, and so already held)
            if not sql.startswith("DELETE"):
                touched[-1].extend(
                    tuple(str(v) for v in (row[:5] if sql.startswith("INSERT") else row[1:])) for row in rows
                )
            self.cursor.executemany(sql, rows)

    class Connection:
        ops = database.ops

        def cursor(self) -> Noting:
            return Noting()

    apply = act_counts._apply

    def noted(deltas: Any) -> None:
        touched.append([])
        apply(deltas)

    monkeypatch.setattr(act_counts, "connection", Connection())
    monkeypatch.setattr(act_counts, "_apply", noted)
    first, second = (Incident.objects.get(pk=i.pk) for i in made)
    services.incident_verify(
        ring=ring_of(checker),
        staff=checker.staff,
        reference=first.reference,
        version=first.version,
        status=Verification.VERIFIED,
    )
    services.incident_verify(
        ring=ring_of(author),
        staff=author.staff,
        reference=second.reference,
        version=second.version,
        status=Verification.UNVERIFIED,
    )
    # Then both wrote to the same two rows, and each in ascending order of their keys
    assert len(touched) == 2
    assert all(len(keys) == 2 for keys in touched)
    assert set(touched[0]) == set(touched[1])
    assert all(keys == sorted(keys) for keys in touched)
    # And the counts are still exact
    assert selectors.counts_by_month_subdivision_act_type() == selectors.counts_by_month_subdivision_act_type(
        from_records=True
    )
