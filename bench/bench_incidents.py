"""Documentation at scale (issue 11): with 1,000,000 incidents, about 3,000,000 acts and 20,000 perpetrators
from bench/incidentgen.py, the incident list and its filters (p95 < 150 ms), the count by month x
subdivision x act type (< 200 ms), a perpetrator page with 5,000 linked acts (< 200 ms), and an import of
100,000 CSV rows (< 60 s) whose memory stays flat (peak RSS at 10,000 rows and at 100,000).

Pages go through the real views with a client signed in through the real login pages, as in bench_cases;
the filters are sent as the list's form sends them (POST). The count is the selector the pages and advocacy
use (selectors.counts_by_month_subdivision_act_type), over everything and over one region and one year.
Each import runs in a fresh process (bench/import_child.py) into the generated database, through the import
service chunk by chunk as the progress page drives it: sealing the sheet, the dry run, the import.

BENCH_INCIDENTS_SCALE (default 1) scales the data and the imports for a quick run (0.01: 10,000 incidents,
an import of 1,000 and 100 rows). PostgreSQL gets VACUUM ANALYZE after the load, as autovacuum would."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import incidentgen
from bench.bench_cases import analyse, database_name, signed_in
from bench.child import child_env
from bench.figures import Figure
from bench.samples import turns

NAME = "incidents"
SCALE = float(os.environ.get("BENCH_INCIDENTS_SCALE", "1") or "1")
SHAPE = incidentgen.Shape().scaled(SCALE)
IMPORT_ROWS = (max(100, round(10_000 * SCALE)), max(1_000, round(100_000 * SCALE)))
WARM_UP = 2
RUNS = 20
COUNT_RUNS = 5

MAX_LIST_MS = 150.0
MAX_COUNT_MS = 200.0
MAX_PERPETRATOR_MS = 200.0
MAX_IMPORT_SECONDS = 60.0


def log(message: str) -> None:
    print(f"bench incidents: {message}", flush=True)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _pages(generated: incidentgen.Generated) -> dict[str, tuple[str, dict[str, Any] | None]]:
    """The list page, each clear filter alone and two together, and the hot perpetrator's page."""
    from django.urls import reverse
    from django.utils import timezone

    from ferry.incidents.models import Place, Term

    today = timezone.localdate()
    torture = Term.objects.get(vocabulary="act_type", code="torture").pk
    police = Term.objects.get(vocabulary="perpetrator_type", code="police").pk
    place = Place.objects.filter(subdivision="RU-CE").order_by("pk").values_list("pk", flat=True).first()
    listing = reverse("incidents:list")
    return {
        "list": (listing, None),
        "list, region": (listing, {"country": "RU", "subdivision": "RU-CE"}),
        "list, verified in a year": (
            listing,
            {"verification": "verified", "since": today - timedelta(days=730), "until": today - timedelta(days=365)},
        ),
        "list, act type": (listing, {"act_type": torture}),
        "list, perpetrator type": (listing, {"perpetrator_type": police}),
        "list, place": (listing, {"place": place}),
        "list, perpetrator (the one with 5,000 acts)": (listing, {"perpetrator": f"#{generated.hot_perpetrator}"}),
        "list, region and act type, page 3": (
            listing,
            {"country": "RU", "subdivision": "RU-DA", "act_type": torture, "page": 3},
        ),
        "perpetrator page": (reverse("incidents:perpetrator", args=[generated.hot_perpetrator]), None),
    }


def pages_measure(client: Any, pages: dict[str, tuple[str, dict[str, Any] | None]]) -> dict[str, list[float]]:
    def once(label: str) -> float:
        path, data = pages[label]
        began = time.perf_counter()
        response = client.get(path) if data is None else client.post(path, data)
        seconds = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"{label}: HTTP {response.status_code}")
        return seconds

    for _ in range(WARM_UP):
        for label in pages:
            once(label)
    times: dict[str, list[float]] = {label: [] for label in pages}
    for order in turns(list(pages), RUNS):
        for label in order:
            times[label].append(once(label))
    return times


def counts_measure() -> dict[str, tuple[float, int]]:
    """Median seconds and number of cells of the count, over everything and over one region and one year."""
    from django.utils import timezone

    from ferry.incidents.selectors import Filters, counts_by_month_subdivision_act_type

    today = timezone.localdate()
    region_year = Filters(country="RU", subdivision="RU-CE", since=today - timedelta(days=730), until=today)
    out = {}
    for label, filters in (("all", Filters()), ("one region, two years", region_year)):
        samples, cells = [], 0
        for _ in range(COUNT_RUNS):
            began = time.perf_counter()
            cells = len(counts_by_month_subdivision_act_type(filters))
            samples.append(time.perf_counter() - began)
        out[label] = (statistics.median(samples), cells)
    return out


def import_measure(generated: incidentgen.Generated, rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ferry-bench-out-") as folder:
        out = Path(folder) / "import.json"
        env = child_env()
        env["BENCH_IMPORT_STAFF"] = str(generated.documenter.staff_id)
        env["BENCH_IMPORT_KEY"] = generated.documenter.private_key.hex()
        subprocess.run([sys.executable, "-m", "bench.import_child", str(rows), str(out)], env=env, check=True)
        return dict(json.loads(out.read_text(encoding="utf-8")))


def run() -> list[Figure]:
    from django.db import connection

    database = database_name()
    log(f"database: {database}; scale {SCALE:g}: {SHAPE}")
    generated = incidentgen.generate(SHAPE)
    log(
        f"generated in {generated.seconds:.0f} s: "
        + ", ".join(f"{n:,} {label}" for label, n in generated.counts.items())
    )
    analyse()
    connection.close()  # the generator's write cache goes with its connection
    client = signed_in(generated.documenter)
    times = pages_measure(client, _pages(generated))
    for label, samples in times.items():
        log(f"{label}: median {1000 * statistics.median(samples):.0f} ms, p95 {1000 * p95(samples):.0f} ms")
    counts = counts_measure()
    for label, (seconds, cells) in counts.items():
        log(f"count by month x subdivision x act type, {label}: {1000 * seconds:.0f} ms, {cells:,} cells")
    imports = [import_measure(generated, rows) for rows in IMPORT_ROWS]
    for figures in imports:
        log(
            f"import of {figures['rows']:,} rows: sealing {figures['seal_seconds']:.1f} s, dry run "
            f"{figures['check_seconds']:.1f} s, import {figures['import_seconds']:.1f} s in {figures['chunks']} "
            f"chunks; peak RSS {figures['peak_mib']:.0f} MiB ({figures['rss_before_mib']:.0f} MiB before it began)"
        )

    incidents = generated.counts.get("incidents.incident", 0)
    acts = generated.counts.get("incidents.act", 0)
    scale = f"{incidents:,} incidents, {acts:,} acts, {database}"
    figures = [Figure(f"generate {scale}", generated.seconds, "s", "", True)]
    for label, samples in times.items():
        limit = MAX_PERPETRATOR_MS if label == "perpetrator page" else MAX_LIST_MS
        value = 1000 * p95(samples)
        figures.append(Figure(f"{label}, p95 of {RUNS}", value, "ms", f"< {limit:.0f} ms", value < limit))
    for label, (seconds, cells) in counts.items():
        value = 1000 * seconds
        figures.append(
            Figure(
                f"count by month x subdivision x act type, {label} ({cells:,} cells), median of {COUNT_RUNS}",
                value,
                "ms",
                f"< {MAX_COUNT_MS:.0f} ms",
                value < MAX_COUNT_MS,
            )
        )
    for result in imports:
        rows = int(result["rows"])
        seconds = result["total_seconds"]
        target = rows == IMPORT_ROWS[-1]
        figures.append(
            Figure(
                f"import of {rows:,} CSV rows (seal, dry run, import)",
                seconds,
                "s",
                f"< {MAX_IMPORT_SECONDS:.0f} s" if target else "",
                seconds < MAX_IMPORT_SECONDS if target else True,
            )
        )
        figures.append(
            Figure(
                f"import of {rows:,} rows: peak RSS (process ready: {result['rss_before_mib']:.0f} MiB)",
                result["peak_mib"],
                "MiB",
                "",
                True,
            )
        )
    small, large = imports
    growth = large["peak_mib"] / small["peak_mib"]
    figures.append(
        Figure(
            f"peak RSS, {IMPORT_ROWS[1]:,} rows / {IMPORT_ROWS[0]:,} rows (flat: about 1)",
            growth,
            "x",
            "< 1.25 x",
            growth < 1.25,
        )
    )
    return figures
