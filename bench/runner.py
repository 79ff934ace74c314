"""Finds bench/bench_*.py, runs each in its own process, and prints one aligned line per figure."""

from __future__ import annotations

import argparse
import os
import pkgutil
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.figures import Figure, figures_read, format_value

PREFIX = "bench_"
BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
# Each benchmark stops by itself well within this; the limit only catches a hang.
CHILD_TIMEOUT_SECONDS = 900
# Benchmarks that generate millions of rows first (documentation: a million incidents) get longer.
CHILD_TIMEOUTS = {"incidents": 4 * 3600, "exports": 4 * 3600}


def discover() -> list[str]:
    """Benchmark names: bench_http.py is "http"."""
    return sorted(
        m.name.removeprefix(PREFIX) for m in pkgutil.iter_modules([str(BENCH_DIR)]) if m.name.startswith(PREFIX)
    )


def database_text() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if not url:
        return f"SQLite {sqlite3.sqlite_version} (a throwaway file per benchmark, WAL)"
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    return f"{parts.scheme} at {where} (a throwaway database per benchmark, from BENCH_DATABASE_URL)"


def run_one(name: str) -> list[Figure] | None:
    """The figures of one benchmark, or None if it crashed or hung (its own output says why)."""
    with tempfile.TemporaryDirectory(prefix="ferry-bench-out-") as folder:
        out = Path(folder) / "figures.json"
        # Its own session, so a hang can be stopped together with any server it started.
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.child", name, str(out)],
            cwd=PROJECT_DIR,
            stdout=sys.stderr,
            start_new_session=True,
        )
        try:
            code = child.wait(timeout=CHILD_TIMEOUTS.get(name, CHILD_TIMEOUT_SECONDS))
        except subprocess.TimeoutExpired:
            limit = CHILD_TIMEOUTS.get(name, CHILD_TIMEOUT_SECONDS)
            print(f"bench: {name} still running after {limit} s; stopped.", file=sys.stderr)
            code = None
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        if code != 0 or not out.exists():
            return None
        return figures_read(out)


def result(figure: Figure) -> str:
    """ok or MISS against the target; "-" for a figure given only for reference (no target)."""
    if not figure.target_text:
        return "-"
    return "ok" if figure.ok else "MISS"


def table(rows: list[tuple[str, str, str, str, str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        f"{n:<{widths[0]}}  {v:>{widths[1]}} {u:<{widths[2]}}  {t:<{widths[3]}}  {s}".rstrip() for n, v, u, t, s in rows
    ]


def main(argv: list[str] | None = None) -> None:
    names = discover()
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run Ferry's benchmarks and print figures.")
    parser.add_argument("--only", choices=names, metavar="NAME", help=f"run one benchmark: {', '.join(names)}")
    args = parser.parse_args(argv)
    chosen = [args.only] if args.only else names
    # Shown in the header: figures from a machine busy with other work are not comparable.
    load_before = os.getloadavg()[0]

    rows: list[tuple[str, str, str, str, str]] = [("figure", "value", "unit", "target", "result")]
    crashed: list[str] = []
    for name in chosen:
        print(f"bench: running {name} ...", file=sys.stderr, flush=True)
        figures = run_one(name)
        if figures is None:
            crashed.append(name)
            rows.append((f"{name}: crashed", "-", "", "", "CRASH"))
            continue
        rows += [(f"{name}: {f.name}", format_value(f.value), f.unit, f.target_text or "-", result(f)) for f in figures]

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Ferry benchmarks, {now}")
    print(f"database: {database_text()}")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.2f} before the run, "
        f"Python {platform.python_version()}, {platform.platform(terse=True)}"
    )
    print()
    for line in table(rows):
        print(line)
    missed = sum(1 for row in rows[1:] if row[4] == "MISS")
    print()
    print(
        f"{len(rows) - 1 - len(crashed)} figures, {missed} missed, {len(crashed)} of {len(chosen)} benchmarks crashed"
    )
    # A missed target is a finding, not a failure; only a crash is.
    sys.exit(1 if crashed else 0)
