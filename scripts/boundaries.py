"""Build the small boundary file the maps draw (ferry/advocacy/charts/data/admin1.json) from Natural Earth's
admin-1 states and provinces (public domain), given as a GeoJSON file on the command line.

    python scripts/boundaries.py PATH/TO/ne_50m_admin_1_states_provinces.geojson [--countries RU,UA,...]

Only the ISO 3166-2 code, the geometry and the Russian name of each subdivision are kept (the ISO lists
pycountry ships lack most Russian names); two known slips of the source are corrected (Moscow's city and
region codes swapped, Altai Krai's Russian name). Shared borders are simplified once
(Douglas-Peucker on the pieces of border between junctions), so neighbours still meet after simplification,
and coordinates are rounded to three decimals. A subdivision is kept only for the country its code names
(a feature filed under one country with another country's code is left out). A country whose subdivisions
cross the antimeridian has its western longitudes moved past 180 so it draws in one piece."""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path

DEFAULT_COUNTRIES = "RU,UA,BY,GE,AM,AZ,KZ,KG,UZ,TJ,TM,MD"
OUTPUT = Path(__file__).resolve().parent.parent / "ferry" / "advocacy" / "charts" / "data" / "admin1.json"
SOURCE = "Natural Earth admin-1 states and provinces (public domain), simplified"
# Known slips in the source, keyed by (code, the source's English name), so a corrected edition is left alone.
CODE_FIXES = {("RU-MOW", "Moskovskaya"): "RU-MOS", ("RU-MOS", "Moskva"): "RU-MOW"}
NAME_FIXES = {"RU-ALT": "Алтайский край"}

Point = tuple[float, float]
Ring = list[Point]


def _distance(point: Point, start: Point, end: Point) -> float:
    """Distance from a point to the segment start-end."""
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    if length == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """The points of a line to keep: its ends, and every point farther than `tolerance` from the simplified
    line (iterative, so a long coastline does not exhaust the stack)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, -1
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > farthest:
                farthest, index = d, i
        if index >= 0 and farthest > tolerance:
            keep[index] = True
            stack.extend([(first, index), (index, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _area(ring: Ring) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def _open(ring: list[list[float]]) -> Ring:
    points = [(float(x), float(y)) for x, y in ring]
    return points[:-1] if len(points) > 1 and points[0] == points[-1] else points


class Simplifier:
    """Simplifies every ring of a set of polygons so that a border two rings share is simplified once."""

    def __init__(self, rings: list[Ring], tolerance: float) -> None:
        self.tolerance = tolerance
        self.owners: dict[Point, set[int]] = defaultdict(set)
        for number, ring in enumerate(rings):
            for point in ring:
                self.owners[point].add(number)
        self.done: dict[tuple[Point, ...], list[Point]] = {}

    def _piece(self, piece: list[Point]) -> list[Point]:
        """A border piece, simplified the same way whichever ring walks it and in which direction."""
        forward = tuple(piece)
        backward = forward[::-1]
        canonical = min(forward, backward)
        if canonical not in self.done:
            self.done[canonical] = douglas_peucker(list(canonical), self.tolerance)
        simplified = self.done[canonical]
        return simplified if canonical == forward else simplified[::-1]

    def ring(self, ring: Ring) -> Ring:
        n = len(ring)
        # A junction: a point whose owners differ from a neighbour's (where a border meets another border
        # or the coast).
        junctions = [
            i
            for i in range(n)
            if self.owners[ring[i]] != self.owners[ring[i - 1]]
            or self.owners[ring[i]] != self.owners[ring[(i + 1) % n]]
        ]
        if not junctions:
            # An island, or a subdivision inside one other: simplify from its first and farthest points.
            far = max(range(n), key=lambda i: math.hypot(ring[i][0] - ring[0][0], ring[i][1] - ring[0][1]))
            junctions = [0, far] if far else [0]
        out: Ring = []
        for k, start in enumerate(junctions):
            end = junctions[(k + 1) % len(junctions)]
            piece = ring[start : end + 1] if end > start else ring[start:] + ring[: end + 1]
            out.extend(self._piece(piece)[:-1])
        return out


def _rounded(ring: Ring) -> list[list[float]]:
    points: list[list[float]] = []
    for x, y in ring:
        point = [round(x, 3), round(y, 3)]
        if not points or points[-1] != point:
            points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    return points


def build(collection: dict, countries: set[str], tolerance: float, min_area: float) -> dict:
    kept: dict[str, list[list[Ring]]] = {}
    names: dict[str, str] = {}
    for feature in collection["features"]:
        properties, geometry = feature.get("properties") or {}, feature.get("geometry")
        code = (properties.get("iso_3166_2") or "").strip()
        code = CODE_FIXES.get((code, properties.get("name")), code)
        country = code.split("-")[0]
        if not geometry or "-" not in code or country not in countries or properties.get("iso_a2") != country:
            continue
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        if properties.get("name_ru"):
            names[code] = NAME_FIXES.get(code, properties["name_ru"])
        kept.setdefault(code, []).extend([[_open(ring) for ring in polygon] for polygon in polygons])

    for country in countries:
        codes = [code for code in kept if code.startswith(country + "-")]
        xs = [x for code in codes for polygon in kept[code] for ring in polygon for x, _ in ring]
        if xs and min(xs) < -170 and max(xs) > 170:
            for code in codes:
                kept[code] = [
                    [[(x + 360 if x < 0 else x, y) for x, y in ring] for ring in polygon] for polygon in kept[code]
                ]

    simplifier = Simplifier([ring for polygons in kept.values() for polygon in polygons for ring in polygon], tolerance)
    out: dict[str, list[list[list[list[float]]]]] = {}
    for code in sorted(kept):
        polygons = sorted(kept[code], key=lambda polygon: -_area(polygon[0]))
        shapes = []
        for number, polygon in enumerate(polygons):
            # Islands too small to see are left out; a subdivision always keeps its largest piece.
            if number and _area(polygon[0]) < min_area:
                continue
            rings = [_rounded(simplifier.ring(ring)) for ring in polygon]
            rings = [ring for ring in rings if len(ring) >= 3]
            if rings and (number == 0 or len(rings[0]) >= 4):
                shapes.append(rings)
        out[code] = shapes
    present = sorted({code.split("-")[0] for code in out})
    return {
        "source": SOURCE,
        "tolerance": tolerance,
        "countries": present,
        "subdivisions": out,
        "names_ru": {code: names[code] for code in sorted(out) if code in names},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("geojson", type=Path, help="Natural Earth admin-1 states and provinces, as GeoJSON")
    parser.add_argument("--countries", default=DEFAULT_COUNTRIES, help="ISO 3166-1 codes to keep, comma-separated")
    parser.add_argument("--tolerance", type=float, default=0.02, help="Douglas-Peucker tolerance, in degrees")
    parser.add_argument("--min-area", type=float, default=0.02, help="smallest island kept, in square degrees")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    collection = json.loads(args.geojson.read_text(encoding="utf-8"))
    countries = {c.strip().upper() for c in args.countries.split(",") if c.strip()}
    data = build(collection, countries, args.tolerance, args.min_area)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    points = sum(len(r) for polygons in data["subdivisions"].values() for p in polygons for r in p)
    print(f"{len(data['subdivisions'])} subdivisions of {', '.join(data['countries'])}: {points} points")
    print(f"{args.output}: {args.output.stat().st_size} bytes")


if __name__ == "__main__":
    main()
