"""Countries and regions of the request form, as a Russian reader sees them: in Russian, in Russian order."""
# ruff: noqa: RUF001, RUF003  (Russian words whose letters all look Latin are meant)

from __future__ import annotations

import re

import pycountry
import pytest
from django.utils import translation

from ferry.intake import places
from ferry.intake.places_ru import REGIONS

DEFAULT_FOCUS = ["RU", "BY", "KZ", "UZ", "KG", "TJ", "TM", "AZ", "AM", "GE", "UA", "TR"]
# Russian letters, and the punctuation of official names ("Республика Саха (Якутия)", "Кот-д'Ивуар").
RUSSIAN = re.compile(r"[А-Яа-яЁё]+(?:[ \-—'(),.]+[А-Яа-яЁё]+\)?)*")


def _russian_order(names: list[str]) -> list[str]:
    return sorted(names, key=places.sort_key)


def test_every_region_of_each_default_focus_country_has_a_reviewed_russian_name() -> None:
    for country in DEFAULT_FOCUS:
        codes = {r.code for r in pycountry.subdivisions.get(country_code=country)}
        missing = codes - set(REGIONS)
        assert not missing, f"{country}: no Russian name for {sorted(missing)}"
        names = [REGIONS[code] for code in codes]
        assert len(set(names)) == len(names), f"{country}: two regions share a name"
    assert len([code for code in REGIONS if code.startswith("RU-")]) >= 83
    stale = [code for code in REGIONS if pycountry.subdivisions.get(code=code) is None]
    assert not stale, f"not ISO 3166-2 codes: {stale}"


@pytest.mark.parametrize("country", DEFAULT_FOCUS)
def test_in_russian_every_region_is_in_cyrillic_and_sorted(settings: object, country: str) -> None:
    settings.FERRY_INTAKE_FOCUS_COUNTRIES = DEFAULT_FOCUS  # type: ignore[attr-defined]
    with translation.override("ru"):
        groups = dict(places.region_choices())
        group = dict(places.country_choices())[country]
    names = [name for _code, name in groups[group]]
    assert len(names) == len(list(pycountry.subdivisions.get(country_code=country)))
    for name in names:
        assert RUSSIAN.fullmatch(name), f"{country}: {name!r} is not Russian"
    assert names == _russian_order(names)


def test_russian_order_reads_past_republic_and_treats_yo_as_ye(settings: object) -> None:
    settings.FERRY_INTAKE_FOCUS_COUNTRIES = ["RU", "AZ"]  # type: ignore[attr-defined]
    with translation.override("ru"):
        groups = places.region_choices()
    russia = [name for _code, name in groups[0][1]]
    assert groups[0][0] == "Россия"
    # "Республика Адыгея" is looked for under А, not among twenty republics under Р
    assert russia[:3] == ["Республика Адыгея", "Республика Алтай", "Алтайский край"]
    assert russia.index("Чеченская Республика") > russia.index("Челябинская область")
    assert russia[-1] == "Ярославская область"
    azerbaijan = [name for _code, name in groups[1][1]]
    # ё sorts as е, not after я
    assert azerbaijan.index("Гёйчайский район") < azerbaijan.index("Геранбойский район")


def test_in_russian_every_country_is_in_cyrillic_and_sorted() -> None:
    with translation.override("ru"):
        countries = places.country_choices()
        label = places.place_label("RU", "RU-MOS")
    names = [name for _code, name in countries]
    assert len(names) == len(list(pycountry.countries))
    for name in names:
        assert RUSSIAN.fullmatch(name), f"{name!r} is not Russian"
    assert names == _russian_order(names)
    assert dict(countries)["RU"] == "Россия"
    assert label == "Московская область, Россия"


def test_english_names_are_unchanged() -> None:
    with translation.override("en"):
        assert dict(places.country_choices())["RU"] == "Russian Federation"
        assert places.place_label("RU", "RU-MOS") == "Moskovskaya oblast', Russian Federation"
