"""`make run`'s launcher as a real process: fresh start, set-up link, health, clean stop, clear errors."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    return {**env, "FERRY_DATA_DIR": str(tmp_path / "data"), "PORT": str(_free_port()), **extra}


def _launch(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ferry.launch"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL built by the test
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_fresh_start_prints_setup_link_serves_health_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = _env(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ferry.launch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        link = None
        deadline = time.monotonic() + 60
        while link is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+/staff/accounts/setup/[\w-]+/)", line)
            link = match.group(1) if match else None
        assert link, "no set-up link printed"
        base = link.split("/staff/")[0]

        health: dict[str, object] = {}
        while time.monotonic() < deadline:
            try:
                _status, body = _get(f"{base}/healthz")
                health = json.loads(body)
                if health["worker"] == "ok":
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.3)
        assert health.get("database") == "ok"
        assert health.get("worker") == "ok"

        status, page = _get(link)
        assert status == 200
        assert b"passphrase" in page.lower()
        assert (tmp_path / "data" / "ferry.sqlite3").exists()
        assert oct((tmp_path / "data" / "secret_key").stat().st_mode & 0o777) == "0o600"
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output
    assert "Ferry stopped." in output
    # Both children are gone: the port is free again.
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", int(env["PORT"])))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://x@localhost/db", "DATABASE_URL is malformed"),
        ("postgres://nobody@127.0.0.1:1/ferry", "cannot reach the database at 127.0.0.1:1"),
    ],
)
def test_bad_database_url_is_one_clear_line(tmp_path: Path, url: str, expected: str) -> None:
    done = _launch(_env(tmp_path, DATABASE_URL=url))
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_unwritable_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root writes anywhere; a path under a regular file can be created by nobody.
        (tmp_path / "file").write_text("x")
        env = _env(tmp_path, FERRY_DATA_DIR=str(tmp_path / "file" / "data"))
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        env = _env(tmp_path, FERRY_DATA_DIR=str(locked / "data"))
    done = _launch(env)
    assert done.returncode == 2
    assert "Data folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        env = _env(tmp_path, PORT=str(sock.getsockname()[1]))
        done = _launch(env)
    assert done.returncode == 2
    assert "already in use" in done.stderr
    assert "Traceback" not in done.stderr


def _children(parent: int) -> dict[str, int]:
    """The launcher's web server and worker, by their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) != parent:
            continue
        if b"waitress" in cmdline:
            found["web"] = int(stat.parent.name)
        elif b"worker" in cmdline:
            found["worker"] = int(stat.parent.name)
    return found


def _beats(database: Path) -> dict[str, str]:
    """Worker heartbeats as the launcher's worker wrote them, read straight from its SQLite file."""
    import sqlite3

    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as db:
        return dict(db.execute("SELECT worker_id, beat_at FROM core_workerprocess").fetchall())


def _until(what: str, check: object, seconds: float = 60) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()  # type: ignore[operator]
        except (OSError, ValueError, KeyError):
            found = None
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not seen within {seconds:.0f} s: {what}")


def test_a_killed_web_server_or_worker_is_started_again(tmp_path: Path) -> None:
    """kill -9 of the web server, then of the worker: each comes back by itself and the service answers."""
    import threading

    env = _env(tmp_path)
    base = f"http://127.0.0.1:{env['PORT']}"
    database = tmp_path / "data" / "ferry.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ferry.launch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()

    def healthy() -> bool:
        status, body = _get(f"{base}/healthz")
        return status == 200 and json.loads(body)["worker"] == "ok"

    try:
        _until("a healthy service", healthy)
        first = _until("web server and worker", lambda: len(_children(proc.pid)) == 2 and _children(proc.pid))
        assert isinstance(first, dict)

        os.kill(first["web"], signal.SIGKILL)
        again = _until("a new web server", lambda: _children(proc.pid).get("web") not in {None, first["web"]})
        assert again
        _until("health answering after the web server's restart", healthy)

        os.kill(first["worker"], signal.SIGKILL)
        worker = _until(
            "a new worker",
            lambda: _children(proc.pid).get("worker") not in {None, first["worker"]} and _children(proc.pid),
        )
        assert isinstance(worker, dict)
        new_pid = f":{worker['worker']}:"
        _until("the new worker's heartbeat", lambda: any(new_pid in worker_id for worker_id in _beats(database)))
        _until("health answering after the worker's restart", healthy)
        assert proc.poll() is None, "the launcher itself keeps running"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        reader.join(timeout=5)
    output = "".join(lines)
    assert "the web server stopped unexpectedly" in output
    assert "the worker stopped unexpectedly" in output
    assert "Traceback" not in output
    assert proc.returncode == 0, output


SLOW_CONNECTIONS = 32  # more than the web server has threads


def _slow_body(port: int) -> socket.socket:
    """A POST that announces a body and sends only its first bytes, then nothing: held open by the test."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100000\r\n\r\nstory=They%20came"
    )
    return sock


def test_connections_that_never_finish_their_body_starve_nobody(tmp_path: Path) -> None:
    """Slow clients (a phone on a bad line, or a script) hold connections, not the threads others need."""
    env = _env(tmp_path)
    port = int(env["PORT"])
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ferry.launch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    held: list[socket.socket] = []
    try:
        _until("the front page", lambda: _get(f"{base}/")[0] == 200)
        held = [_slow_body(port) for _ in range(SLOW_CONNECTIONS)]
        time.sleep(1)  # let the server take them all in
        # While every slow connection is still open, others are answered.
        for path in ["/", "/healthz", "/", "/staff/accounts/login/", "/"]:
            with urllib.request.urlopen(f"{base}{path}", timeout=30) as response:  # noqa: S310 - loopback
                assert response.status == 200
                assert response.read()
        for sock in held:
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):  # still open, nothing answered yet: as it should be
                assert sock.recv(1) != b"", "a slow connection was closed before the others were answered"
    finally:
        for sock in held:
            sock.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
