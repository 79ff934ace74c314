"""A page of 200 cases over the API against the same 200 cases rendered as HTML (issue 13): the API within
1.2x the page's time, measured in one run.

The data comes from bench/casegen.py (seeded, sealed as the real flow seals it); the focus caseworker holds
exactly 200 open cases (and 20 closed ones both lists leave out). The caseworker signs in through the real
login pages (bench_cases.signed_in), and makes an API token through ferry.api.tokens with the same
passphrase. Both sides run in this process on the same database with Django's test Client, so only the
views differ: the "my cases" page (cases:mine, which lists the whole caseload on one page, no pagination)
and GET api:cases?page_size=200 (the cursor's largest page). Each first visit (which opens every grant with
X25519) and a few warm-up requests are untimed; then the two take turns (bench.samples.turns) RUNS times
each. Figures: median and p95 of each, and the ratio of the medians, API / HTML.

Scale: BENCH_API_CASES (open cases in the whole database, 5,000 by default; the focus caseworker's 200 do
not change with it). About a minute on 2 quiet CPUs at the default size.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import casegen
from bench.bench_cases import PARTS, _in, database_name, signed_in
from bench.figures import Figure
from bench.samples import spread_figure, turns

NAME = "api"

OPEN_CASES = int(os.environ.get("BENCH_API_CASES", "5000") or "5000")
SHAPE = casegen.Shape(
    cases=OPEN_CASES,
    closed=max(casegen.Shape.focus_closed, OPEN_CASES // 10),
    caseworkers=10,
    coordinators=2,
)
PAGE_SIZE = 200
WARM_UP = 3
RUNS = 21
MAX_RATIO = 1.2

ROW = re.compile(r'<td><a href="/[^"]+/cases/([A-Z0-9]{3}-[A-Z0-9]{3})/">')


def log(message: str) -> None:
    print(f"bench api: {message}", flush=True)


Get = Callable[[], tuple[float, Any]]


def timed(client: Any, path: str, **headers: str) -> Get:
    def get() -> tuple[float, Any]:
        began = time.perf_counter()
        response = client.get(path, **headers)
        seconds = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
        return seconds, response

    return get


# Where a request's time goes, beyond bench_cases' parts: the token's checks and unwrap, and opening grants.
API_PARTS = {
    **PARTS,
    "token authentication": _in("ferry/api/tokens.py", "token_authenticate"),
    "grants opened (X25519)": _in("ferry/vault/keyring.py", "_open_grants"),
    "serialising": _in("rest_framework/response.py", "rendered_content"),
}
PROFILED = 3


def shares(get: Get) -> str:
    """Requests under cProfile: the share of each part of API_PARTS in the time of `get`."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    for _ in range(PROFILED):
        profiler.runcall(get)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(ct for (file, _l, name), (*_n, ct, _c) in stats.items() if _in("bench_api.py", "get")(file, name))
    found = []
    for label, part in API_PARTS.items():
        spent = sum(ct for (file, _l, name), (*_n, ct, _c) in stats.items() if part(file, name))
        if spent:
            found.append(f"{label} {100 * spent / total:.0f} %")
    return ", ".join(found)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[round(0.95 * (len(ordered) - 1))]


def run() -> list[Figure]:
    from django.test import Client
    from django.urls import reverse

    from ferry.accounts.models import Staff
    from ferry.api import tokens

    log(f"database: {database_name()}; load average {os.getloadavg()[0]:.2f} before generating")
    generated = casegen.generate(SHAPE)
    log(f"generated in {generated.seconds:.0f} s: " + ", ".join(f"{n:,} {k}" for k, n in generated.counts.items()))
    focus = generated.team.focus
    expected = {casegen.reference_for(i) for i in generated.plan.cases_of(0, closed=False)}

    browser = signed_in(focus)
    token = tokens.token_create(
        staff=Staff.objects.get(pk=focus.staff_id), passphrase=casegen.PASSPHRASE, label="bench", scope="read", days=1
    ).secret
    api_client = Client(HTTP_HOST="127.0.0.1")
    gets = {
        "html": timed(browser, reverse("cases:mine")),
        "api": timed(api_client, f"{reverse('api:cases')}?page_size={PAGE_SIZE}", HTTP_AUTHORIZATION=f"Bearer {token}"),
    }

    firsts = {label: get() for label, get in gets.items()}
    shown_html = set(ROW.findall(firsts["html"][1].content.decode()))
    body = firsts["api"][1].json()
    shown_api = {row["reference"] for row in body["results"]}
    if shown_html != expected or shown_api != expected or body["next"] is not None:
        raise RuntimeError(
            f"the page shows {len(shown_html)} cases and the API {len(shown_api)}, not the {len(expected)} expected"
        )
    log(
        f"both list the same {len(expected)} cases; first visits: html {1000 * firsts['html'][0]:.0f} ms, "
        f"api {1000 * firsts['api'][0]:.0f} ms"
    )
    for _ in range(WARM_UP):
        for get in gets.values():
            get()
    times: dict[str, list[float]] = {label: [] for label in gets}
    for order in turns(list(gets), RUNS):
        for label in order:
            times[label].append(gets[label]()[0])
    for label, get in gets.items():
        log(f"{label}: where the time goes: {shares(get)}")
    log(f"load average {os.getloadavg()[0]:.2f} after measuring (2 CPUs: above ~1.5 the figures are disturbed)")

    html_ms = 1000 * statistics.median(times["html"])
    api_ms = 1000 * statistics.median(times["api"])
    ratio = api_ms / html_ms
    n = len(expected)
    return [
        Figure(f"my cases page, HTML ({n} cases), median of {RUNS}", html_ms, "ms", "", True),
        Figure(f"my cases page, HTML ({n} cases), p95", 1000 * p95(times["html"]), "ms", "", True),
        spread_figure("my cases page, HTML", times["html"]),
        Figure(f"my cases over the API ({n} cases, page_size={PAGE_SIZE}), median of {RUNS}", api_ms, "ms", "", True),
        Figure(f"my cases over the API ({n} cases), p95", 1000 * p95(times["api"]), "ms", "", True),
        spread_figure("my cases over the API", times["api"]),
        Figure("my cases, API / HTML (medians)", ratio, "x", f"<= {MAX_RATIO}x", ratio <= MAX_RATIO),
    ]
