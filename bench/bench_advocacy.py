"""Advocacy at scale (issue 12): on the documentation's 1,000,000 incidents (bench/incidentgen.py, about
3,000,000 acts), a suppressed table of month x subdivision x act type (< 500 ms), and a 20-page report with 10
charts rendered (< 15 s).

The table is what the statistics page computes (advocacy.statistics.answer): the count of acts and of distinct
incidents per cell and per margin, read from the documentation's tallies (incidents.tallies, rebuilt hourly
by the worker; the build is timed too, and the same count straight from the records once, for reference),
then primary and secondary suppression; the parts are timed apart too (count, protect). The report is
assembled by the real service from 10 approved chart releases
(time series, PNG) and 10 approved tables (CSV), each prepared and approved through the release door by two
analysts, with a page of text between parts; only the assembly and rendering of the PDF is timed, as the
report page does it (every part read back through the door and checked against its hash).

BENCH_ADVOCACY_SCALE (default 1) scales the data (0.01: 10,000 incidents) for a quick run. The export's
memory at scale is measured by bench_exports."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from bench import incidentgen
from bench.bench_cases import analyse, database_name
from bench.casegen import PASSPHRASE
from bench.figures import Figure

NAME = "advocacy"
SCALE = float(os.environ.get("BENCH_ADVOCACY_SCALE", "1") or "1")
SHAPE = incidentgen.Shape().scaled(SCALE)
RUNS = 5
CHARTS = 10
MAX_TABLE_MS = 500.0
MAX_REPORT_SECONDS = 15.0
PARAGRAPH = (
    "Between March and May, security forces detained men in the region on suspicion of being gay. "
    "Those released described beatings, electric shocks and being forced to name others. "
) * 12


def log(message: str) -> None:
    print(f"bench advocacy: {message}", flush=True)


def _analysts() -> list[Any]:
    from django.conf import settings

    from ferry.accounts.services import staff_create_active
    from ferry.vault.keyring import KeyRing

    saved = settings.FERRY_KDF_PROFILE
    settings.FERRY_KDF_PROFILE = "insecure-fast-test"
    try:
        made = [
            staff_create_active(
                email=f"bench-analyst{n}@example.org", roles=["analyst"], passphrase=PASSPHRASE, display_name=f"A{n}"
            )
            for n in (1, 2)
        ]
    finally:
        settings.FERRY_KDF_PROFILE = saved
    return [(m.staff, KeyRing(staff_id=m.staff.pk, private_key=m.private_key)) for m in made]


def table_measure() -> dict[str, float]:
    from ferry.advocacy import disclosure
    from ferry.advocacy import statistics as builder
    from ferry.incidents.tallies import tallies_build

    question = builder.Question("acts", ("period", "subdivision"), "act_type", period="month")
    settings = builder.Settings()
    built = tallies_build()
    log(f"tallies built: {built.rows:,} rows in {built.seconds:.1f} s")
    began = time.perf_counter()
    builder.counts_of(question, live=True)
    live = time.perf_counter() - began
    log(f"the same count from the records (no tallies): {live:.1f} s")
    whole, counting, protecting = [], [], []
    shape = (0, 0, 0, 0)
    for _ in range(RUNS):
        began = time.perf_counter()
        table = builder.answer(question, settings)
        whole.append(time.perf_counter() - began)
        began = time.perf_counter()
        counts, _rows, _column = builder.counts_of(question)
        counting.append(time.perf_counter() - began)
        few = {cell for cell, n in counts.contributors.items() if 0 < n < settings.threshold}
        began = time.perf_counter()
        disclosure.protect(counts.cells, threshold=settings.threshold, also=few)
        protecting.append(time.perf_counter() - began)
        shape = (len(table.rows), len(table.columns), table.suppressed["primary"], table.suppressed["secondary"])
    log(
        f"table: {shape[0]:,} rows x {shape[1]} columns, {shape[2]:,} cells suppressed as small, "
        f"{shape[3]:,} more as their partners"
    )
    return {
        "whole": statistics.median(whole),
        "count": statistics.median(counting),
        "protect": statistics.median(protecting),
        "rows": shape[0],
        "columns": shape[1],
        "build": built.seconds,
        "live": live,
    }


def report_measure() -> tuple[float, int, int]:
    """Seconds to assemble and render the report, its pages and its size in bytes."""
    from ferry.advocacy import releases, reports
    from ferry.advocacy import statistics as builder
    from ferry.advocacy.outputs import table_output

    (one, ring_one), (two, ring_two) = _analysts()
    parts = []
    dimensions = ["act_type", "verification", "subdivision", "method", "consequence"]
    for n in range(CHARTS):
        column = dimensions[n % len(dimensions)]
        measure = "incidents" if column in {"verification", "subdivision"} else "acts"
        question = builder.Question(measure, ("period",), column if column != "subdivision" else "", period="year")
        table = builder.answer(question, builder.Settings(), title=f"Figure {n + 1}")
        for output in ("series.png", "csv"):
            made = releases.release_prepare(ring=ring_one, staff=one, output=table_output(table, output, "en"))
            releases.release_approve(ring=ring_two, staff=two, reference=made.reference)
            parts.append((made.reference, PARAGRAPH))
    began = time.perf_counter()
    output = reports.report_output(
        ring=ring_one,
        staff=one,
        title="Persecution documented",
        language="en",
        introduction=PARAGRAPH * 3,
        conclusion=PARAGRAPH * 2,
        parts=parts,
    )
    seconds = time.perf_counter() - began
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(output.content)) as pdf:
        pages = len(pdf.pages)
    return seconds, pages, len(output.content)


def run() -> list[Figure]:
    from django.db import connection

    database = database_name()
    log(f"database: {database}; scale {SCALE:g}: {SHAPE}")
    generated = incidentgen.generate(SHAPE)
    log(f"generated in {generated.seconds:.0f} s: " + ", ".join(f"{n:,} {k}" for k, n in generated.counts.items()))
    analyse()
    connection.close()
    table = table_measure()
    log(
        f"suppressed table: {1000 * table['whole']:.0f} ms (count {1000 * table['count']:.0f} ms, "
        f"protect {1000 * table['protect']:.0f} ms)"
    )
    seconds, pages, size = report_measure()
    log(f"report: {pages} pages, {size / 1e6:.1f} MB, {seconds:.1f} s")
    incidents = generated.counts.get("incidents.incident", 0)
    acts = generated.counts.get("incidents.act", 0)
    scale = f"{incidents:,} incidents, {acts:,} acts, {database}"
    whole = 1000 * table["whole"]
    shape = f"{int(table['rows']):,} x {int(table['columns'])}"
    return [
        Figure(f"generate {scale}", generated.seconds, "s", "", True),
        Figure(
            f"suppressed table month x subdivision x act type ({shape}), median of {RUNS}",
            whole,
            "ms",
            f"< {MAX_TABLE_MS:.0f} ms",
            whole < MAX_TABLE_MS,
        ),
        Figure("  of which the count (from the tallies)", 1000 * table["count"], "ms", "", True),
        Figure("  of which primary and secondary suppression", 1000 * table["protect"], "ms", "", True),
        Figure("tallies built (hourly by the worker)", table["build"], "s", "", True),
        Figure("the same count from the records, without tallies", table["live"], "s", "", True),
        Figure(
            f"report of {pages} pages with {CHARTS} charts and {CHARTS} tables, assembled and rendered",
            seconds,
            "s",
            f"< {MAX_REPORT_SECONDS:.0f} s",
            seconds < MAX_REPORT_SECONDS,
        ),
    ]
