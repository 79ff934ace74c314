"""Requests per second through gunicorn on 127.0.0.1: /healthz and the login page against a bare Django view."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time

from bench.child import child_env
from bench.figures import Figure
from bench.loadgen import HOST, LoadResult, load

NAME = "http"

CONNECTIONS = 8
SECONDS = 5.0
WARM_UP_SECONDS = 1.0
MAX_REQUESTS = 100_000
READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0

TARGETS = {
    "healthz": "/healthz",
    "login page": "/staff/accounts/login/",
    "bare view": "/bench/bare",
}
# Monitoring polls /healthz and a login page is the busiest public page: both should stay within a small
# factor of what Django itself costs, and comfortably above what one organisation's staff can cause.
MIN_HEALTHZ_RPS = 300.0
MIN_PAGE_RPS = 150.0
MIN_HEALTHZ_RATIO = 0.5
MIN_PAGE_RATIO = 0.3


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
    """A fresh worker heartbeat, so /healthz answers 200 (it goes stale after a few minutes; the run is shorter)."""
    from django.utils import timezone

    from ferry.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(pk=1, defaults={"beat_at": timezone.now(), "worker_id": "bench"})


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


def measure(port: int) -> dict[str, LoadResult]:
    results = {}
    for label, path in TARGETS.items():
        load(port, path, connections=CONNECTIONS, seconds=WARM_UP_SECONDS, max_requests=MAX_REQUESTS)
        results[label] = load(port, path, connections=CONNECTIONS, seconds=SECONDS, max_requests=MAX_REQUESTS)
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

    healthz, page, bare = (results[label].rps for label in TARGETS)
    failed = sum(r.non_2xx + r.errors for r in results.values())
    how = f"{CONNECTIONS} conn, {SECONDS:.0f} s"
    return [
        Figure(f"GET /healthz ({how})", healthz, "req/s", f">= {MIN_HEALTHZ_RPS:.0f}", healthz >= MIN_HEALTHZ_RPS),
        Figure(f"GET login page ({how})", page, "req/s", f">= {MIN_PAGE_RPS:.0f}", page >= MIN_PAGE_RPS),
        Figure(f"GET bare Django view ({how})", bare, "req/s", "baseline", True),
        Figure(
            "healthz / bare view", healthz / bare, "x", f">= {MIN_HEALTHZ_RATIO}", healthz / bare >= MIN_HEALTHZ_RATIO
        ),
        Figure("login page / bare view", page / bare, "x", f">= {MIN_PAGE_RATIO}", page / bare >= MIN_PAGE_RATIO),
        Figure("non-2xx responses and errors", failed, "", "0", failed == 0),
    ]
