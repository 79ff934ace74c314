"""What every chart and map shares: an off-screen figure, the fonts, the footnote, and saving it to the same
bytes every time.

Figures are made with `matplotlib.figure.Figure` and its Agg canvas, never through pyplot, so no global
figure state is shared between requests and nothing needs a display. The settings a figure reads (fonts,
the SVG id salt) are applied under one lock, so two threads rendering at once cannot mix them."""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
from django.utils.translation import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ferry.core.errors import FerryError

FORMATS = ("png", "svg")
DPI = 100
_LOCK = threading.Lock()
# DejaVu Sans ships with matplotlib and covers Cyrillic; the salt makes SVG ids the same on every run; text
# stays text in an SVG so it can be searched, read aloud and translated.
_SETTINGS: dict[Any, Any] = {
    "font.family": "DejaVu Sans",
    "svg.hashsalt": "ferry",
    "svg.fonttype": "none",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
}


class ChartError(FerryError):
    """A chart or map that cannot be drawn as asked; the message is for the person."""


def check_format(format: str) -> None:
    if format not in FORMATS:
        raise ChartError(_("A chart can be made as PNG or SVG only."))


@contextmanager
def drawing() -> Iterator[None]:
    """Hold while a figure is made and saved: matplotlib's settings are process-wide."""
    matplotlib.use("Agg", force=False)
    with _LOCK, matplotlib.rc_context(_SETTINGS):
        yield


def figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def footnote_lines(sentences: list[str], width: int = 150) -> list[str]:
    lines: list[str] = []
    for sentence in sentences:
        lines.extend(textwrap.wrap(sentence, width=width) or [""])
    return lines


def footnote(fig: Figure, lines: list[str]) -> None:
    """The method and disclosure sentences, small, under the drawing."""
    if lines:
        fig.text(0.01, 0.012, "\n".join(lines), fontsize=7.5, color="#444444", va="bottom", ha="left", linespacing=1.4)


def save(fig: Figure, format: str) -> bytes:
    """The figure's bytes, the same for the same figure: no date in the SVG or the PNG."""
    out = io.BytesIO()
    metadata: dict[str, str | None] = {"Date": None} if format == "svg" else {"Software": None}
    fig.savefig(out, format=format, dpi=DPI, metadata=metadata, facecolor="white")
    return out.getvalue()
