"""A small load generator: N threads, each on one keep-alive connection to 127.0.0.1, for a bounded time."""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass
class LoadResult:
    seconds: float
    ok: int  # 2xx responses
    non_2xx: int
    errors: int  # connection failures and timeouts

    def __add__(self, other: LoadResult) -> LoadResult:
        return LoadResult(
            seconds=self.seconds + other.seconds,
            ok=self.ok + other.ok,
            non_2xx=self.non_2xx + other.non_2xx,
            errors=self.errors + other.errors,
        )

    @property
    def rps(self) -> float:
        """Successful responses per second."""
        return self.ok / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Tally:
    ok: int = 0
    non_2xx: int = 0
    errors: int = 0


def _worker(*, port: int, path: str, start: threading.Barrier, seconds: float, cap: int, tally: _Tally) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    start.wait()
    deadline = time.monotonic() + seconds
    done = 0
    try:
        while done < cap and time.monotonic() < deadline:
            done += 1
            try:
                conn.request("GET", path, headers={"Accept-Language": "en"})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                tally.errors += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            if 200 <= response.status < 300:
                tally.ok += 1
            else:
                tally.non_2xx += 1
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
    finally:
        conn.close()


def load(port: int, path: str, *, connections: int = 8, seconds: float = 5.0, max_requests: int = 50_000) -> LoadResult:
    """GET path on 127.0.0.1:port from `connections` threads until `seconds` pass or `max_requests` are sent."""
    start = threading.Barrier(connections + 1)
    tallies = [_Tally() for _ in range(connections)]
    cap = max(1, max_requests // connections)
    threads = [
        threading.Thread(
            target=_worker,
            kwargs={"port": port, "path": path, "start": start, "seconds": seconds, "cap": cap, "tally": tally},
            daemon=True,
        )
        for tally in tallies
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return LoadResult(
        seconds=elapsed,
        ok=sum(t.ok for t in tallies),
        non_2xx=sum(t.non_2xx for t in tallies),
        errors=sum(t.errors for t in tallies),
    )
