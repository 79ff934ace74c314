"""Countries (ISO 3166-1) and regions (ISO 3166-2) for the request form, named in the page's language."""

from __future__ import annotations

import gettext
from functools import cache

import pycountry
from django.conf import settings
from django.utils.translation import get_language


@cache
def _catalogue(domain: str, language: str) -> gettext.NullTranslations:
    try:
        return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return gettext.NullTranslations()


def _name(domain: str, name: str) -> str:
    language = (get_language() or "en").split("-")[0]
    return name if language == "en" else _catalogue(domain, language).gettext(name)


def _country_name(country: object) -> str:
    return _name("iso3166-1", getattr(country, "common_name", None) or country.name)  # type: ignore[attr-defined]


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def country_choices() -> list[tuple[str, str]]:
    return _country_choices(_language())


@cache
def _country_choices(language: str) -> list[tuple[str, str]]:
    countries = [(c.alpha_2, _country_name(c)) for c in pycountry.countries]
    return sorted(countries, key=lambda item: item[1].casefold())


def region_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Regions of the organisation's focus countries, grouped by country (optgroups work without script)."""
    return _region_choices(_language(), tuple(settings.FERRY_INTAKE_FOCUS_COUNTRIES))


@cache
def _region_choices(language: str, focus: tuple[str, ...]) -> list[tuple[str, list[tuple[str, str]]]]:
    groups = []
    for code in focus:
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            continue
        regions = pycountry.subdivisions.get(country_code=code) or []
        options = sorted(((r.code, _name("iso3166-2", r.name)) for r in regions), key=lambda i: i[1].casefold())
        if options:
            groups.append((_country_name(country), options))
    return groups


def country_of_region(region_code: str) -> str:
    return region_code.split("-", 1)[0]


def is_country(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code) is not None


def is_region(code: str) -> bool:
    return pycountry.subdivisions.get(code=code) is not None


def place_label(country: str, region: str) -> str:
    """A readable "Region, Country" for staff pages."""
    parts = []
    if region:
        sub = pycountry.subdivisions.get(code=region)
        parts.append(_name("iso3166-2", sub.name) if sub else region)
    if country:
        found = pycountry.countries.get(alpha_2=country)
        parts.append(_country_name(found) if found else country)
    return ", ".join(parts)
