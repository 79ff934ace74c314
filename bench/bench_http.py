"""Requests per second through gunicorn on 127.0.0.1: /healthz and the login page against a bare Django view.

Each figure is the median of ROUNDS one-second runs, the targets taking turns; a ratio is between medians.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time

from bench.child import child_env
from bench.figures import Figure
from bench.loadgen import HOST, LoadResult, load
from bench.samples import median, spread_figure, turns

NAME = "http"

CONNECTIONS = 8
# Targets take turns, one second each (each round starting one further on), so a neighbour's load or CPU
# throttling hits all of them alike.
ROUNDS = 5
ROUND_SECONDS = 1.0
WARM_UP_SECONDS = 1.0
MAX_REQUESTS_PER_ROUND = 20_000
READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0

TARGETS = {
    "healthz": "/healthz",
    "login page": "/staff/accounts/login/",
    "bare view": "/bench/bare",
}
# Ratios to a bare view behind the same middleware are what carries across machines: /healthz does two
# tiny queries and the login page renders one form, so each should keep at least half of Django's own rate.
# The absolute floors are for this class of machine (2 cores, load generator on the same host).
MIN_HEALTHZ_RPS = 500.0
MIN_PAGE_RPS = 200.0
MIN_HEALTHZ_RATIO = 0.5
MIN_PAGE_RATIO = 0.5


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def heartbeat_write() -> None:
    """A fresh worker heartbeat, so /healthz answers 200 when the server is first asked (it goes stale after
    FERRY_HEARTBEAT_STALE_SECONDS; the figures count non-2xx answers, so the run must be shorter)."""
    from django.utils import timezone

    from ferry.core.models import WorkerProcess

    WorkerProcess.objects.update_or_create(worker_id="bench", defaults={"beat_at": timezone.now()})


def gunicorn_start(port: int) -> subprocess.Popen[bytes]:
    from django.conf import settings

    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ferry.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            "--error-logfile",
            "-",
        ],
        cwd=settings.BASE_DIR,
        env=child_env("bench.settings"),
        stdout=sys.stderr,
    )


def wait_ready(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode} before answering")
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            body = response.read()
            if response.status == 200:
                return
            last = f"status {response.status}: {body[:200]!r}"
        except OSError as exc:
            last = str(exc)
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready after {READY_TIMEOUT_SECONDS:.0f} s ({last})")


def gunicorn_stop(server: subprocess.Popen[bytes], port: int) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if not port_free(port):
        print(f"bench http: port {port} still in use after gunicorn stopped", file=sys.stderr)


def measure(port: int) -> dict[str, list[LoadResult]]:
    """Each target's result per round; the targets take turns, each round starting one further on."""
    for path in TARGETS.values():
        load(port, path, connections=CONNECTIONS, seconds=WARM_UP_SECONDS, max_requests=MAX_REQUESTS_PER_ROUND)
    results: dict[str, list[LoadResult]] = {label: [] for label in TARGETS}
    for order in turns(list(TARGETS), ROUNDS):
        for label in order:
            results[label].append(
                load(
                    port,
                    TARGETS[label],
                    connections=CONNECTIONS,
                    seconds=ROUND_SECONDS,
                    max_requests=MAX_REQUESTS_PER_ROUND,
                )
            )
    return results


def run() -> list[Figure]:
    heartbeat_write()
    port = free_port()
    server = gunicorn_start(port)
    try:
        wait_ready(server, port)
        results = measure(port)
    finally:
        gunicorn_stop(server, port)

    rates = {label: [r.rps for r in rounds] for label, rounds in results.items()}
    healthz, page, bare = (median(rates[label]) for label in TARGETS)
    failed = sum(r.non_2xx + r.errors for rounds in results.values() for r in rounds)
    how = f"{CONNECTIONS} conn, {ROUNDS} x {ROUND_SECONDS:.0f} s"
    return [
        Figure(f"GET /healthz ({how})", healthz, "req/s", f">= {MIN_HEALTHZ_RPS:.0f}", healthz >= MIN_HEALTHZ_RPS),
        Figure(f"GET login page ({how})", page, "req/s", f">= {MIN_PAGE_RPS:.0f}", page >= MIN_PAGE_RPS),
        Figure(f"GET bare Django view ({how})", bare, "req/s", "", True),
        Figure(
            "healthz / bare view", healthz / bare, "x", f">= {MIN_HEALTHZ_RATIO}", healthz / bare >= MIN_HEALTHZ_RATIO
        ),
        Figure("login page / bare view", page / bare, "x", f">= {MIN_PAGE_RATIO}", page / bare >= MIN_PAGE_RATIO),
        Figure("non-2xx responses and errors", failed, "", "0", failed == 0),
        *(spread_figure(f"GET {label} req/s", rates[label]) for label in TARGETS),
        *(
            spread_figure(
                f"{label} / bare view, per round",
                [a / b for a, b in zip(rates[label], rates["bare view"], strict=True)],
            )
            for label in ("healthz", "login page")
        ),
    ]
