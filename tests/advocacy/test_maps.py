"""Maps of subdivisions, looked at: each region's colour read from the PNG and set against its count; the
suppressed one hatched grey; the tile grid where the boundary file has no country; the boundary file
itself and the script that makes it."""

from __future__ import annotations

import importlib.util
import io
import json
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pycountry
import pytest
from matplotlib.colors import to_rgb
from matplotlib.path import Path as MplPath
from PIL import Image

from ferry.advocacy.charts.figures import ChartError
from ferry.advocacy.charts.maps import (
    BOUNDARIES,
    NO_FIGURE,
    SUPPRESSED,
    boundaries,
    interior_point,
    map_pixels,
    map_render,
    subdivision_name,
)

ROOT = Path(__file__).resolve().parents[2]


def _look(values: dict[str, int | None], country: str, **kw: Any) -> tuple[Image.Image, dict[str, tuple[int, int]]]:
    args = {"country": country, "title": kw.get("title", "Acts by subdivision"), "legend": "Acts", "language": "en"}
    png = map_render(values, format="png", **args)  # type: ignore[arg-type]
    return Image.open(io.BytesIO(png)).convert("RGB"), map_pixels(values, **args)  # type: ignore[arg-type]


def _colour(image: Image.Image, at: tuple[int, int], size: int = 2) -> tuple[int, int, int]:
    """The commonest colour around a point (so a hatch line or an edge under it does not decide)."""
    x, y = at
    around = [image.getpixel((x + dx, y + dy)) for dx in range(-size, size + 1) for dy in range(-size, size + 1)]
    colour: tuple[int, int, int] = Counter(around).most_common(1)[0][0]  # type: ignore[assignment]
    return colour


def _lightness(colour: tuple[int, int, int]) -> float:
    r, g, b = colour
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _near(colour: tuple[int, int, int], hex_colour: str, tolerance: int = 6) -> bool:
    expected = [round(c * 255) for c in to_rgb(hex_colour)]
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


@pytest.mark.parametrize(
    "values",
    [
        # The North Caucasus alone: drawn close, with the whole country small beside it
        {"RU-CE": 120, "RU-SE": 60, "RU-DA": 12, "RU-IN": None},
        # Spread across the country: drawn whole
        {"RU-CE": 120, "RU-SVE": 60, "RU-DA": 12, "RU-IN": None, "RU-MOW": 30, "RU-NVS": 25},
    ],
    ids=["close", "whole"],
)
def test_a_map_looked_at_shows_more_darker_and_the_suppressed_hatched_grey(values: dict[str, int | None]) -> None:
    # Given counts for Chechnya (high), another (middle), Dagestan (low), and Ingushetia suppressed
    # When the map is drawn as a PNG and its colour read at a point well inside each region
    image, where = _look(values, "RU")
    colours = {code: _colour(image, where[code]) for code in values}
    middle = "RU-SE" if "RU-SE" in values else "RU-SVE"
    # Then the more acts, the darker the region
    assert _lightness(colours["RU-CE"]) < _lightness(colours[middle]) < _lightness(colours["RU-DA"])
    # And none of the counted regions is grey or the pale "no figure"
    for code in ("RU-CE", middle, "RU-DA"):
        r, _g, b = colours[code]
        assert r - b > 20, f"{code} is not coloured: {colours[code]}"
    # And the suppressed one has the suppressed grey, not a count's colour
    assert _near(colours["RU-IN"], SUPPRESSED)


def test_the_point_read_is_inside_its_region() -> None:
    # Given the regions of the North Caucasus and two large ones
    for code in ["RU-CE", "RU-DA", "RU-IN", "RU-SE", "RU-KB", "RU-MOW", "RU-SVE", "RU-SA"]:
        # When a point is chosen inside it
        x, y = interior_point(code)
        # Then it is inside the region's largest piece, and inside no neighbour
        assert MplPath(boundaries()[code][0][0]).contains_point((x, y)), code
        others = [c for c in boundaries() if c != code]
        assert not any(MplPath(boundaries()[c][0][0]).contains_point((x, y)) for c in others), code


def test_a_region_with_no_figure_is_drawn_light_and_the_key_names_the_suppressed() -> None:
    # Given a map of Russia with Chechnya counted and Ingushetia suppressed
    values: dict[str, int | None] = {"RU-CE": 40, "RU-IN": None}
    svg = map_render(values, country="RU", title="Acts, 2017", legend="Acts", format="svg", language="en").decode()
    # Then the title, the legend's name and the word "suppressed" are text in the SVG, as is Chechnya's name
    for text in ["Acts, 2017", "Acts", "suppressed", "no figure", subdivision_name("RU-CE", "en")]:
        assert text in svg
    # And the regions with no figure (most of them) are filled with the light colour
    assert svg.count(f"fill: {NO_FIGURE}") > 60


def test_a_country_without_boundaries_is_drawn_as_a_tile_grid() -> None:
    # Given Georgia, which the boundary file does not hold, with Tbilisi high, Ajaria low, Abkhazia suppressed
    assert not any(code.startswith("GE-") for code in boundaries())
    values: dict[str, int | None] = {"GE-TB": 30, "GE-AJ": 11, "GE-AB": None}
    # When its map is drawn
    image, where = _look(values, "GE")
    # Then every first-level subdivision of Georgia has its square
    expected = sorted(s.code for s in pycountry.subdivisions.get(country_code="GE") if s.parent_code is None)
    assert sorted(where) == expected
    # And their colours follow the counts, the suppressed one is grey and the others light
    colours = {code: _colour(image, at) for code, at in where.items()}
    assert _lightness(colours["GE-TB"]) < _lightness(colours["GE-AJ"])
    assert _near(colours["GE-AB"], SUPPRESSED)
    assert all(_near(colours[code], NO_FIGURE) for code in expected if code not in values)
    # And the squares are laid in order of code: left to right, then top to bottom
    order = sorted(expected, key=lambda code: (where[code][1], where[code][0]))
    assert order == expected


@pytest.mark.parametrize("country", ["RU", "GE"])
@pytest.mark.parametrize("format", ["png", "svg"])
def test_the_same_map_gives_the_same_bytes(country: str, format: str) -> None:
    values: dict[str, int | None] = {f"{country}-{'CE' if country == 'RU' else 'TB'}": 25}
    args: dict[str, Any] = {"country": country, "title": "Acts", "legend": "Acts", "format": format, "language": "en"}
    first = map_render(values, **args)
    map_render({}, **{**args, "title": "Something else"})
    assert map_render(values, **args) == first


def test_a_russian_map_renders_without_missing_glyphs() -> None:
    # Given a Russian title and legend
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = map_render(
            {"RU-CE": 40, "RU-SVE": 12, "RU-IN": None},
            country="RU",
            title="Задержания по субъектам",
            legend="Акты",
            format="svg",
            language="ru",
        ).decode()
        map_render({"RU-CE": 40}, country="RU", title="Задержания", legend="Акты", format="png", language="ru")
    # Then no glyph was missing, and the subdivisions are named in Russian
    assert [str(w.message) for w in caught if "missing from" in str(w.message).lower()] == []
    assert "Задержания по субъектам" in svg
    assert "Свердловская область" in svg
    assert "Ингушетия" in svg


@pytest.mark.parametrize(
    ("values", "country"),
    [
        ({"UA-43": 12}, "RU"),  # another country's subdivision
        ({"RU-XX": 12}, "RU"),  # no such subdivision
        ({"RU-CE": -1}, "RU"),  # not a count
        ({"RU-CE": 1.5}, "RU"),
        ({}, "XX"),  # no such country
    ],
)
def test_a_map_of_wrong_figures_is_refused(values: dict[str, Any], country: str) -> None:
    with pytest.raises(ChartError):
        map_render(values, country=country, title="t", legend="l", format="png", language="en")


def test_the_boundary_file_is_small_public_domain_and_names_real_subdivisions() -> None:
    # Given the boundary file kept in the repository and its note
    data = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    note = (BOUNDARIES.parent / "README.md").read_text(encoding="utf-8")
    # Then it is small, says where it comes from, and names no address to fetch anything from
    assert BOUNDARIES.stat().st_size < 2_000_000
    assert "Natural Earth" in note
    assert "public domain" in note
    assert "http" not in note
    assert "http" not in BOUNDARIES.read_text(encoding="utf-8")
    # And every code in it is a real ISO 3166-2 subdivision, Russia's all of them
    assert all(pycountry.subdivisions.get(code=code) for code in data["subdivisions"])
    russia = {s.code for s in pycountry.subdivisions.get(country_code="RU")}
    assert {code for code in data["subdivisions"] if code.startswith("RU-")} == russia
    # And Moscow the city is the smaller of Moscow's two (the source swaps their codes; the script corrects it)
    assert len(json.dumps(data["subdivisions"]["RU-MOW"])) < len(json.dumps(data["subdivisions"]["RU-MOS"]))


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("boundaries_script", ROOT / "scripts" / "boundaries.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _square(code: str, iso_a2: str, ring: list[list[float]], name: str = "x") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"iso_3166_2": code, "iso_a2": iso_a2, "name": name, "name_ru": "имя", "other": 1},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_the_script_simplifies_shared_borders_once_so_neighbours_still_meet() -> None:
    # Given two neighbours sharing a wiggly border (walked in opposite directions), and a stray feature
    wiggle = [[1.0, y / 10] for y in range(11)]
    wiggle = [[x + (0.001 if i % 2 else 0.0), y] for i, (x, y) in enumerate(wiggle)]
    west = [[0.0, 0.0], *wiggle, [0.0, 1.0], [0.0, 0.0]]
    east = [wiggle[-1], *wiggle[::-1][1:], [2.0, 0.0], [2.0, 1.0], wiggle[-1]]
    collection = {
        "features": [
            _square("RU-AAA", "RU", west),
            _square("RU-BBB", "RU", east),
            _square("UA-43", "RU", west),  # filed under one country with another's code: left out
            _square("BY-HM", "BY", west),  # a country not asked for: left out
        ]
    }
    # When the script builds the boundary data for Russia
    data = _script().build(collection, {"RU"}, tolerance=0.01, min_area=0.0)
    # Then only Russia's two are kept, with only their codes, outlines and Russian names
    assert sorted(data["subdivisions"]) == ["RU-AAA", "RU-BBB"]
    assert data["names_ru"] == {"RU-AAA": "имя", "RU-BBB": "имя"}
    # And the wiggle is gone, and both sides of the border hold the same points
    a = {tuple(p) for p in data["subdivisions"]["RU-AAA"][0][0]}
    b = {tuple(p) for p in data["subdivisions"]["RU-BBB"][0][0]}
    shared = sorted(p for p in a if p[0] >= 0.99)
    assert shared == [(1.0, 0.0), (1.0, 1.0)]
    assert shared == sorted(p for p in b if p[0] <= 1.01)


def test_the_script_mends_the_antimeridian_and_the_moscow_codes() -> None:
    # Given Chukotka split at the antimeridian, and Moscow's region filed under the city's code
    collection = {
        "features": [
            _square("RU-CHU", "RU", [[175.0, 65.0], [180.0, 65.0], [180.0, 66.0], [175.0, 66.0], [175.0, 65.0]]),
            _square("RU-KAM", "RU", [[-180.0, 65.0], [-175.0, 65.0], [-175.0, 66.0], [-180.0, 66.0], [-180.0, 65.0]]),
            _square("RU-MOW", "RU", [[36.0, 55.0], [38.0, 55.0], [38.0, 56.0], [36.0, 55.0]], name="Moskovskaya"),
        ]
    }
    data = _script().build(collection, {"RU"}, tolerance=0.01, min_area=0.0)
    # Then the western half is moved past 180, so the country draws in one piece
    assert min(x for x, _y in data["subdivisions"]["RU-KAM"][0][0]) == 180.0
    # And the region gets the region's code
    assert "RU-MOS" in data["subdivisions"]
    assert "RU-MOW" not in data["subdivisions"]
