"""Reads of the documentation: the filtered list (clear fields for everyone with the role; titles and
search only inside what the reader can open, decrypted in memory, never indexed in clear), an
incident's page, the perpetrator and place pages, and counts built from clear fields only."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from ferry.accounts.models import Role, Staff
from ferry.core.text import without_bidi
from ferry.incidents.models import (
    Act,
    ActCount,
    Incident,
    Information,
    Intervention,
    Involvement,
    Perpetrator,
    Place,
    Source,
    Term,
    Victim,
    Vocabulary,
)
from ferry.incidents.services import documentation_team, name_key
from ferry.intake.places import place_label
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing
from ferry.vault.models import Grant

PAGE_SIZE = 50
# A search decrypts titles and narratives in memory; it reads at most this many of the newest matches
# of the clear filters, and says so when it stopped early.
SEARCH_LIMIT = 5_000


@dataclass(frozen=True)
class Filters:
    query: str = ""
    verification: str = ""
    country: str = ""
    subdivision: str = ""
    act_type: int | None = None
    method: int | None = None
    perpetrator_type: int | None = None
    perpetrator: int | None = None
    place: int | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1


def descendants(term_id: int) -> list[int]:
    """A term and every term under it (a filter on "honour killing" includes threats and attempts)."""
    found = [term_id]
    frontier = [term_id]
    while frontier:
        frontier = list(Term.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        found += frontier
    return found


def _terms(filters: Filters) -> list[int]:
    return [t for t in (filters.act_type, filters.method, filters.perpetrator_type) if t]


def filtered(filters: Filters) -> QuerySet[Incident]:
    rows = Incident.objects.all()
    if filters.verification:
        rows = rows.filter(verification=filters.verification)
    # An ISO 3166-2 code begins with its country's: a region alone names its country too (and so the
    # country's index, which leads with it, serves).
    country = filters.country or filters.subdivision.partition("-")[0]
    if country:
        rows = rows.filter(country=country)
    if filters.subdivision:
        rows = rows.filter(subdivision=filters.subdivision)
    if filters.place:
        rows = rows.filter(place_id=filters.place)
    if filters.since:
        rows = rows.filter(Q(end_date__gte=filters.since) | Q(end_date__isnull=True, start_date__gte=filters.since))
    if filters.until:
        rows = rows.filter(start_date__lte=filters.until)
    # A term (act type, method, perpetrator type) through the clear index, which holds every term with those
    # above it: a filter on "honour killing" includes threats and attempts. One entry per incident and term,
    # so a join repeats no incident.
    for term in _terms(filters):
        rows = rows.filter(terms__term_id=term)
    if filters.perpetrator:
        rows = rows.filter(perpetrator_entries__perpetrator_id=filters.perpetrator)
    return rows


def ordered(filters: Filters) -> QuerySet[Incident]:
    """The filtered incidents, newest first. With a term (or perpetrator) filter, ordered by the index entry's
    copy of the same key, so that the database walks that index in order and stops at the page's end."""
    rows = filtered(filters)
    # A filter on the incident's own indexed fields (region, place, verification) lets the database walk the incident's
    # index in order and look each one up in the term index; without one, the term index itself is walked.
    # The incident's id breaks the last ties (an import's chunk shares one creation time; year-only dates share a
    # day): one total order, so that no page repeats or skips an incident.
    if not any((filters.subdivision, filters.verification, filters.place)):
        if _terms(filters):
            return rows.order_by("-terms__start_date", "-terms__created_at", "-terms__incident_id")
        if filters.perpetrator:
            return rows.order_by(
                "-perpetrator_entries__start_date",
                "-perpetrator_entries__created_at",
                "-perpetrator_entries__incident_id",
            )
    return rows.order_by("-start_date", "-created_at", "-pk")


@dataclass
class Row:
    incident: Incident
    title: str | None  # None: the reader cannot open it

    @property
    def where(self) -> str:
        return place_label(self.incident.country, self.incident.subdivision)


@dataclass
class ListPage:
    rows: list[Row]
    page: int
    has_next: bool
    total: int | None
    searched: int = 0
    search_stopped: bool = False


def _titles(ring: KeyRing | None, incidents: list[Incident]) -> dict[Any, str]:
    if ring is None or not incidents:
        return {}
    keys = ring.keys_for([i.key_set for i in incidents])
    out = {}
    for incident in incidents:
        key = keys.get(incident.key_set_id)
        if key is not None:
            out[incident.pk] = keysets.open_json(key, incident, "card").get("title", "")
    return out


def incident_list(*, ring: KeyRing | None, filters: Filters) -> ListPage:
    rows = ordered(filters).select_related("key_set", "place")
    page = max(filters.page, 1)
    if filters.query:
        return _searched(ring, rows, filters.query, page)
    chunk = list(rows.defer("narrative", "location", "notes")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    has_next = len(chunk) > PAGE_SIZE
    chunk = chunk[:PAGE_SIZE]
    titles = _titles(ring, chunk)
    return ListPage([Row(i, titles.get(i.pk)) for i in chunk], page, has_next, None)


def _searched(ring: KeyRing | None, rows: QuerySet[Incident], query: str, page: int) -> ListPage:
    """Search inside titles, narratives and locations the reader can open, decrypted in memory."""
    needle = without_bidi(query).casefold().strip()
    matches: list[Row] = []
    wanted = page * PAGE_SIZE + 1
    read = 0
    stopped = False
    if ring is not None:
        for start in range(0, SEARCH_LIMIT, 500):
            batch = list(rows[start : start + 500])
            if not batch:
                break
            keys = ring.keys_for([i.key_set for i in batch])
            for incident in batch:
                read += 1
                key = keys.get(incident.key_set_id)
                if key is None:
                    continue
                title = keysets.open_json(key, incident, "card").get("title", "")
                text = " ".join(
                    [
                        title,
                        keysets.open_field(key, incident, "narrative") or "",
                        keysets.open_field(key, incident, "location") or "",
                    ]
                )
                if needle in text.casefold():
                    matches.append(Row(incident, title))
            if len(matches) >= wanted:
                break
        else:
            stopped = rows[SEARCH_LIMIT : SEARCH_LIMIT + 1].exists()
    window = matches[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return ListPage(window, page, len(matches) > page * PAGE_SIZE, None, searched=read, search_stopped=stopped)


# ---------------------------------------------------------------------------------------- incident page


@dataclass
class ActView:
    act: Act
    notes: str
    involvements: list[tuple[Involvement, str]]


@dataclass
class VictimView:
    victim: Victim
    identity: dict[str, str] | None  # None: not shared with the reader
    case_link: str
    acts: list[ActView] = field(default_factory=list)


@dataclass
class IncidentView:
    title: str
    narrative: str
    location: str
    notes: str
    victims: list[VictimView]
    information: list[tuple[Information, str, dict[str, str] | None]]
    interventions: list[tuple[Intervention, str]]
    holders: list[Staff]
    share_candidates: list[Staff]


def incident_view(*, ring: KeyRing, incident: Incident, key: bytes) -> IncidentView:
    victims = list(Victim.objects.filter(incident=incident).select_related("key_set"))
    victim_keys = ring.keys_for([v.key_set for v in victims])
    views: dict[Any, VictimView] = {}
    for victim in victims:
        vkey = victim_keys.get(victim.key_set_id)
        identity = None if vkey is None else keysets.open_json(vkey, victim, "identity")
        link = "" if vkey is None else keysets.open_field(vkey, victim, "case_link") or ""
        views[victim.pk] = VictimView(victim, identity, link)
    acts = (
        Act.objects.filter(incident=incident)
        .select_related("act_type", "method", "consequence")
        .prefetch_related("involvements__perpetrator", "involvements__perpetrator_type")
        .order_by("start_date", "created_at")
    )
    for act in acts:
        involvements = [(inv, keysets.open_field(key, inv, "detail") or "") for inv in act.involvements.all()]
        views[act.victim_id].acts.append(ActView(act, keysets.open_field(key, act, "notes") or "", involvements))
    info_rows = list(
        Information.objects.filter(incident=incident).select_related("source__key_set").order_by("received_on")
    )
    source_keys = ring.keys_for([i.source.key_set for i in info_rows])
    information = []
    for info in info_rows:
        skey = source_keys.get(info.source.key_set_id)
        who = None if skey is None else keysets.open_json(skey, info.source, "identity")
        information.append((info, keysets.open_field(key, info, "summary") or "", who))
    interventions = [
        (i, keysets.open_field(key, i, "detail") or "")
        for i in Intervention.objects.filter(incident=incident).select_related("by").order_by("on")
    ]
    holders, candidates = holders_and_candidates(incident)
    return IncidentView(
        title=keysets.open_json(key, incident, "card").get("title", ""),
        narrative=keysets.open_field(key, incident, "narrative") or "",
        location=keysets.open_field(key, incident, "location") or "",
        notes=keysets.open_field(key, incident, "notes") or "",
        victims=list(views.values()),
        information=information,
        interventions=interventions,
        holders=holders,
        share_candidates=candidates,
    )


def holders_and_candidates(incident: Incident) -> tuple[list[Staff], list[Staff]]:
    """Who can open the incident, and the documenters and analysts it could still be shared with (clear
    data only: nothing is decrypted)."""
    holder_ids = set(
        Grant.objects.filter(key_set_id=incident.key_set_id, staff__isnull=False).values_list("staff_id", flat=True)
    )
    holders = list(Staff.objects.filter(pk__in=holder_ids).order_by("display_name", "email"))
    candidates = [
        s
        for s in Staff.objects.filter(
            is_active=True,
            roles__role__in=[Role.DOCUMENTER, Role.ANALYST],
            vault_key__confirmed_at__isnull=False,
            vault_key__paused_at__isnull=True,
        )
        .distinct()
        .order_by("display_name", "email")
        if s.pk not in holder_ids
    ]
    return holders, candidates


def colleagues_for_sharing(staff: Staff) -> list[Staff]:
    """Documenters and analysts an author can name on a new incident (the team gets non-restricted ones anyway)."""
    return list(
        Staff.objects.filter(
            is_active=True,
            roles__role__in=[Role.DOCUMENTER, Role.ANALYST],
            vault_key__confirmed_at__isnull=False,
            vault_key__paused_at__isnull=True,
        )
        .exclude(pk=staff.pk)
        .distinct()
        .order_by("display_name", "email")
    )


def sources_openable(ring: KeyRing | None, *, identities: bool = True) -> list[tuple[Source, dict[str, str]]]:
    """The sources the reader can open, newest first, with their identities (decrypted only when asked for:
    checking a posted choice needs the references alone)."""
    if ring is None:
        return []
    sources = list(Source.objects.select_related("key_set").order_by("-created_at")[:1000])
    keys = ring.keys_for([s.key_set for s in sources])
    return [
        (s, keysets.open_json(keys[s.key_set_id], s, "identity") if identities else {})
        for s in sources
        if s.key_set_id in keys
    ]


# ------------------------------------------------------------------------------ perpetrators and places

REGISTER_MATCHES = 20


@dataclass(frozen=True)
class RegisterMatches:
    found: list[Perpetrator]  # best first, at most the limit (+1, to tell there are more)
    whole: bool  # named whole (by number or by a whole name), not by a part of a name


def register_named(text: str, *, units_only: bool = False, limit: int = REGISTER_MATCHES) -> RegisterMatches:
    """Perpetrators of the register a typed text names: the register number as "#123"; else a whole name
    (original, case and spacing aside, or its transliteration); else every name containing the text (a part)."""
    rows = Perpetrator.objects.select_related("perpetrator_type").order_by("name_original", "pk")
    if units_only:
        rows = rows.exclude(kind=Perpetrator.Kind.PERSON)
    text = without_bidi(text).strip()
    number = re.fullmatch(r"#\s*(\d{1,9})", text)
    if number:
        return RegisterMatches(list(rows.filter(pk=int(number[1]))), whole=True)
    key = name_key(text)
    if not key:
        return RegisterMatches([], whole=True)
    exact = list(rows.filter(Q(name_key=key) | Q(name_translit__iexact=text))[: limit + 1])
    if exact:
        return RegisterMatches(exact, whole=True)
    part = rows.filter(Q(name_key__contains=key) | Q(name_translit__icontains=text))
    return RegisterMatches(list(part[: limit + 1]), whole=False)


def register_matches(text: str, *, units_only: bool = False, limit: int = REGISTER_MATCHES) -> list[Perpetrator]:
    """What register_named finds, whole or in part (the register page's search)."""
    return register_named(text, units_only=units_only, limit=limit).found


TIMELINE_PAGE = 200


@dataclass
class Timeline:
    """Acts linked to an entity, newest first, a page at a time, with counts by year and act type."""

    rows: list[dict[str, Any]]
    total: int
    by_year: list[tuple[int, int]]
    by_act_type: list[tuple[str, int]]
    page: int
    has_next: bool


def _timeline(acts: QuerySet[Act], page: int) -> Timeline:
    """One read of every linked act's date and type (a few numbers each) gives the totals by year and by
    type and the order; the page's 200 acts are then read with their incidents and labels."""
    every = sorted(acts.values_list("start_date", "created_at", "pk", "act_type_id"), reverse=True)
    page = max(page, 1)
    start = (page - 1) * TIMELINE_PAGE
    window = [pk for _day, _at, pk, _kind in every[start : start + TIMELINE_PAGE]]
    details: dict[Any, dict[str, Any]] = {
        row["pk"]: dict(row)
        for row in Act.objects.filter(pk__in=window).values(
            "pk",
            "start_date",
            "start_precision",
            "incident__reference",
            "incident__verification",
            "act_type__label_en",
            "act_type__label_ru",
        )
    }
    years = Counter(day.year for day, _at, _pk, _kind in every)
    kinds = Counter(kind for _day, _at, _pk, kind in every)
    labels = {t.pk: t.label for t in Term.objects.filter(pk__in=kinds)}
    return Timeline(
        rows=[details[pk] for pk in window],
        total=len(every),
        by_year=sorted(years.items(), reverse=True),
        by_act_type=sorted(((labels[k], n) for k, n in kinds.items()), key=lambda item: (-item[1], item[0])),
        page=page,
        has_next=len(every) > start + TIMELINE_PAGE,
    )


def perpetrator_timeline(perpetrator: Perpetrator, page: int = 1) -> Timeline:
    acts = Act.objects.filter(pk__in=Involvement.objects.filter(perpetrator=perpetrator).values("act_id"))
    return _timeline(acts, page)


def place_timeline(place: Place, page: int = 1) -> Timeline:
    return _timeline(Act.objects.filter(incident__place=place), page)


# ----------------------------------------------------------------------------------------------- counts


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def counts_by_month_subdivision_act_type(
    filters: Filters | None = None, *, from_records: bool = False
) -> list[dict[str, Any]]:
    """Acts counted by month, subdivision and act type (as recorded), from clear fields only: rows of month
    (its first day), subdivision, act_type_code and n, in that order. A date range is taken in whole months of
    the acts' own dates, as a monthly table shows them (from 15 March: all of March).

    Filters on the country, subdivision and verification read the kept counts (models.ActCount); filters on
    terms, perpetrators or a place count the acts themselves, as `from_records` always does."""
    filters = filters or Filters()
    first = filters.since.replace(day=1) if filters.since else None
    after = _next_month(filters.until) if filters.until else None
    by_records = from_records or any(
        (filters.act_type, filters.method, filters.perpetrator, filters.perpetrator_type, filters.place)
    )
    rows: QuerySet[Any]
    if by_records:
        whole = replace(filters, since=None, until=None, query="", page=1)
        rows = Act.objects.filter(incident__in=filtered(whole))
        if first:
            rows = rows.filter(start_date__gte=first)
        if after:
            rows = rows.filter(start_date__lt=after)
        rows = rows.annotate(month=TruncMonth("start_date"), subdivision=F("incident__subdivision"))
        total: Count | Sum = Count("pk")
    else:
        rows = ActCount.objects.all()
        for name in ("country", "subdivision", "verification"):
            if getattr(filters, name):
                rows = rows.filter(**{name: getattr(filters, name)})
        if first:
            rows = rows.filter(month__gte=first)
        if after:
            rows = rows.filter(month__lt=after)
        total = Sum("acts")
    # Grouped by the act type's id (an index holds the kept counts in that order) and named by its code here.
    codes = dict(Term.objects.filter(vocabulary=Vocabulary.ACT_TYPE).values_list("pk", "code"))
    grouped = rows.values_list("month", "subdivision", "act_type_id").annotate(n=total)
    return [
        {
            "month": month.date() if isinstance(month, datetime) else month,
            "subdivision": subdivision,
            "act_type_code": codes[act_type],
            "n": n,
        }
        for month, subdivision, act_type, n in grouped.order_by("month", "subdivision", "act_type_id")
    ]


def team_size() -> int:
    return len(documentation_team())


# ------------------------------------------------------------------------------------- on a case's page


def victims_of_case(*, ring: KeyRing | None, staff: Staff, case: Any) -> dict[str, Any]:
    """The victim records linked to a case that this viewer can open: found by opening the links sealed in
    the documentation key sets the viewer holds (nothing in clear joins a victim to a case)."""
    if ring is None:
        return {"documented_victims": []}
    held = Grant.objects.filter(staff_id=staff.pk, key_set__purpose="documentation").values("key_set_id")
    # A link seals the victim to the case's caseworkers: only victims one of them holds can be linked to it,
    # so a documenter who holds every victim does not decrypt them all on each case page.
    carried = Grant.objects.filter(staff_id__in=case.assignments.values("staff_id")).values("key_set_id")
    victims = list(
        Victim.objects.filter(key_set_id__in=held).filter(key_set_id__in=carried).select_related("key_set", "incident")
    )
    keys = ring.keys_for([v.key_set for v in victims])
    linked = [
        v
        for v in victims
        if v.key_set_id in keys and keysets.open_field(keys[v.key_set_id], v, "case_link") == case.reference
    ]
    return {"documented_victims": linked}
