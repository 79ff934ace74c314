"""The time zones a person can choose (the IANA names this machine knows), grouped for a select list."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

# The areas of places; the others are old aliases ("US/Eastern") or names for programs ("Etc/GMT+3").
AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


@cache
def zone_choices() -> list[tuple[str, object]]:
    """UTC first, then each area ("Europe") with its places ("Moscow"), for a grouped select list."""
    areas: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(known_zones()):
        area, _slash, place = name.partition("/")
        if area not in AREAS or not place:
            continue
        areas.setdefault(area, []).append((name, place.replace("_", " ")))
    return [("UTC", "UTC"), *areas.items()]
