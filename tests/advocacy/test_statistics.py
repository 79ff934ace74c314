"""The statistics builder: clear fields counted, small cells and cells from few incidents suppressed with
their partners, dates never finer than known, the same question answered the same way twice, and a noise
budget that is refused once spent, across a restart."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from ferry.advocacy import noise, statistics
from ferry.advocacy.disclosure import bridges, extended
from ferry.advocacy.models import NoiseBudget
from ferry.advocacy.statistics import Question, Settings, StatisticsError
from tests.advocacy.helpers import Spec, incidents_make

pytestmark = pytest.mark.django_db


def _year() -> int:
    # Any past year will do; relative to today so no test travels to a day that can pass.
    return timezone.localdate().year - 3


def _world(staff_id: int) -> None:
    y = _year()
    specs = (
        [Spec(date(y, 3, 5), "RU-CE") for _ in range(30)]
        + [Spec(date(y, 4, 9), "RU-CE", acts=("torture",)) for _ in range(12)]
        + [Spec(date(y, 3, 2), "RU-DA") for _ in range(3)]  # small: suppressed
        + [Spec(date(y, 4, 1), "RU-DA", acts=("torture",)) for _ in range(14)]
        + [Spec(date(y, 1, 1), "RU-CE", precision="year") for _ in range(11)]  # known only to the year
    )
    incidents_make(specs, staff_id=staff_id)


def test_counts_suppress_small_cells_and_their_partners(analysts: dict[str, Any]) -> None:
    # Given incidents in two subdivisions, three of them alone in their cell
    _world(analysts["analyst"].staff.pk)
    # When incidents are counted by subdivision and act type... by subdivision (rows) and month (columns)
    table = statistics.answer(Question("incidents", ("subdivision",), "verification"), Settings())
    assert table.total == 70
    question = Question("acts", ("subdivision",), "act_type", country="RU")
    table = statistics.answer(question, Settings())
    # Then the small cell is hidden, and so is at least one partner in its row and its column
    codes = [key[0] for key in table.row_keys]
    assert codes == ["RU-CE", "RU-DA"]
    assert table.column_keys == ["arbitrary-detention", "torture"]
    assert table.cells[1][0] is None  # RU-DA arbitrary detention: 3
    hidden = {(i, j) for i, row in enumerate(table.cells) for j, v in enumerate(row) if v is None}
    hidden |= {(i, 2) for i, v in enumerate(table.row_totals) if v is None}
    hidden |= {(2, j) for j, v in enumerate(table.column_totals) if v is None}
    # and none of the hidden cells can be worked out from what is published
    true = [[41, 12], [3, 14]]
    assert bridges(hidden, 3, 3) == set()
    assert extended(true)[2][2] == 70
    assert table.suppressed["primary"] == 1
    assert table.suppressed["secondary"] >= 3


def test_dates_known_only_to_the_year_are_not_put_in_a_month(analysts: dict[str, Any]) -> None:
    _world(analysts["analyst"].staff.pk)
    y = _year()
    table = statistics.answer(Question("incidents", ("period",), "", period="month"), Settings())
    keys = [key[0] for key in table.row_keys]
    assert keys == [f"{y}-03", f"{y}-04", f"{y}-?"]
    assert table.cells[2] == [11]
    assert "date within the year not known" in table.rows[2][0]
    # No key or label in the table is finer than a month.
    assert all(len(k) <= 7 for k in keys)


def test_few_incidents_behind_many_acts_are_suppressed(analysts: dict[str, Any]) -> None:
    # Given one incident in which 12 acts of one type were recorded
    y = _year()
    incidents_make(
        [Spec(date(y, 5, 1), "RU-IN", acts=("torture",) * 12)] + [Spec(date(y, 5, 1), "RU-CE") for _ in range(40)],
        staff_id=analysts["analyst"].staff.pk,
    )
    table = statistics.answer(Question("acts", ("subdivision",), "act_type"), Settings())
    ingushetia = [key[0] for key in table.row_keys].index("RU-IN")
    # Then 12 acts from one incident are not published, though 12 is above the threshold
    assert table.row_totals[ingushetia] is None
    assert table.cells[ingushetia][table.column_keys.index("torture")] is None


def test_the_same_question_gives_the_same_rounded_table(analysts: dict[str, Any]) -> None:
    _world(analysts["analyst"].staff.pk)
    question = Question("incidents", ("period",), "subdivision", period="month")
    first = statistics.answer(question, Settings(rounding="random3"))
    again = statistics.answer(question, Settings(rounding="random3"))
    assert (first.cells, first.row_totals, first.total) == (again.cells, again.row_totals, again.total)
    assert all(v is None or v % 3 == 0 for row in first.cells for v in row)
    five = statistics.answer(question, Settings(rounding="base5"))
    assert all(v is None or v % 5 == 0 for row in five.cells for v in row)


def test_questions_that_cannot_be_answered_say_why(analysts: dict[str, Any]) -> None:
    with pytest.raises(StatisticsError):
        statistics.answer(Question("incidents", ("act_type",), ""), Settings())
    with pytest.raises(StatisticsError):
        statistics.answer(Question("incidents", ("period",), ""), Settings(threshold=4))
    with pytest.raises(StatisticsError):
        statistics.answer(Question("acts", ("period",), ""), Settings(epsilon_milli=500))
    with pytest.raises(StatisticsError):
        statistics.answer(Question("nothing", ("period",), ""), Settings())


def test_noise_is_paid_once_per_question_and_refused_once_spent(analysts: dict[str, Any]) -> None:
    _world(analysts["analyst"].staff.pk)
    noise.budget_set(total_milli=1500, by_id=None)
    question = Question("incidents", ("subdivision",), "period", period="month")
    first = statistics.answer(question, Settings(epsilon_milli=1000))
    again = statistics.answer(question, Settings(epsilon_milli=1000))
    assert first.cells == again.cells
    assert NoiseBudget.objects.get().spent_milli == 1000
    with pytest.raises(noise.BudgetSpent):
        statistics.answer(Question("incidents", ("subdivision",), ""), Settings(epsilon_milli=1000))
    assert NoiseBudget.objects.get().spent_milli == 1000


@pytest.mark.django_db(transaction=True)
def test_the_budget_stays_spent_across_a_restart(analysts: dict[str, Any], subprocess_env: dict[str, str]) -> None:
    # Given a budget spent by this process
    _world(analysts["analyst"].staff.pk)
    noise.budget_set(total_milli=1000, by_id=None)
    statistics.answer(Question("incidents", ("subdivision",), ""), Settings(epsilon_milli=1000))
    # When another process (a restarted server) asks for a new noisy table, it is refused
    script = (
        "import django; django.setup()\n"
        "from ferry.advocacy import statistics, noise\n"
        "try:\n"
        "    question = statistics.Question('incidents', ('verification',), '')\n"
        "    statistics.answer(question, statistics.Settings(epsilon_milli=1))\n"
        "except noise.BudgetSpent:\n"
        "    print('refused')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=subprocess_env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip() == "refused", done.stderr[-2000:]


def test_the_page_shows_the_protected_table_and_prepares_a_release(analysts: dict[str, Any]) -> None:
    from ferry.advocacy.models import Release
    from tests.cases.conftest import staff_client

    _world(analysts["analyst"].staff.pk)
    browser = staff_client(analysts["analyst"])
    form = {
        "measure": "acts",
        "row1": "subdivision",
        "column": "act_type",
        "period": "year",
        "threshold": "10",
        "language": "ru",
        "title": "Acts by region",
        "output": "csv",
    }
    shown = browser.post("/staff/advocacy/", {**form, "action": "show"})
    page = shown.content.decode()
    assert shown.status_code == 200
    assert "[c]" in page
    assert ">3<" not in page  # the small cell is not on the page either
    made = browser.post("/staff/advocacy/", {**form, "action": "release"})
    assert made.status_code == 302
    release = Release.objects.get()
    assert release.question["rows"] == ["subdivision"]
    assert release.suppressed["primary"] == 1
    served = staff_client(analysts["analyst"]).get(f"/staff/advocacy/releases/{release.reference}/download/")
    text = served.content.decode()
    assert "Чеч" in text
    assert "[c]" in text
    assert "T00" not in text  # no incident reference
    # A bad question is a clear error in place, nothing prepared
    bad = browser.post("/staff/advocacy/", {**form, "measure": "incidents", "action": "release"})
    assert bad.status_code == 400
    assert Release.objects.count() == 1
    assert browser.post("/staff/advocacy/", {**form, "threshold": "3"}).status_code == 400


@pytest.mark.parametrize(
    ("output", "rows", "kind", "magic"),
    [
        ("series.png", "period", "chart", b"\x89PNG"),
        ("bars.svg", "period", "chart", b"<?xml"),
        ("map.png", "subdivision", "map", b"\x89PNG"),
    ],
)
def test_charts_and_maps_are_prepared_as_releases(
    analysts: dict[str, Any], output: str, rows: str, kind: str, magic: bytes
) -> None:
    from ferry.advocacy.models import Release
    from tests.cases.conftest import staff_client

    _world(analysts["analyst"].staff.pk)
    browser = staff_client(analysts["analyst"])
    form = {
        "measure": "incidents",
        "row1": rows,
        "column": "",
        "period": "month",
        "country": "RU",
        "threshold": "10",
        "language": "en",
        "title": "Incidents",
        "output": output,
        "action": "release",
    }
    assert browser.post("/staff/advocacy/", form).status_code == 302
    release = Release.objects.get()
    assert release.kind == kind
    served = browser.get(f"/staff/advocacy/releases/{release.reference}/download/")
    assert served.content.startswith(magic)
    # A map needs rows by subdivision: asked by period, it is refused in place
    if kind == "map":
        refused = browser.post("/staff/advocacy/", {**form, "row1": "period"})
        assert refused.status_code == 400
        assert Release.objects.count() == 1


def test_the_budget_command_shows_and_sets_the_total(analysts: dict[str, Any]) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("noise_budget", "--total", "2.5", stdout=out)
    assert out.getvalue().strip() == "privacy budget: epsilon 0.0 spent of 2.5"
    assert NoiseBudget.objects.get().total_milli == 2500
    with pytest.raises(CommandError):
        call_command("noise_budget", "--total", "lots")


def test_a_single_columns_total_from_few_incidents_is_suppressed(analysts: dict[str, Any]) -> None:
    # Given two incidents, in two regions, each with twelve acts of one type
    y = _year()
    incidents_make(
        [Spec(date(y, 5, 1), "RU-IN", acts=("torture",) * 12), Spec(date(y, 5, 1), "RU-CE", acts=("torture",) * 12)],
        staff_id=analysts["analyst"].staff.pk,
    )
    # When acts are counted by region in one column
    table = statistics.answer(Question("acts", ("subdivision",), ""), Settings())
    # Then no figure is published: each region's 12 acts and their total of 24 come from fewer than 10 incidents
    assert table.cells == [[None], [None]]
    assert table.column_totals == [None]
    assert table.total is None
    # and the total is suppressed for its own few incidents, not only as the partner of another cell
    assert table.suppressed["primary"] == 3
