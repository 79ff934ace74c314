"""Pathway figures: days from a case's opening to safety, live cases from their stage changes and shredded
ones from what their shred kept; a year with fewer than k cases that reached safety is not published."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ferry.advocacy.pathway import pathway_table
from ferry.cases import services as case_services
from ferry.cases.models import Case, ShreddedCase
from tests.incidents.conftest import ring_of

pytestmark = pytest.mark.django_db


def _shredded(opened: Any, days_to_safety: int | None) -> None:
    history = [{"stage": "new", "on": opened.isoformat()}]
    if days_to_safety is not None:
        history.append({"stage": "safe_house", "on": (opened + timedelta(days=days_to_safety)).isoformat()})
    history.append({"stage": "closed", "on": (opened + timedelta(days=200)).isoformat()})
    ShreddedCase.objects.create(
        reference="SHR-ED0",
        created_on=opened,
        closed_on=opened + timedelta(days=200),
        shredded_on=opened + timedelta(days=300),
        outcome="resettled",
        stage_history=history,
    )


def test_median_days_to_safety_counts_live_and_shredded_cases(accepted: dict[str, Any], team: dict[str, Any]) -> None:
    # Given a live case moved to the safe house today, opened today (0 days)
    case = Case.objects.get()
    worker = team["caseworker"]
    case_services.stage_change(
        ring=ring_of(worker), staff=worker.staff, reference=case.reference, version=case.version, stage_key="safe_house"
    )
    this_year = timezone.localdate().year
    # and, opened two years ago, ten shredded cases that reached safety in 10..19 days and two that never did
    opened = timezone.localdate().replace(month=1, day=10) - timedelta(days=730)
    for days in range(10, 20):
        _shredded(opened, days)
    _shredded(opened, None)
    _shredded(opened, None)
    table = pathway_table(threshold=10)
    years = [row[0] for row in table.rows]
    assert years == [str(opened.year), str(this_year)]
    # Then the year with ten cases that reached safety is published: 12 opened, 10 safe, median 14.5 → 14
    assert table.cells[0] == [12, 10, 14]
    # and this year's single case is not
    assert table.cells[1] == [None, None, None]
    assert table.suppressed["rows"] == [str(this_year)]
    # The overall median over all eleven is published (0 and 10..19: median 14)
    assert table.column_totals == [13, 11, 14]


def test_the_page_prepares_the_pathway_as_a_release(
    accepted: dict[str, Any], team: dict[str, Any], make_staff: Any
) -> None:
    from ferry.advocacy.models import Release
    from tests.cases.conftest import staff_client

    analyst = make_staff("analyst")
    browser = staff_client(analyst)
    form = {"threshold": "10", "language": "en", "output": "csv"}
    assert browser.get("/staff/advocacy/pathway/").status_code == 200
    assert browser.post("/staff/advocacy/pathway/", {**form, "action": "show"}).status_code == 200
    assert browser.post("/staff/advocacy/pathway/", {**form, "action": "release"}).status_code == 302
    assert Release.objects.get().question["measure"] == "pathway"
    assert browser.post("/staff/advocacy/pathway/", {**form, "threshold": "2"}).status_code == 400
