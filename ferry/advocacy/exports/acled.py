"""ACLED's columns and HXL's hashtags for an export of events: which ACLED event type each act type becomes,
which act is an incident's main one, what each perpetrator type is as an ACLED actor, and the row itself.
Pure: plain values in, plain values out (the queries are in exports.services).

One row per incident, as ACLED codes one row per event: an incident is the event (one time, one place), and
its acts are what each victim suffered in it. ACLED gives an event the type of its most serious violence, so
an incident takes the event type of its main act, the first of its acts in SEVERITY. Its actor is the
perpetrator type of an involvement in that main act; its fatalities, the victims whose acts had death as their
consequence. Every column holds a vocabulary label, a code, a coarsened date or a count, never text anyone
wrote: `notes`, `source`, `location`, the coordinates and admin2/admin3 stay empty in every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import pycountry

# ACLED's disorder types, event types and sub-event types (ACLED Codebook, 2023).
POLITICAL_VIOLENCE = "Political violence"
STRATEGIC = "Strategic developments"
VIOLENCE_AGAINST_CIVILIANS = "Violence against civilians"
ATTACK = "Attack"
SEXUAL_VIOLENCE = "Sexual violence"
ABDUCTION = "Abduction/forced disappearance"
ARRESTS = "Arrests"
OTHER = "Other"


@dataclass(frozen=True)
class EventType:
    disorder_type: str
    event_type: str
    sub_event_type: str

    @property
    def targets_civilians(self) -> bool:
        return self.event_type == VIOLENCE_AGAINST_CIVILIANS


_VAC = {
    sub: EventType(POLITICAL_VIOLENCE, VIOLENCE_AGAINST_CIVILIANS, sub) for sub in (ATTACK, SEXUAL_VIOLENCE, ABDUCTION)
}
ARREST = EventType(STRATEGIC, STRATEGIC, ARRESTS)
STRATEGIC_OTHER = EventType(STRATEGIC, STRATEGIC, OTHER)

# Seeded act types (ferry/incidents/seed.py) from the most serious down, with the ACLED event each becomes.
# A term an administrator added takes the event of its nearest seeded ancestor; one with none is "Other".
# Violence against civilians: killings, torture, family violence, entrapment (beatings by men met through
# dating apps) and forced "conversion" are attacks; abductions and disappearances are ACLED's own sub-event.
# Detention is ACLED's "Arrests" (a strategic development), as ACLED codes arrests without reported violence;
# threats, outing, extortion, forced marriage, police harassment and denial of protection have no ACLED event
# type of their own and are "Other" strategic developments (ACLED codes no threats as violence).
SEVERITY: tuple[tuple[str, EventType], ...] = (
    ("extrajudicial-killing", _VAC[ATTACK]),
    ("honour-killing-killing", _VAC[ATTACK]),
    ("honour-killing", _VAC[ATTACK]),
    ("enforced-disappearance", _VAC[ABDUCTION]),
    ("abduction", _VAC[ABDUCTION]),
    ("sexual-violence", _VAC[SEXUAL_VIOLENCE]),
    ("torture", _VAC[ATTACK]),
    ("honour-killing-attempt", _VAC[ATTACK]),
    ("family-violence", _VAC[ATTACK]),
    ("entrapment", _VAC[ATTACK]),
    ("forced-conversion", _VAC[ATTACK]),
    ("arbitrary-detention", ARREST),
    ("forced-marriage", STRATEGIC_OTHER),
    ("extortion", STRATEGIC_OTHER),
    ("outing", STRATEGIC_OTHER),
    ("honour-killing-threat", STRATEGIC_OTHER),
    ("police-harassment", STRATEGIC_OTHER),
    ("online-threats", STRATEGIC_OTHER),
    ("denial-of-protection", STRATEGIC_OTHER),
)
# The rank of an act type not in SEVERITY (and of an incident with no act): last.
OTHER_RANK = len(SEVERITY)


def event_of_rank(rank: int) -> EventType:
    return SEVERITY[rank][1] if 0 <= rank < OTHER_RANK else STRATEGIC_OTHER


def ranks(terms: Sequence[tuple[int, str, int | None]]) -> dict[int, int]:
    """Each act type term's rank in SEVERITY, from (id, code, parent id): a term not listed takes its nearest
    listed ancestor's; one with none, OTHER_RANK."""
    listed = {code: rank for rank, (code, _event) in enumerate(SEVERITY)}
    by_id = {term_id: (code, parent) for term_id, code, parent in terms}
    found: dict[int, int] = {}
    for term_id in by_id:
        current: int | None = term_id
        seen: set[int] = set()
        rank = OTHER_RANK
        while current is not None and current in by_id and current not in seen:
            seen.add(current)
            code, parent = by_id[current]
            if code in listed:
                rank = listed[code]
                break
            current = parent
        found[term_id] = rank
    return found


# ACLED's interaction codes for the perpetrator type's top-level term: state agents are state forces (1); a
# religious authority is among "other forces" (8); private individuals (relatives, community, strangers) are
# coded as ACLED codes communal and clan violence, identity militias (4); an unknown perpetrator as ACLED codes
# an unidentified armed group (3). The victims are civilians (7).
INTER_BY_ROOT = {"state": 1, "religious-authority": 8, "private": 4, "unknown": 3}
UNKNOWN_INTER = 3
CIVILIANS = 7


def interaction(inter1: int, inter2: int) -> int:
    """ACLED's interaction: the two codes, the smaller first (17: state forces against civilians)."""
    low, high = sorted((inter1, inter2))
    return low * 10 + high


# The columns, with their HXL hashtags (HXL 1.1 core schema; HDX tags ACLED's own files the same way).
# admin1_code and iso3 are not ACLED's: the ISO 3166-2 code beside admin1's name, and ISO 3166-1 alpha-3.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_id_cnty", "#event+code"),
    ("event_date", "#date+occurred"),
    ("year", "#date+year"),
    ("time_precision", "#date+precision"),
    ("disorder_type", "#event+type+disorder"),
    ("event_type", "#event+type"),
    ("sub_event_type", "#event+type+sub"),
    ("actor1", "#group+name+first"),
    ("inter1", "#group+type+first+code"),
    ("actor2", "#group+name+second"),
    ("inter2", "#group+type+second+code"),
    ("interaction", "#group+interaction+code"),
    ("civilian_targeting", "#event+civilian_targeting"),
    ("iso", "#country+code+num"),
    ("iso3", "#country+code"),
    ("country", "#country+name"),
    ("admin1", "#adm1+name"),
    ("admin1_code", "#adm1+code"),
    ("admin2", "#adm2+name"),
    ("admin3", "#adm3+name"),
    ("location", "#loc+name"),
    ("latitude", "#geo+lat"),
    ("longitude", "#geo+lon"),
    ("geo_precision", "#geo+precision"),
    ("source", "#meta+source"),
    ("source_scale", "#meta+source+scale"),
    ("notes", "#description"),
    ("fatalities", "#affected+killed"),
    ("tags", "#meta+tags"),
)
HEADER = [name for name, _tag in COLUMNS]
HXL_ROW = [tag for _name, tag in COLUMNS]

# ACLED's time precision: 1 the day is known, 2 the month, 3 the year.
TIME_MONTH = 2
TIME_YEAR = 3
# ACLED's geo precision 3: only the region (admin1) is given. Every row, whatever the incident's own place
# precision: an export never places an event more finely than its ISO 3166-2 subdivision.
GEO_PRECISION = 3
SOURCE_SCALE = "Other"


@dataclass(frozen=True)
class Country:
    alpha3: str
    numeric: int
    name: str


@cache
def country(code: str) -> Country:
    found = pycountry.countries.get(alpha_2=code) if code else None
    if found is None:
        return Country(alpha3="XXX", numeric=0, name=code)
    return Country(found.alpha_3, int(found.numeric), getattr(found, "common_name", None) or found.name)


@cache
def subdivision_name(code: str) -> str:
    found = pycountry.subdivisions.get(code=code) if code else None
    return found.name if found is not None else ""


@dataclass(frozen=True)
class Actor:
    label: str  # the perpetrator type's English label: a type, never a named perpetrator
    inter: int


UNKNOWN_ACTOR = Actor("Unknown", UNKNOWN_INTER)


def row(
    *,
    number: int,
    period: date,
    time_precision: int,
    country_code: str,
    subdivision: str,
    rank: int,
    actor: Actor,
    fatalities: int,
) -> list[str | int | date]:
    """One event in the order of COLUMNS. `number` is the row's place in this export, nothing else."""
    event = event_of_rank(rank)
    where = country(country_code)
    values: dict[str, str | int | date] = {
        "event_id_cnty": f"{where.alpha3}{number}",
        "event_date": period,
        "year": period.year,
        "time_precision": time_precision,
        "disorder_type": event.disorder_type,
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actor1": actor.label,
        "inter1": actor.inter,
        "actor2": f"Civilians ({where.name})",
        "inter2": CIVILIANS,
        "interaction": interaction(actor.inter, CIVILIANS),
        "civilian_targeting": "Civilian targeting" if event.targets_civilians else "",
        "iso": where.numeric,
        "iso3": where.alpha3,
        "country": where.name,
        "admin1": subdivision_name(subdivision),
        "admin1_code": subdivision,
        "geo_precision": GEO_PRECISION,
        "source_scale": SOURCE_SCALE,
        "fatalities": fatalities,
    }
    return [values.get(name, "") for name in HEADER]
