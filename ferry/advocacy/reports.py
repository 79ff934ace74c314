"""Reports: a PDF assembled from approved releases (tables, charts, maps) and the analyst's own text, in
English or Russian, with the methodology and every component's disclosure settings printed at the end.

A report embeds exactly what was approved: each table is read back from its approved CSV and each chart
from its approved image (checked against its hash by the release door), never counted again; the report is
itself a release, so a second analyst approves the assembled whole."""

from __future__ import annotations

import base64
import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ferry.accounts.models import Staff
from ferry.advocacy import releases
from ferry.advocacy.models import Release
from ferry.advocacy.releases import Output
from ferry.advocacy.tabular import SUPPRESSED
from ferry.core.errors import FerryError
from ferry.core.pdf import html_pdf
from ferry.vault.keyring import KeyRing

MAX_SECTIONS = 30
COMPONENT_KINDS = (Release.Kind.TABLE, Release.Kind.CHART, Release.Kind.MAP)
IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


class ReportError(FerryError):
    """A report that cannot be assembled as asked."""


@dataclass
class Section:
    title: str
    caption: str
    release: Release
    table: list[list[str]] = field(default_factory=list)  # heading row first
    notes: list[str] = field(default_factory=list)
    image: str = ""  # a data: URL

    @property
    def settings_text(self) -> str:
        return disclosure_text(self.release.disclosure)


def disclosure_text(settings: dict[str, Any]) -> str:
    """A release's disclosure settings in words, for the methodology."""
    parts = []
    if settings.get("threshold"):
        parts.append(_("cells below %(k)s suppressed") % {"k": settings["threshold"]})
    if settings.get("rounding") == "base5":
        parts.append(_("rounded to a multiple of 5"))
    elif settings.get("rounding") == "random3":
        parts.append(_("randomly rounded to a multiple of 3"))
    if settings.get("epsilon"):
        parts.append(_("noise with epsilon %(epsilon)s") % {"epsilon": settings["epsilon"]})
    for name in ("date", "place"):
        if settings.get(name):
            parts.append(f"{name}: {settings[name]}")
    return "; ".join(parts)


def components() -> list[Release]:
    """Approved tables (CSV), charts and maps a report can be made of."""
    return list(
        Release.objects.filter(state=Release.State.APPROVED, kind__in=COMPONENT_KINDS)
        .exclude(format__in=["xlsx", "json", "pdf"])
        .order_by("-approved_at")[:300]
    )


def _table_from_csv(content: bytes) -> tuple[str, list[list[str]], list[str]]:
    """The title, the grid (heading row first) and the notes of a table written by tabular.table_csv."""
    lines = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    title = lines[0][0] if lines and lines[0] else ""
    try:
        blank = lines.index([])
    except ValueError:
        blank = len(lines)
    grid = [[cell.removeprefix("'") for cell in line] for line in lines[1:blank]]
    notes = [line[0] for line in lines[blank + 1 :] if line]
    return title, grid, notes


def _section(ring: KeyRing | None, staff: Staff, reference: str, caption: str, language: str) -> Section:
    served = releases.release_serve(ring=ring, staff=staff, reference=reference)
    release = served.release
    if release.state != Release.State.APPROVED or release.kind not in COMPONENT_KINDS:
        raise ReportError(_("Only approved tables, charts and maps can go into a report."))
    if release.language != language:
        raise ReportError(_("Every part of a report must be in the report's language."))
    key = ring.key_for(release.key_set) if ring else b""
    title = releases.release_card(release, key)["title"]
    if release.format == "csv":
        _title, grid, notes = _table_from_csv(served.content)
        return Section(title=title, caption=caption, release=release, table=grid, notes=notes)
    if release.format in IMAGE_TYPES:
        data = base64.b64encode(served.content).decode()
        return Section(
            title=title, caption=caption, release=release, image=f"data:{IMAGE_TYPES[release.format]};base64,{data}"
        )
    raise ReportError(_("Only approved tables, charts and maps can go into a report."))


def report_output(
    *,
    ring: KeyRing | None,
    staff: Staff,
    title: str,
    language: str,
    introduction: str,
    conclusion: str,
    parts: list[tuple[str, str]],
) -> Output:
    """The report as a PDF output, ready to be prepared as a release. `parts`: (release reference, caption)."""
    if not parts:
        raise ReportError(_("Choose at least one table, chart or map."))
    if len(parts) > MAX_SECTIONS:
        raise ReportError(_("A report can hold at most %(n)s parts.") % {"n": MAX_SECTIONS})
    with override(language):
        sections = [_section(ring, staff, reference, caption, language) for reference, caption in parts]
        context: dict[str, Any] = {
            "title": title,
            "language": language,
            "introduction": introduction,
            "conclusion": conclusion,
            "sections": sections,
            "suppressed_mark": SUPPRESSED,
            "month": timezone.localdate().strftime("%Y-%m"),
        }
        pdf = html_pdf(render_to_string("advocacy/report_pdf.html", context), inline_images=True)
    return Output(
        kind=Release.Kind.REPORT,
        format="pdf",
        content=pdf,
        title=title,
        filename="report.pdf",
        language=language,
        question={"components": [s.release.reference for s in sections]},
        disclosure={s.release.reference: s.release.disclosure for s in sections},
        suppressed={s.release.reference: s.release.suppressed for s in sections},
    )
