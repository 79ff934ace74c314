"""Reads of the government response tracker: the list of governments, one government's timeline, and the
scorecards that set what was asked against what was done and against the verified incidents documented.

Every figure comes from clear fields only: asks, responses, and incidents' verification status and start
date. The scorecard's incident counts are exact here (staff pages); tracker.release suppresses small ones
before anything leaves Ferry.

An ask's state after N days (default 90): **answered** when a response to it (other than one recorded as
"no answer") came within N days of the ask; **no answer** when N days have passed without one (an answer
that came later is still listed among the responses, but the ask was not answered in time); **waiting**
while fewer than N days have passed. Every ask is in exactly one of the three."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Max, Prefetch, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone

from ferry.advocacy.models import Ask, Government, Response
from ferry.incidents.models import Incident, Verification

NO_ANSWER_AFTER_DAYS = 90
ANSWERED, NO_ANSWER, WAITING = "answered", "no_answer", "waiting"


def governments_listed() -> QuerySet[Government]:
    """Every government and body with how many asks and responses it has and its last response."""
    return Government.objects.annotate(
        asks_count=Count("asks", distinct=True),
        responses_count=Count("responses", distinct=True),
        last_response=Max("responses__on"),
    ).order_by("name_en")


# ------------------------------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Entry:
    """One line of a timeline: an ask (with the responses it drew) or a response (with the ask it answers)."""

    on: date
    ask: Ask | None = None
    response: Response | None = None

    @property
    def is_ask(self) -> bool:
        return self.ask is not None


def timeline(government: Government, limit: int = 1000) -> list[Entry]:
    """Asks and responses interleaved by date, newest first; on the same day a response comes above the ask
    (the ask was made first)."""
    asks = (
        Ask.objects.filter(government=government)
        .prefetch_related(
            Prefetch("incidents", queryset=Incident.objects.only("pk", "reference").order_by("reference")),
            Prefetch("releases"),
            Prefetch("responses", queryset=Response.objects.order_by("on", "pk")),
        )
        .order_by("-asked_on", "-pk")[:limit]
    )
    responses = Response.objects.filter(government=government).select_related("ask").order_by("-on", "-pk")[:limit]
    entries = [Entry(on=a.asked_on, ask=a) for a in asks] + [Entry(on=r.on, response=r) for r in responses]
    entries.sort(key=lambda e: (e.on, 0 if e.is_ask else 1, (e.ask or e.response).pk), reverse=True)  # type: ignore[union-attr]
    return entries[:limit]


# ------------------------------------------------------------------------------------------------ ask states


def ask_states(
    asks: Iterable[tuple[int, date]],
    responses: Iterable[tuple[int | None, str, date]],
    *,
    today: date,
    after_days: int,
) -> dict[int, str]:
    """Each ask's state (answered, no answer, waiting) from (ask id, asked on) and (ask id, kind, on)."""
    first_answer: dict[int, date] = {}
    for ask_id, kind, on in responses:
        if ask_id is None or kind == Response.Kind.NO_ANSWER:
            continue
        if ask_id not in first_answer or on < first_answer[ask_id]:
            first_answer[ask_id] = on
    window = timedelta(days=after_days)
    states = {}
    for ask_id, asked_on in asks:
        answered_on = first_answer.get(ask_id)
        if answered_on is not None and answered_on <= asked_on + window:
            states[ask_id] = ANSWERED
        elif today >= asked_on + window:
            states[ask_id] = NO_ANSWER
        else:
            states[ask_id] = WAITING
    return states


# ------------------------------------------------------------------------------------------------ scorecard


@dataclass
class YearRow:
    """One year of a government's scorecard (year None: the totals)."""

    year: int | None
    asks: Counter[str] = field(default_factory=Counter)
    responses: Counter[str] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)
    # Verified incidents that started this year: those this government's asks rested on, and all of them.
    incidents_asked: int = 0
    incidents_verified: int = 0

    @property
    def asks_total(self) -> int:
        return sum(self.asks.values())

    @property
    def responses_total(self) -> int:
        return sum(self.responses.values())

    @property
    def answered(self) -> int:
        return self.states[ANSWERED]

    @property
    def no_answer(self) -> int:
        return self.states[NO_ANSWER]

    @property
    def waiting(self) -> int:
        return self.states[WAITING]


@dataclass
class Scorecard:
    government: Government
    after_days: int
    rows: list[YearRow]
    total: YearRow
    # The kinds that occur in this government's history, in the vocabulary's order: (code, label).
    ask_kinds: list[tuple[str, str]]
    response_kinds: list[tuple[str, str]]

    def table(self) -> list[dict[str, Any]]:
        """Rows with the kinds' counts in the order of the kinds' columns (what the page and the CSV show)."""
        return [
            {
                "row": row,
                "asks": [row.asks[code] for code, _label in self.ask_kinds],
                "responses": [row.responses[code] for code, _label in self.response_kinds],
            }
            for row in [*self.rows, self.total]
        ]


def _kinds_present(choices: list[tuple[str, Any]], counted: Counter[str]) -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in choices if counted[code]]


def _verified_by_year(incidents: QuerySet[Incident]) -> dict[int, int]:
    counted = (
        incidents.filter(verification=Verification.VERIFIED)
        .annotate(year=ExtractYear("start_date"))
        .values("year")
        .annotate(n=Count("pk"))
        .values_list("year", "n")
    )
    return dict(counted)


def _asked_incidents(government: Government) -> QuerySet[Incident]:
    through = Ask.incidents.through.objects.filter(ask__government=government)
    return Incident.objects.filter(pk__in=through.values("incident_id"))


def scorecard(
    government: Government, *, after_days: int = NO_ANSWER_AFTER_DAYS, today: date | None = None
) -> Scorecard:
    """Per year: asks made (by kind, counted by the ask's date) and their states after `after_days`;
    responses received (by kind, by the response's date); verified incidents (by their start year) that the
    government's asks rested on, and all verified incidents. Every year from the first to the last with
    anything in it."""
    today = today or timezone.localdate()
    asks = list(Ask.objects.filter(government=government).values_list("pk", "kind", "asked_on"))
    responses = list(Response.objects.filter(government=government).values_list("ask_id", "kind", "on"))
    states = ask_states(((pk, on) for pk, _kind, on in asks), responses, today=today, after_days=after_days)
    asked = _verified_by_year(_asked_incidents(government))
    verified = _verified_by_year(Incident.objects.all())

    years = {on.year for _pk, _kind, on in asks} | {on.year for _ask, _kind, on in responses}
    years |= set(asked) | set(verified)
    rows = {year: YearRow(year=year) for year in range(min(years), max(years) + 1)} if years else {}
    total = YearRow(year=None)
    for pk, kind, on in asks:
        for row in (rows[on.year], total):
            row.asks[kind] += 1
            row.states[states[pk]] += 1
    for _ask, kind, on in responses:
        for row in (rows[on.year], total):
            row.responses[kind] += 1
    for year, row in rows.items():
        row.incidents_asked = asked.get(year, 0)
        row.incidents_verified = verified.get(year, 0)
        total.incidents_asked += row.incidents_asked
        total.incidents_verified += row.incidents_verified
    return Scorecard(
        government=government,
        after_days=after_days,
        rows=[rows[year] for year in sorted(rows)],
        total=total,
        ask_kinds=_kinds_present(Ask.Kind.choices, total.asks),
        response_kinds=_kinds_present(Response.Kind.choices, total.responses),
    )


# ------------------------------------------------------------------------------------------------- overview


@dataclass
class OverviewRow:
    government: Government
    asks: int
    responses: Counter[str]
    states: Counter[str]
    last_response: date | None

    @property
    def responses_total(self) -> int:
        return sum(self.responses.values())

    @property
    def share_answered(self) -> float | None:
        """Answered within the window, out of the asks whose window has closed or that were answered."""
        decided = self.states[ANSWERED] + self.states[NO_ANSWER]
        return self.states[ANSWERED] / decided if decided else None


@dataclass
class Overview:
    after_days: int
    rows: list[OverviewRow]
    response_kinds: list[tuple[str, str]]

    def table(self) -> list[dict[str, Any]]:
        return [
            {"row": row, "responses": [row.responses[code] for code, _label in self.response_kinds]}
            for row in self.rows
        ]


def overview(*, after_days: int = NO_ANSWER_AFTER_DAYS, today: date | None = None) -> Overview:
    """One row per government: asks, responses by kind, the share of asks answered in time, last response."""
    today = today or timezone.localdate()
    asks = list(Ask.objects.values_list("pk", "government_id", "asked_on"))
    responses = list(Response.objects.values_list("ask_id", "government_id", "kind", "on"))
    states = ask_states(
        ((pk, on) for pk, _g, on in asks),
        ((ask, kind, on) for ask, _g, kind, on in responses),
        today=today,
        after_days=after_days,
    )
    rows = {
        g.pk: OverviewRow(government=g, asks=0, responses=Counter(), states=Counter(), last_response=None)
        for g in Government.objects.order_by("name_en")
    }
    every_kind: Counter[str] = Counter()
    for pk, government_id, _on in asks:
        rows[government_id].asks += 1
        rows[government_id].states[states[pk]] += 1
    for _ask, government_id, kind, on in responses:
        row = rows[government_id]
        row.responses[kind] += 1
        every_kind[kind] += 1
        row.last_response = on if row.last_response is None else max(row.last_response, on)
    return Overview(
        after_days=after_days,
        rows=list(rows.values()),
        response_kinds=_kinds_present(Response.Kind.choices, every_kind),
    )
