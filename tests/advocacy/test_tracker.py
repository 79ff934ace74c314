# ruff: noqa: RUF001 - Russian names of governments: Cyrillic letters are meant
"""The government response tracker: asks resting on incidents that exist, responses to a government's own
asks, the scorecard's figures, the pages (analysts only), and the scorecard released with its small
incident counts suppressed. Every date is relative to today."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ferry.advocacy import releases
from ferry.advocacy.models import Ask, Government, Release, Response
from ferry.advocacy.tracker import outputs, selectors, services
from ferry.advocacy.tracker.seed import COMMON_BODIES
from ferry.audit.models import AuditEntry
from ferry.core.errors import Refused
from ferry.incidents import services as documentation
from ferry.incidents.services import PartialDate
from tests.cases.conftest import staff_client
from tests.incidents.conftest import incident_data, ring_of

pytestmark = pytest.mark.django_db

TRACKER = "/staff/advocacy/tracker"


@pytest.fixture
def tracker(analysts: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    """The analysts, a second documenter (who verifies what the first recorded), and two governments."""
    analyst = analysts["analyst"].staff
    return {
        **analysts,
        "verifier": make_staff("documenter"),
        "uk": services.government_create(
            staff=analyst, kind="state", name_en="United Kingdom", name_ru="Великобритания", country="GB"
        ),
        "de": services.government_create(
            staff=analyst, kind="state", name_en="Germany", name_ru="Германия", country="DE"
        ),
    }


def _incident(world: dict[str, Any], start: date, *, verified: bool = True) -> str:
    author, verifier = world["doc"], world["verifier"]
    data = incident_data(start=PartialDate(start.year, start.month, start.day, "day"), end=None)
    incident, _key = documentation.incident_create(staff=author.staff, data=data)
    if verified:
        documentation.incident_verify(
            ring=ring_of(verifier), staff=verifier.staff, reference=incident.reference, version=1, status="verified"
        )
    return incident.reference


def _ask(world: dict[str, Any], government: Government, kind: str, on: date, incidents: Sequence[str] = ()) -> Ask:
    return services.ask_create(
        staff=world["analyst"].staff,
        government=government,
        kind=kind,
        asked_on=on,
        summary="Asked in a letter to the minister.",
        incidents=incidents,
    )


def _response(world: dict[str, Any], government: Government, kind: str, on: date, ask: Ask | None = None) -> Response:
    return services.response_record(
        staff=world["analyst"].staff, government=government, ask=ask, kind=kind, on=on, quote="We are concerned."
    )


# ---------------------------------------------------------------------------------------------- the writes


def test_an_ask_resting_on_an_unknown_incident_is_refused_by_name_and_nothing_is_saved(
    tracker: dict[str, Any],
) -> None:
    # Given one incident that exists
    known = _incident(tracker, timezone.localdate() - timedelta(days=400))
    entries_before = AuditEntry.objects.count()
    # When an analyst records an ask resting on it and on a reference that does not exist
    with pytest.raises(services.TrackerError, match="NOP-E00"):
        _ask(tracker, tracker["uk"], "statement", timezone.localdate(), incidents=[known, "nop-e00"])
    # Then the refusal names the unknown reference (not the known one), and nothing is saved or audited
    assert Ask.objects.count() == 0
    assert AuditEntry.objects.count() == entries_before
    # And on the page: the same error in place (400), with what was typed kept
    page = staff_client(tracker["analyst"]).post(
        f"{TRACKER}/{tracker['uk'].pk}/ask/",
        {
            "kind": "sanctions",
            "asked_on": timezone.localdate().isoformat(),
            "summary": "Sanction the unit's commander",
            "incidents": f"{known}, NOP-E00",
        },
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "No incident has the reference NOP-E00." in html
    assert "Sanction the unit&#x27;s commander" in html
    assert Ask.objects.count() == 0


def test_an_ask_with_known_references_keeps_them_and_the_audit_holds_no_text(tracker: dict[str, Any]) -> None:
    # Given an incident and a release
    known = _incident(tracker, timezone.localdate() - timedelta(days=30))
    one = tracker["analyst"]
    output = releases.Output(kind="table", format="csv", content=b"a\n1\n", title="t", filename="t.csv")
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=output)
    # When an ask rests on both, typed in lower case with spaces
    ask = services.ask_create(
        staff=one.staff,
        government=tracker["de"],
        kind="asylum",
        asked_on=timezone.localdate(),
        summary="Open a humanitarian visa route",
        incidents=services.references_parsed(f" {known.lower()} ,{known}"),
        releases=[release.reference.lower()],
    )
    # Then both are linked once, and the audit entry names the ask by id only
    assert list(ask.incidents.values_list("reference", flat=True)) == [known]
    assert list(ask.releases.values_list("reference", flat=True)) == [release.reference]
    entry = AuditEntry.objects.filter(action="ask.created").get()
    assert entry.object_id == str(ask.pk)
    assert "visa" not in str(entry.__dict__)


def test_a_response_to_an_ask_of_another_government_is_refused(tracker: dict[str, Any]) -> None:
    # Given an ask made to Germany
    asked = _ask(tracker, tracker["de"], "statement", timezone.localdate() - timedelta(days=20))
    # When a response of the United Kingdom is recorded as its answer
    with pytest.raises(services.TrackerError, match="made to this government"):
        _response(tracker, tracker["uk"], "statement", timezone.localdate(), ask=asked)
    with pytest.raises(services.TrackerError, match="made to this government"):
        _response(tracker, tracker["uk"], "statement", timezone.localdate(), ask=asked.pk)
    # Then nothing is saved; and the page does not offer Germany's ask to the United Kingdom (400, kept)
    assert Response.objects.count() == 0
    page = staff_client(tracker["analyst"]).post(
        f"{TRACKER}/{tracker['uk'].pk}/response/",
        {"ask": asked.pk, "kind": "statement", "on": timezone.localdate().isoformat(), "source": "Hansard"},
    )
    assert page.status_code == 400
    assert 'value="Hansard"' in page.content.decode()
    assert Response.objects.count() == 0
    # While Germany's own answer to it is recorded, linked to the ask
    answer = _response(tracker, tracker["de"], "condemnation", timezone.localdate(), ask=asked)
    assert answer.ask_id == asked.pk


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"asked_on": "tomorrow"}, "cannot be in the future"),
        ({"summary": "x" * 4001}, "at most 4000"),
        ({"summary": "   "}, "what was asked"),
        ({"kind": "invade"}, "Choose what was asked"),
    ],
)
def test_an_impossible_ask_is_refused(tracker: dict[str, Any], change: dict[str, str], message: str) -> None:
    fields: dict[str, Any] = {"kind": "statement", "asked_on": timezone.localdate(), "summary": "Speak up"}
    fields.update(change)
    if fields["asked_on"] == "tomorrow":
        fields["asked_on"] = timezone.localdate() + timedelta(days=1)
    with pytest.raises(services.TrackerError, match=message):
        services.ask_create(staff=tracker["analyst"].staff, government=tracker["uk"], **fields)
    assert Ask.objects.count() == 0


def test_impossible_responses_are_refused(tracker: dict[str, Any]) -> None:
    today = timezone.localdate()
    asked = _ask(tracker, tracker["uk"], "statement", today - timedelta(days=10))
    staff = tracker["analyst"].staff
    cases: list[tuple[dict[str, Any], str]] = [
        ({"on": today + timedelta(days=1)}, "cannot be in the future"),
        ({"on": today - timedelta(days=11), "ask": asked}, "before the ask"),
        ({"on": today, "source": "s" * 501}, "at most 500"),
        ({"on": today, "quote": "q" * 4001}, "at most 4000"),
        ({"on": today, "kind": "war"}, "what the government did"),
    ]
    for change, message in cases:
        fields: dict[str, Any] = {"kind": "statement", **change}
        with pytest.raises(services.TrackerError, match=message):
            services.response_record(staff=staff, government=tracker["uk"], **fields)
    assert Response.objects.count() == 0


def test_only_analysts_write(tracker: dict[str, Any]) -> None:
    for who in ("doc", "caseworker", "admin"):
        staff = tracker[who].staff
        with pytest.raises(Refused):
            services.government_create(staff=staff, kind="un", name_en="UN", name_ru="ООН")
        with pytest.raises(Refused):
            services.ask_create(
                staff=staff, government=tracker["uk"], kind="statement", asked_on=timezone.localdate(), summary="s"
            )
        with pytest.raises(Refused):
            services.response_record(staff=staff, government=tracker["uk"], kind="statement", on=timezone.localdate())
        with pytest.raises(Refused):
            services.governments_seed(staff=staff)
    assert Government.objects.count() == 2


def test_a_state_needs_its_country_and_a_name_is_listed_once(tracker: dict[str, Any]) -> None:
    staff = tracker["analyst"].staff
    with pytest.raises(services.TrackerError, match="country of this state"):
        services.government_create(staff=staff, kind="state", name_en="France", name_ru="Франция")
    with pytest.raises(services.TrackerError, match="already listed"):
        services.government_create(staff=staff, kind="state", name_en="Germany", name_ru="ФРГ", country="DE")
    changed = services.government_update(
        staff=staff,
        government=tracker["de"],
        kind="state",
        name_en="Federal Republic of Germany",
        name_ru="ФРГ",
        country="DE",
    )
    assert Government.objects.get(pk=changed.pk).name_ru == "ФРГ"
    assert AuditEntry.objects.filter(action="government.updated", object_id=str(changed.pk)).count() == 1


# ----------------------------------------------------------------------------------------------- the reads


def test_the_scorecard_sets_asks_against_responses_and_verified_incidents(tracker: dict[str, Any]) -> None:
    # Given, for the United Kingdom, three years back from today (every date relative to today's year):
    today = timezone.localdate()
    y1, y2, y3 = today.year - 1, today.year - 2, today.year - 3
    uk, de = tracker["uk"], tracker["de"]
    i1 = _incident(tracker, date(y2, 2, 20))
    i2 = _incident(tracker, date(y2, 1, 10))
    i3 = _incident(tracker, date(y2, 6, 1), verified=False)
    i4 = _incident(tracker, date(y3, 5, 5))
    _incident(tracker, date(y1, 3, 3))  # verified, never asked about
    i6 = _incident(tracker, date(y1, 4, 4))  # verified, asked of Germany only
    # an ask answered within 90 days,
    a1 = _ask(tracker, uk, "statement", date(y2, 3, 1), incidents=[i1, i2])
    _response(tracker, uk, "condemnation", date(y2, 4, 1), ask=a1)
    # an ask answered only after 120 days (no answer in time; its response still counts),
    a2 = _ask(tracker, uk, "sanctions", date(y2, 5, 1), incidents=[i2, i3])
    _response(tracker, uk, "sanctions", date(y2, 5, 1) + timedelta(days=120), ask=a2)
    # an ask whose only response was recorded as "no answer" (in the next year),
    a3 = _ask(tracker, uk, "asylum", date(y2, 11, 1))
    _response(tracker, uk, "no_answer", date(y1, 1, 15), ask=a3)
    # an ask never answered, resting on an incident of the year before,
    _ask(tracker, uk, "statement", date(y1, 6, 1), incidents=[i4])
    # an unprompted response; and Germany's own ask and answer, which are not the United Kingdom's
    _response(tracker, uk, "aid", date(y1, 2, 1))
    g1 = _ask(tracker, de, "statement", date(y1, 1, 1), incidents=[i6])
    _response(tracker, de, "statement", date(y1, 2, 1), ask=g1)

    # When the scorecard is read
    card = selectors.scorecard(uk)

    # Then every year from the earliest to the latest is a row, with exactly these figures
    got = {
        row.year: (
            dict(row.asks),
            dict(row.responses),
            (row.answered, row.no_answer, row.waiting),
            (row.incidents_asked, row.incidents_verified),
        )
        for row in card.rows
    }
    assert got == {
        y3: ({}, {}, (0, 0, 0), (1, 1)),
        y2: (
            {"statement": 1, "sanctions": 1, "asylum": 1},
            {"condemnation": 1, "sanctions": 1},
            (1, 2, 0),
            (2, 2),  # i1 and i2 (i2 rested on twice, counted once); i3 is not verified
        ),
        y1: ({"statement": 1}, {"no_answer": 1, "aid": 1}, (0, 1, 0), (0, 2)),
    }
    total = card.total
    assert (total.asks_total, total.responses_total, total.answered, total.no_answer, total.waiting) == (4, 4, 1, 3, 0)
    assert (total.incidents_asked, total.incidents_verified) == (3, 5)
    # The columns are the kinds that occur, in the vocabulary's order
    assert [code for code, _label in card.ask_kinds] == ["statement", "asylum", "sanctions"]
    assert [code for code, _label in card.response_kinds] == ["condemnation", "sanctions", "aid", "no_answer"]

    # And the overview has one row per government, with the share of asks answered in time
    rows = {row.government.name_en: row for row in selectors.overview().rows}
    assert (rows["United Kingdom"].asks, rows["United Kingdom"].responses_total) == (4, 4)
    assert rows["United Kingdom"].share_answered == pytest.approx(1 / 4)
    assert rows["United Kingdom"].last_response == date(y1, 2, 1)
    assert (rows["Germany"].asks, rows["Germany"].share_answered) == (1, 1.0)

    # And the timeline interleaves asks and responses by date, newest first, each response with its ask
    entries = selectors.timeline(uk)
    assert [e.on for e in entries] == sorted((e.on for e in entries), reverse=True)
    assert len(entries) == 8
    linked = [e.response for e in entries if e.response is not None and e.response.ask_id == a1.pk]
    assert len(linked) == 1
    assert linked[0].ask == a1


def test_an_ask_waits_its_window_then_counts_as_unanswered(tracker: dict[str, Any]) -> None:
    # Given four asks of one government, around the 90-day window (dates relative to today)
    today = timezone.localdate()
    uk = tracker["uk"]
    _ask(tracker, uk, "statement", today - timedelta(days=90))  # the window has just closed
    _ask(tracker, uk, "statement", today - timedelta(days=89))  # one day left
    on_time = _ask(tracker, uk, "raise", today - timedelta(days=200))
    _response(tracker, uk, "raised", today - timedelta(days=110), ask=on_time)  # on the 90th day
    late = _ask(tracker, uk, "raise", today - timedelta(days=200))
    _response(tracker, uk, "raised", today - timedelta(days=109), ask=late)  # on the 91st day
    # When the scorecard counts with the default window
    total = selectors.scorecard(uk).total
    # Then each ask is in exactly one state
    assert (total.answered, total.no_answer, total.waiting) == (1, 2, 1)
    shares = {row.government.name_en: row.share_answered for row in selectors.overview().rows}
    assert shares == {"Germany": None, "United Kingdom": pytest.approx(1 / 3)}
    # And with a window of 200 days, both answers came in time and the recent asks still wait
    total = selectors.scorecard(uk, after_days=200).total
    assert (total.answered, total.no_answer, total.waiting) == (2, 0, 2)


# ------------------------------------------------------------------------------------------------ releases


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def test_the_released_scorecard_carries_no_reference_and_suppresses_small_incident_counts(
    tracker: dict[str, Any],
) -> None:
    # Given an ask resting on three verified incidents two years ago, and twelve verified incidents last year
    today = timezone.localdate()
    y1, y2 = today.year - 1, today.year - 2
    asked = [_incident(tracker, date(y2, 3, day)) for day in (1, 2, 3)]
    others = [_incident(tracker, date(y1, 4, day)) for day in range(1, 13)]
    uk = tracker["uk"]
    _ask(tracker, uk, "sanctions", date(y2, 6, 1), incidents=asked)
    # (the staff page shows the exact counts)
    card = selectors.scorecard(uk)
    assert [(r.year, r.incidents_asked, r.incidents_verified) for r in card.rows] == [(y2, 3, 3), (y1, 0, 12)]

    # When an analyst prepares the scorecard as a release from the government's page
    one = tracker["analyst"]
    answer = staff_client(one).post(f"{TRACKER}/{uk.pk}/release/", {"release-after": "90", "release-threshold": "10"})
    assert answer.status_code == 302
    release = Release.objects.get()
    assert answer["Location"] == f"/staff/advocacy/releases/{release.reference}/"
    content = releases.release_serve(ring=ring_of(one), staff=one.staff, reference=release.reference).content

    # Then it holds no incident reference and no text of the ask, only counts
    text = content.decode("utf-8")
    for reference in asked + others:
        assert reference not in text
    assert "minister" not in text
    table = _rows(content)
    heading, body = table[0], {row[0]: row for row in table[1:]}
    asked_column = heading.index("Verified incidents the asks rested on")
    verified_column = heading.index("Verified incidents documented")
    # And the small counts are suppressed: 3 (primary), and 12, which the total would otherwise give away
    assert (body[str(y2)][asked_column], body[str(y2)][verified_column]) == ("", "")
    assert body[str(y1)][verified_column] == ""
    assert body[str(y1)][asked_column] == "0"
    assert body["Total"][asked_column] == ""
    assert body["Total"][verified_column] == "15"
    # While the organisation's own counts of asks stay as they are
    assert body[str(y2)][heading.index("Asks")] == "1"
    assert release.disclosure["threshold"] == 10
    assert release.suppressed["primary"] == 3
    assert release.suppressed["secondary"] == 1
    assert [str(y1), "Verified incidents documented"] in release.suppressed["cells"]
    assert release.kind == "table"
    assert release.format == "csv"


def test_a_threshold_below_the_minimum_is_refused_and_nothing_is_released(tracker: dict[str, Any]) -> None:
    page = staff_client(tracker["analyst"]).post(
        f"{TRACKER}/{tracker['uk'].pk}/release/", {"release-after": "90", "release-threshold": "3"}
    )
    assert page.status_code == 400
    assert Release.objects.count() == 0


def test_the_overview_is_released_with_counts_and_months_only(tracker: dict[str, Any]) -> None:
    # Given an ask answered twenty days later
    today = timezone.localdate()
    asked = _ask(tracker, tracker["uk"], "statement", today - timedelta(days=400))
    answered_on = today - timedelta(days=380)
    _response(tracker, tracker["uk"], "condemnation", answered_on, ask=asked)
    # When the overview is prepared as a release
    one = tracker["analyst"]
    answer = staff_client(one).post(f"{TRACKER}/overview/release/", {"release-after": "90"})
    assert answer.status_code == 302
    release = Release.objects.get()
    content = releases.release_serve(ring=ring_of(one), staff=one.staff, reference=release.reference).content
    # Then each government is a row, the share answered is a percentage, and the date is only a month
    body = {row[0]: row for row in _rows(content)[1:]}
    assert body["United Kingdom"][2:8] == ["1", "1", "0", "0", "100", "1"]
    assert body["United Kingdom"][-1] == answered_on.strftime("%Y-%m")
    assert answered_on.isoformat() not in content.decode()
    assert body["Germany"][2] == "0"
    # And the output made directly says the same
    assert outputs.overview_output(selectors.overview()).content == content


# --------------------------------------------------------------------------------------------------- pages


def _urls(world: dict[str, Any]) -> list[tuple[str, str]]:
    pk = world["uk"].pk
    return [
        ("get", f"{TRACKER}/"),
        ("post", f"{TRACKER}/"),
        ("post", f"{TRACKER}/seed/"),
        ("get", f"{TRACKER}/overview/"),
        ("post", f"{TRACKER}/overview/release/"),
        ("get", f"{TRACKER}/{pk}/"),
        ("get", f"{TRACKER}/{pk}/edit/"),
        ("post", f"{TRACKER}/{pk}/edit/"),
        ("post", f"{TRACKER}/{pk}/ask/"),
        ("post", f"{TRACKER}/{pk}/response/"),
        ("post", f"{TRACKER}/{pk}/release/"),
    ]


def test_every_page_refuses_whoever_is_not_an_analyst(tracker: dict[str, Any]) -> None:
    fields = {
        "kind": "un",
        "name_en": "UN",
        "name_ru": "ООН",
        "asked_on": timezone.localdate().isoformat(),
        "on": timezone.localdate().isoformat(),
        "summary": "s",
        "release-after": "90",
        "release-threshold": "10",
    }
    # Given an analyst, every page opens (denied before, allowed after)
    analyst = staff_client(tracker["analyst"])
    assert {url: analyst.get(url).status_code for method, url in _urls(tracker) if method == "get"} == dict.fromkeys(
        [url for method, url in _urls(tracker) if method == "get"], 200
    )
    # When anyone else asks for any of them, or posts to them
    for who in ("doc", "caseworker", "admin"):
        client = staff_client(tracker[who])
        answers = {(method, url): getattr(client, method)(url, fields).status_code for method, url in _urls(tracker)}
        # Then they are refused, and nothing is written
        assert set(answers.values()) == {403}, (who, answers)
    assert Government.objects.count() == 2
    assert Ask.objects.count() == Response.objects.count() == Release.objects.count() == 0


def test_the_pages_record_an_ask_and_a_response_and_show_them(tracker: dict[str, Any]) -> None:
    analyst = staff_client(tracker["analyst"])
    uk = tracker["uk"]
    today = timezone.localdate()
    known = _incident(tracker, today - timedelta(days=400))
    # Given an ask recorded on the page
    asked = analyst.post(
        f"{TRACKER}/{uk.pk}/ask/",
        {
            "kind": "investigate",
            "asked_on": (today - timedelta(days=5)).isoformat(),
            "summary": "Investigate",
            "incidents": known,
        },
    )
    assert asked.status_code == 302
    ask = Ask.objects.get()
    # When its answer is recorded
    answered = analyst.post(
        f"{TRACKER}/{uk.pk}/response/",
        {"ask": ask.pk, "kind": "investigation", "on": today.isoformat(), "source": "Hansard", "quote": "We will look"},
    )
    assert answered.status_code == 302
    # Then the government page shows both, the ask's incident reference and the response's source
    page = analyst.get(f"{TRACKER}/{uk.pk}/").content.decode()
    for shown in ("Call for an investigation", "Investigation", known, "Hansard", "We will look", "Scorecard"):
        assert shown in page
    # And a future date is refused in place, what was typed kept
    refused = analyst.post(
        f"{TRACKER}/{uk.pk}/response/",
        {"kind": "statement", "on": (today + timedelta(days=3)).isoformat(), "quote": "Tomorrow's words"},
    )
    assert refused.status_code == 400
    assert "cannot be in the future" in refused.content.decode()
    assert "Tomorrow&#x27;s words" in refused.content.decode()
    assert Response.objects.count() == 1
    # And the list shows its counts; a duplicate name is refused in place
    listing = analyst.get(f"{TRACKER}/").content.decode()
    assert "United Kingdom" in listing
    duplicate = analyst.post(
        f"{TRACKER}/", {"kind": "state", "name_en": "Germany", "name_ru": "Германия", "country": "DE"}
    )
    assert duplicate.status_code == 400
    assert "already listed" in duplicate.content.decode()
    edited = analyst.post(
        f"{TRACKER}/{uk.pk}/edit/",
        {"kind": "state", "name_en": "United Kingdom", "name_ru": "Соединённое Королевство", "country": "GB"},
    )
    assert edited.status_code == 302
    assert Government.objects.get(pk=uk.pk).name_ru == "Соединённое Королевство"


def test_the_common_governments_are_offered_when_the_list_is_empty(analysts: dict[str, Any]) -> None:
    analyst = staff_client(analysts["analyst"])
    # Given an empty tracker, the list offers the common governments and bodies
    assert "Add common governments and bodies" in analyst.get(f"{TRACKER}/").content.decode()
    # When the button is pressed (twice)
    assert analyst.post(f"{TRACKER}/seed/").status_code == 302
    assert analyst.post(f"{TRACKER}/seed/").status_code == 302
    # Then each is listed once, in both languages, and the button is gone
    assert Government.objects.count() == len(COMMON_BODIES) == 13
    council = Government.objects.get(name_en="UN Human Rights Council")
    assert (council.kind, council.name_ru) == ("un", "Совет ООН по правам человека")
    assert Government.objects.get(name_en="Russia").country == "RU"
    assert "Add common governments and bodies" not in analyst.get(f"{TRACKER}/").content.decode()


def test_the_pages_render_in_russian(tracker: dict[str, Any]) -> None:
    # Given a government with an ask and a response
    uk = tracker["uk"]
    asked = _ask(tracker, uk, "statement", timezone.localdate() - timedelta(days=100))
    _response(tracker, uk, "condemnation", timezone.localdate() - timedelta(days=50), ask=asked)
    analyst = staff_client(tracker["analyst"])
    # When an analyst reads the tracker in Russian
    analyst.get("/staff/?lang=ru")
    for url in (f"{TRACKER}/", f"{TRACKER}/{uk.pk}/", f"{TRACKER}/overview/", f"{TRACKER}/{uk.pk}/edit/"):
        page = analyst.get(url)
        html = page.content.decode()
        # Then the page is in Russian, with the governments' Russian names
        assert page.status_code == 200, url
        assert '<html lang="ru"' in html, url
        assert "Выйти" in html, url
        assert "Великобритания" in html, url
        if url != f"{TRACKER}/{uk.pk}/edit/":
            assert "United Kingdom" not in html, url
