"""Concurrent first writes: two people adding the same colleague, setting the same new need, or adding the same
pipeline name at once. The database's unique constraint decides; the one who lost is told clearly (a Conflict,
shown on the form) and nothing of their attempt is saved. Given/When/Then."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from ferry.audit.models import AuditEntry
from ferry.cases import services
from ferry.cases.models import Assignment, Event, Need, Stage
from ferry.cases.settings import pipeline
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing
from ferry.vault.models import Grant
from tests.cases.conftest import staff_client

pytestmark = pytest.mark.django_db(transaction=True)

ASSIGN_CONFLICT = "Someone else added this colleague to the case just now."
NEED_CONFLICT = "Someone else set this need just now. Look at the case again, then change it."

only_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="SQLite serialises these transactions (BEGIN IMMEDIATE): the race cannot happen there",
)


def test_adding_a_colleague_someone_else_added_meanwhile_is_a_conflict_and_saves_nothing(
    team: dict[str, Any], accepted: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a coordinator whose check finds the colleague not on the case yet, and the same colleague added
    # (and committed) by another request of the coordinator's just after that check, before the insert,
    case, coordinator = accepted["case"], team["coordinator"]
    colleague = team["caseworker2"].staff
    ring = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key)
    real = services.assignable
    calls: list[int] = []

    def assignable_then_someone_adds(case_: Any) -> Any:
        found = real(case_)
        calls.append(1)
        if len(calls) == 2:  # the service's own check (the view's form asked first)
            services.case_assign(ring=ring, staff=coordinator.staff, reference=case.reference, staff_id=colleague.pk)
        return found

    monkeypatch.setattr(services, "assignable", assignable_then_someone_adds)
    assigned_audit = AuditEntry.objects.filter(action="case.assign", object_id=case.pk.hex).count()

    # When the first coordinator's form is sent,
    answer = accepted["coordinator"].post(f"/staff/cases/{case.reference}/assign/", {"staff": colleague.pk})

    # Then they are told someone else did it (no server error), and only the other request's work is kept.
    assert answer.status_code == 400
    assert ASSIGN_CONFLICT in answer.content.decode()
    assert Assignment.objects.filter(case=case, staff=colleague).count() == 1
    assert Event.objects.filter(case=case, kind=Event.Kind.ASSIGNED).count() == 2  # the first caseworker's, then this
    assert AuditEntry.objects.filter(action="case.assign", object_id=case.pk.hex).count() == assigned_audit + 1
    assert Grant.objects.filter(key_set=case.key_set, staff=colleague).count() == 1


def _race(first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """Run both at once, each on a database connection of its own; their answers in order."""
    answers: list[Any] = [None, None]

    def run(n: int, call: Callable[[], Any]) -> None:
        try:
            answers[n] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _meet_after(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    """Both racers wait for each other just after `owner.name` ran (once each): their checks are done."""
    barrier = threading.Barrier(2, timeout=20)
    real = getattr(owner, name)
    met: set[int] = set()

    def meet(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        me = threading.get_ident()
        if threading.current_thread() is not threading.main_thread() and me not in met:
            met.add(me)
            barrier.wait()
        return result

    monkeypatch.setattr(owner, name, meet)


@only_postgresql
def test_two_people_setting_the_same_new_need_at_once_one_conflict_nothing_half_saved(
    team: dict[str, Any], accepted: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a caseworker and a coordinator on the same case, both past the check that finds no such need yet,
    case = accepted["case"]
    worker, coordinator = staff_client(team["caseworker"]), accepted["coordinator"]
    _meet_after(monkeypatch, keysets, "seal_field")
    url = f"/staff/cases/{case.reference}/need/"

    def send(client: Client, detail: str) -> Callable[[], Any]:
        return lambda: client.post(url, {"kind": "visa", "status": "in_progress", "detail": detail})

    # When both save the same new need,
    answers = _race(send(worker, "from the worker"), send(coordinator, "from the coordinator"))

    # Then one is saved and the other is told someone else did it: no server error, one need, one entry each.
    assert sorted(a.status_code for a in answers) == [302, 400]
    lost = next(a for a in answers if a.status_code == 400)
    assert NEED_CONFLICT in lost.content.decode()
    assert Need.objects.filter(case=case, kind="visa").count() == 1
    assert Event.objects.filter(case=case, kind=Event.Kind.NEED).count() == 1
    assert AuditEntry.objects.filter(action="case.need", object_id=case.pk.hex).count() == 1


def _first_holds_until_second_waits(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    """Pipeline changes lock the list first, so the second racer waits on that lock: the first one, once past
    `owner.name`, goes on only when the server shows the other waiting (it then reads the list as it was)."""
    real = getattr(owner, name)
    first: list[int] = []

    def hold(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if not first:
            first.append(threading.get_ident())
            with connection.cursor() as cursor:
                for _poll in range(2000):
                    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                    if cursor.fetchone()[0]:
                        break
                    threading.Event().wait(0.01)
        return result

    monkeypatch.setattr(owner, name, hold)


@only_postgresql
def test_two_administrators_adding_the_same_stage_at_once_one_conflict(
    team: dict[str, Any], make_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two administrators adding a stage of the same name at the same moment,
    first, second = team["admin"].staff, make_staff("administrator").staff
    _first_holds_until_second_waits(monkeypatch, pipeline, "_new_key")
    before = Stage.objects.count()

    def add(by: Any) -> Callable[[], Any]:
        def call() -> Any:
            try:
                return pipeline.pipeline_item_add(by=by, kind="stage", name_en="Medical care", name_ru="Лечение")
            except Exception as exc:
                return exc

        return call

    # When both are saved, Then one stage is added and the other administrator gets a Conflict.
    answers = _race(add(first), add(second))
    assert sorted(type(a).__name__ for a in answers) == ["Conflict", "Stage"]
    assert Stage.objects.count() == before + 1
