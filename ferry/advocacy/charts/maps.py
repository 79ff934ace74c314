"""Choropleth maps of ISO 3166-2 subdivisions, as PNG or SVG, drawn on the server from the boundary file kept
in the repository (data/admin1.json, from Natural Earth; see data/README.md). A country the file does not
hold is drawn as a tile grid: one labelled square per subdivision, ordered by code.

A figure is a count (darker is more), None a suppressed cell (hatched grey, named in the legend, never
drawn as zero); a subdivision with no figure is drawn light."""

from __future__ import annotations

import gettext
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy
import pycountry
from django.utils import translation
from django.utils.translation import gettext as _
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator

from ferry.advocacy.charts.figures import ChartError, check_format, drawing, figure, footnote, footnote_lines, save

BOUNDARIES = Path(__file__).resolve().parent / "data" / "admin1.json"
WIDTH = 11.0  # inches; the height follows the map's proportions
MAP_WIDTH = 0.66  # of the figure's width
SUPPRESSED = "#a6a6a6"  # the fill of a suppressed subdivision, under grey hatching
NO_FIGURE = "#f2f2f2"
OUTLINE = "#ffffff"
COLOURS = "OrRd"  # light to dark
TILES_ACROSS = 8
LISTED = 14  # subdivisions named beside the map, most first

Polygon = list[list[list[float]]]  # rings of [lon, lat]; the first the outline, the others holes


@cache
def _boundary_file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    return data


def boundaries() -> dict[str, list[Polygon]]:
    """Every subdivision the boundary file holds, by ISO 3166-2 code."""
    held: dict[str, list[Polygon]] = _boundary_file()["subdivisions"]
    return held


@cache
def _names(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def subdivision_name(code: str, language: str) -> str:
    """The subdivision's name in `language` where the ISO 3166-2 lists have it, else its ISO name."""
    found = pycountry.subdivisions.get(code=code)
    if found is None:
        return code
    name = _names(language).gettext(found.name)
    if name == found.name and language == "ru":
        # The ISO lists lack most Russian names; the boundary file keeps the source's.
        name = _boundary_file()["names_ru"].get(code, name)
    return name


def country_subdivisions(country: str) -> list[str]:
    """The country's first-level subdivision codes, in order."""
    return sorted(s.code for s in pycountry.subdivisions.get(country_code=country) or [] if s.parent_code is None)


def _inside(xs: Any, ys: Any, ring: list[list[float]]) -> Any:
    """Which of the points (numpy arrays) lie inside the ring (even-odd rule)."""
    x0, y0 = numpy.array(ring).T[:, :, None]
    x1, y1 = numpy.roll(numpy.array(ring), -1, axis=0).T[:, :, None]
    crosses = (y0 > ys) != (y1 > ys)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        at = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
    return (crosses & (xs < at)).sum(axis=0) % 2 == 1


def _edge_distance(xs: Any, ys: Any, ring: list[list[float]]) -> Any:
    """Each point's distance to the ring's nearest edge."""
    x0, y0 = numpy.array(ring).T[:, :, None]
    x1, y1 = numpy.roll(numpy.array(ring), -1, axis=0).T[:, :, None]
    dx, dy = x1 - x0, y1 - y0
    length = numpy.where(dx * dx + dy * dy == 0, 1.0, dx * dx + dy * dy)
    t = numpy.clip(((xs - x0) * dx + (ys - y0) * dy) / length, 0.0, 1.0)
    return numpy.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy)).min(axis=0)


@cache
def interior_point(code: str) -> tuple[float, float]:
    """A point well inside the subdivision's largest piece (lon, lat): of a grid over it, the point inside
    and farthest from every edge, so a label or a colour read there is the subdivision's own."""
    polygon = boundaries()[code][0]
    outline = numpy.array(polygon[0])
    (west, south), (east, north) = outline.min(axis=0), outline.max(axis=0)
    steps = 40
    grid_x, grid_y = numpy.meshgrid(
        numpy.linspace(west, east, steps + 1)[1:-1], numpy.linspace(south, north, steps + 1)[1:-1]
    )
    xs, ys = grid_x.ravel()[None, :], grid_y.ravel()[None, :]
    inside = _inside(xs, ys, polygon[0])
    for hole in polygon[1:]:
        inside &= ~_inside(xs, ys, hole)
    distance = numpy.min([_edge_distance(xs, ys, ring) for ring in polygon], axis=0)
    distance = numpy.where(inside, distance, -1.0)
    best = int(numpy.argmax(distance))
    if distance[best] < 0:
        return float(outline[:, 0].mean()), float(outline[:, 1].mean())
    return float(xs[0, best]), float(ys[0, best])


@dataclass(frozen=True)
class Albers:
    """Albers equal-area conic projection (spherical), fitted to an extent: areas compare truly."""

    lon0: float
    n: float
    c: float
    rho0: float

    @classmethod
    def fitted(cls, west: float, east: float, south: float, north: float) -> Albers:
        span = north - south
        phi1, phi2 = math.radians(south + span / 6), math.radians(north - span / 6)
        n = (math.sin(phi1) + math.sin(phi2)) / 2
        if abs(n) < 0.05:  # near the equator a cone degenerates; a cylinder (n -> 0) is close enough
            n = 0.05 if n >= 0 else -0.05
        c = math.cos(phi1) ** 2 + 2 * n * math.sin(phi1)
        rho0 = math.sqrt(c - 2 * n * math.sin(math.radians((south + north) / 2))) / n
        return cls(lon0=(west + east) / 2, n=n, c=c, rho0=rho0)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        rho = math.sqrt(max(self.c - 2 * self.n * math.sin(math.radians(lat)), 0.0)) / self.n
        theta = self.n * math.radians(lon - self.lon0)
        return rho * math.sin(theta), self.rho0 - rho * math.cos(theta)


def _check(values: dict[str, int | None], country: str) -> None:
    if pycountry.countries.get(alpha_2=country) is None:
        raise ChartError(_("This country is not known."))
    for code, value in values.items():
        if not code.startswith(country + "-") or pycountry.subdivisions.get(code=code) is None:
            raise ChartError(_("A figure is for a subdivision that is not one of this country's."))
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ChartError(_("A map shows counts: whole numbers, none below zero."))


Extent = tuple[float, float, float, float]  # x0, y0, x1, y1 in a projection's units


def _bounds(points: list[tuple[float, float]]) -> Extent:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _padded(extent: Extent, aspect: float, pad: float) -> Extent:
    """The extent grown by `pad` on each side and then to the proportions (width / height) of `aspect`."""
    x0, y0, x1, y1 = extent
    width, height = (x1 - x0) * (1 + 2 * pad), (y1 - y0) * (1 + 2 * pad)
    width, height = max(width, height * aspect), max(height, width / aspect)
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    return mx - width / 2, my - height / 2, mx + width / 2, my + height / 2


@dataclass(frozen=True)
class _Plan:
    """What a geographic map shows: the projection and extent of the main view, and, when the figures lie in
    a small part of a large country, the projection and extent of the whole country shown small beside it."""

    codes: list[str]
    project: Albers
    view: Extent
    whole: tuple[Albers, Extent, Extent] | None  # the country's projection and extent, and the view's box in it


def _lonlat(codes: list[str], held: dict[str, list[Polygon]]) -> list[tuple[float, float]]:
    return [(x, y) for code in codes for polygon in held[code] for x, y in polygon[0]]


def _plan(country: str, values: dict[str, int | None], held: dict[str, list[Polygon]]) -> _Plan:
    codes = sorted(code for code in held if code.startswith(country + "-"))
    west, south, east, north = _bounds(_lonlat(codes, held))
    whole_project = Albers.fitted(west, east, south, north)
    whole_view = _bounds([whole_project(x, y) for x, y in _lonlat(codes, held)])
    shown = [code for code in codes if code in values]
    if shown:
        w, s, e, n = _bounds(_lonlat(shown, held))
        if (e - w) < (east - west) / 4 and (n - s) < (north - south) / 4:
            # Fitted to the figures' part, so north is up there, with its neighbours around it.
            project = Albers.fitted(w, e, s, n)
            view = _bounds([project(x, y) for x, y in _lonlat(shown, held)])
            margin = max(0.25, min(1.0, 3 / max(e - w, n - s)))  # small parts get relatively more context
            view = _padded(view, 1.0, margin)
            box = _bounds([whole_project(x, y) for x, y in _lonlat(shown, held)])
            return _Plan(codes, project, view, (whole_project, whole_view, box))
    return _Plan(codes, whole_project, whole_view, None)


class _Drawing:
    """One map's figure, and where each subdivision's colour can be read in it."""

    def __init__(self, values: dict[str, int | None], *, country: str, title: str, legend: str, language: str):
        self.values = values
        self.language = language
        counts = [v for v in values.values() if v is not None]
        self.norm = Normalize(vmin=0, vmax=max([*counts, 1]))
        # The palette's palest end is left out, so the smallest count still differs from "no figure".
        self.cmap = ListedColormap(colormaps[COLOURS](numpy.linspace(0.18, 1.0, 256)))
        self.held = boundaries()
        self.points: dict[str, tuple[float, float]] = {}
        geographic = any(code.startswith(country + "-") for code in self.held)
        with translation.override(language):
            notes = [_("Hatched grey: suppressed, too few to publish safely. Light: no figure.")]
            if geographic:
                notes.append(_("Boundaries: Natural Earth (public domain), simplified."))
            else:
                notes.append(
                    _("Each square is a subdivision, ordered by its ISO 3166-2 code; squares are not to scale.")
                )
            lines = footnote_lines(notes)
            suppressed_word, no_figure_word = _("suppressed"), _("no figure")

        plan = _plan(country, values, self.held) if geographic else None
        if plan is not None:
            x0, y0, x1, y1 = plan.view
            aspect = (x1 - x0) / (y1 - y0)
        else:
            _codes, columns, rows = self._tile_grid(country)
            aspect = max(columns, TILES_ACROSS) / rows
        map_width = MAP_WIDTH * WIDTH
        height = min(max(map_width / aspect, 3.6), 6.5) + 1.5  # the title above, the footnote below
        self.fig: Figure = figure(WIDTH, height)
        self.ax: Axes = self.fig.add_axes((0.01, 0.6 / height, MAP_WIDTH, (height - 1.5) / height))
        self.ax.set_axis_off()
        self.fig.text(0.01, 1 - 0.25 / height, title, fontsize=13, fontweight="bold", va="top")
        if plan is not None:
            self._draw_map(plan)
        else:
            self._draw_tiles(country)

        top = 1 - 0.8 / height
        bar_ax = self.fig.add_axes((0.71, top, 0.26, 0.2 / height))
        bar = self.fig.colorbar(ScalarMappable(norm=self.norm, cmap=self.cmap), cax=bar_ax, orientation="horizontal")
        bar.locator = MaxNLocator(integer=True, nbins=5)
        bar.update_ticks()
        bar.set_label(legend, fontsize=9)
        bar_ax.tick_params(labelsize=8)
        key = [
            Patch(facecolor=SUPPRESSED, edgecolor="#6e6e6e", hatch="////", label=suppressed_word),
            Patch(facecolor=NO_FIGURE, edgecolor="#cccccc", label=no_figure_word),
        ]
        self.fig.legend(
            handles=key, loc="upper left", bbox_to_anchor=(0.705, top - 0.75 / height), frameon=False, fontsize=9
        )
        self._list(suppressed_word, top - 1.45 / height)
        footnote(self.fig, lines)

    def colour(self, code: str) -> tuple[Any, Any, str]:
        """Face colour, edge colour and hatch of a subdivision."""
        if code not in self.values:
            return NO_FIGURE, "#d0d0d0", ""
        value = self.values[code]
        if value is None:
            return SUPPRESSED, "#6e6e6e", "////"
        return self.cmap(self.norm(value)), OUTLINE, ""

    def _draw_map(self, plan: _Plan) -> None:
        self._shapes(self.ax, plan.codes, plan.project, linewidth=0.4)
        for code in plan.codes:
            if code in self.values:
                self.points[code] = plan.project(*interior_point(code))
        self._show(self.ax, plan.view)
        if plan.whole is not None:
            project, whole, (x0, y0, x1, y1) = plan.whole
            overview = self.fig.add_axes((0.71, 0.45 / self.fig.get_figheight(), 0.26, 0.22))
            overview.set_axis_off()
            self._shapes(overview, plan.codes, project, linewidth=0.1)
            self._show(overview, whole)
            pad = max(x1 - x0, y1 - y0) * 0.3
            where = Rectangle((x0 - pad, y0 - pad), x1 - x0 + 2 * pad, y1 - y0 + 2 * pad, fill=False, linewidth=0.8)
            overview.add_patch(where)

    def _show(self, ax: Axes, extent: Extent) -> None:
        """Show `extent`, grown to the axes' proportions so that a kilometre is as long across as up."""
        box = ax.get_position()
        aspect = (box.width * self.fig.get_figwidth()) / (box.height * self.fig.get_figheight())
        x0, y0, x1, y1 = _padded(extent, aspect, 0.02)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="box")

    def _shapes(self, ax: Axes, codes: list[str], project: Albers, *, linewidth: float) -> None:
        # Those with a figure are drawn last, so their edges lie on top of their neighbours'.
        for code in sorted(codes, key=lambda c: (c in self.values, self.values.get(c) is None, c)):
            vertices: list[tuple[float, float]] = []
            path_codes: list[Any] = []
            for polygon in self.held[code]:
                for ring in polygon:
                    vertices.extend([project(x, y) for x, y in ring] + [project(*ring[0])])
                    path_codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 1) + [MplPath.CLOSEPOLY])
            face, edge, hatch = self.colour(code)
            shape = MplPath(vertices, path_codes)
            ax.add_patch(PathPatch(shape, facecolor=face, edgecolor=edge, hatch=hatch, linewidth=linewidth))

    def _tile_grid(self, country: str) -> tuple[list[str], int, int]:
        codes = sorted(set(country_subdivisions(country)) | set(self.values))
        columns = max(1, math.ceil(math.sqrt(len(codes) * 1.6)))
        return codes, columns, math.ceil(len(codes) / columns)

    def _draw_tiles(self, country: str) -> None:
        codes, columns, rows = self._tile_grid(country)
        for number, code in enumerate(codes):
            x, y = number % columns, rows - 1 - number // columns
            face, edge, hatch = self.colour(code)
            self.ax.add_patch(Rectangle((x + 0.04, y + 0.04), 0.92, 0.92, facecolor=face, edgecolor=edge, hatch=hatch))
            value = self.values.get(code)
            dark = value is not None and self.norm(value) > 0.5
            text = code.split("-", 1)[1] + ("" if value is None else f"\n{value}")
            # The label sits in the top of the square, so its centre below stays the square's own colour.
            self.ax.text(
                x + 0.5, y + 0.88, text, ha="center", va="top", fontsize=8, color="white" if dark else "#222222"
            )
            self.points[code] = (x + 0.5, y + 0.25)
        # Small countries keep small squares: the grid is never drawn wider than its share of TILES_ACROSS.
        spare = max(TILES_ACROSS - columns, 0) / 2
        self._show(self.ax, (-spare, 0, columns + spare, rows))

    def _list(self, suppressed_word: str, top: float) -> None:
        """The subdivisions with a figure, named, most first, beside the map."""
        ranked = sorted(self.values.items(), key=lambda item: (item[1] is None, -(item[1] or 0), item[0]))
        lines = [
            f"{subdivision_name(code, self.language)}: {suppressed_word if value is None else value}"
            for code, value in ranked[:LISTED]
        ]
        if len(ranked) > LISTED:
            lines.append("…")
        self.fig.text(0.71, top, "\n".join(lines), fontsize=8, va="top", ha="left", linespacing=1.5)

    def pixels(self) -> dict[str, tuple[int, int]]:
        """Where each subdivision with a figure (or suppressed) can be read in the PNG: (column, row)."""
        self.fig.canvas.draw()
        height = self.fig.bbox.height
        out = {}
        for code, (x, y) in self.points.items():
            px, py = self.ax.transData.transform((x, y))
            out[code] = (round(px), round(height - py))
        return out


def map_render(
    values: dict[str, int | None], *, country: str, title: str, legend: str, format: str, language: str
) -> bytes:
    """A choropleth of `values` (count by ISO 3166-2 code; None: suppressed) over `country`'s subdivisions,
    as `format` ("png" or "svg"); `title` and `legend` come translated, the rest is in `language`."""
    check_format(format)
    country = country.upper()
    _check(values, country)
    with drawing():
        drawn = _Drawing(values, country=country, title=title, legend=legend, language=language)
        return save(drawn.fig, format)


def map_pixels(
    values: dict[str, int | None], *, country: str, title: str, legend: str, language: str
) -> dict[str, tuple[int, int]]:
    """Where, in the PNG `map_render` makes of the same arguments, each subdivision in `values` is drawn."""
    country = country.upper()
    _check(values, country)
    with drawing():
        return _Drawing(values, country=country, title=title, legend=legend, language=language).pixels()
