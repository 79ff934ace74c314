"""Countries (ISO 3166-1) and regions (ISO 3166-2) for the request form, named in the page's language."""

from __future__ import annotations

import gettext
from functools import cache

import pycountry
from django.conf import settings
from django.utils.translation import get_language

from ferry.intake import places_ru

# Names pycountry's catalogues get wrong or leave in Latin letters, per language (reviewed lists, kept as data).
_COUNTRIES = {"ru": places_ru.COUNTRIES}
_REGIONS = {"ru": places_ru.REGIONS}
# Leading words ("republic") a reader skips when looking a name up.
_SKIPPED_PREFIXES = places_ru.SORT_SKIPPED_PREFIXES


@cache
def _catalogue(domain: str, language: str) -> gettext.NullTranslations:
    try:
        return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return gettext.NullTranslations()


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def _name(domain: str, name: str, language: str) -> str:
    return name if language == "en" else _catalogue(domain, language).gettext(name)


def _country_name(country: object, language: str) -> str:
    code = country.alpha_2  # type: ignore[attr-defined]
    if code in _COUNTRIES.get(language, {}):
        return _COUNTRIES[language][code]
    return _name("iso3166-1", getattr(country, "common_name", None) or country.name, language)  # type: ignore[attr-defined]


def _region_name(region: object, language: str) -> str:
    code = region.code  # type: ignore[attr-defined]
    if code in _REGIONS.get(language, {}):
        return _REGIONS[language][code]
    return _name("iso3166-2", region.name, language)  # type: ignore[attr-defined]


def sort_key(name: str) -> str:
    """The order a reader expects in a long list: by the distinctive word, case aside, Russian letters in the
    alphabet's order."""
    key = name.casefold().translate(places_ru.SORT_FOLD)
    for prefix in _SKIPPED_PREFIXES:
        if key.startswith(prefix):
            return key.removeprefix(prefix)
    return key


def country_choices() -> list[tuple[str, str]]:
    return _country_choices(_language())


@cache
def _country_choices(language: str) -> list[tuple[str, str]]:
    countries = [(c.alpha_2, _country_name(c, language)) for c in pycountry.countries]
    return sorted(countries, key=lambda item: sort_key(item[1]))


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
        options = sorted(((r.code, _region_name(r, language)) for r in regions), key=lambda i: sort_key(i[1]))
        if options:
            groups.append((_country_name(country, language), options))
    return groups


def country_of_region(region_code: str) -> str:
    return region_code.split("-", 1)[0]


def is_country(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code) is not None


def is_region(code: str) -> bool:
    return pycountry.subdivisions.get(code=code) is not None


def place_label(country: str, region: str) -> str:
    """A readable "Region, Country" for staff pages."""
    language = _language()
    parts = []
    if region:
        sub = pycountry.subdivisions.get(code=region)
        parts.append(_region_name(sub, language) if sub else region)
    if country:
        found = pycountry.countries.get(alpha_2=country)
        parts.append(_country_name(found, language) if found else country)
    return ", ".join(parts)
