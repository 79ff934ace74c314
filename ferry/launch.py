"""`make run`: check the set-up, migrate, print the set-up link if needed, run web server and worker together,
and start either again if it stops (kill -9, out of memory), with a growing wait between restarts.

Each problem an operator can cause (bad DATABASE_URL, unwritable data folder, port in use) ends with one
clear line and exit status 2, never a traceback."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STOP_GRACE_SECONDS = 10
RESTART_FIRST_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0
RESTART_RESET_SECONDS = 10.0


def fail(message: str) -> None:
    print(f"ferry: {message}", file=sys.stderr)
    sys.exit(2)


def check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the web server will: connections left in TIME_WAIT by a previous run do not count as "in use".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is already in use (is Ferry already running?). Set PORT to use another.")
            fail(f"cannot listen on {host}:{port}: {exc.strerror}.")


def prepare() -> str | None:
    """Configure Django, reach the database, migrate; return a set-up token when no administrator exists."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ferry.settings")
    from ferry.config import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        fail(str(exc))
    from django.conf import settings
    from django.core.management import call_command
    from django.db import DatabaseError, connection

    db = settings.DATABASES["default"]
    where = (
        db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    )
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(f"cannot reach the database at {where}: {reason}")
    try:
        call_command("migrate", interactive=False, verbosity=0)
    except DatabaseError as exc:
        fail(f"database migration failed at {where}: {str(exc).strip().splitlines()[0]}")
    from ferry.accounts.services import setup_token_issue

    return setup_token_issue()


def web_command(python: str, shown_host: str, port: int) -> list[str]:
    """waitress, which reads each request whole (headers and body) before a thread takes it: a client that
    sends slowly, or never finishes, holds a connection but no thread. Bodies stay in memory up to the
    largest one accepted (uploads are not yet encrypted), larger ones are refused; responses stay in memory
    too. No Server header names the software."""
    from django.conf import settings

    largest_body = settings.FERRY_UPLOAD_MAX_TOTAL_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024 * 1024
    return [
        python,
        "-m",
        "waitress",
        f"--listen={shown_host}:{port}",
        f"--threads={os.environ.get('WEB_THREADS', '8')}",
        "--ident=",
        f"--max-request-body-size={largest_body}",
        f"--inbuf-overflow={largest_body}",
        f"--outbuf-overflow={largest_body}",
        "--connection-limit=100",
        "--channel-timeout=60",
        "ferry.wsgi:application",
    ]


class Supervised:
    """One child process, started again whenever it stops without being asked to.

    The wait before a restart doubles with each crash in a row (1 s up to RESTART_MAX_SECONDS) and starts
    again from 1 s once the process has run for RESTART_RESET_SECONDS. Each child is the leader of its own
    process group, so whatever it started (gunicorn's workers, holding the port) goes with it.
    """

    def __init__(self, name: str, command: list[str]) -> None:
        self.name = name
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.crashes = 0
        self.restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, start_new_session=True)  # noqa: S603 - fixed argument list
        self.started_at = time.monotonic()
        self.restart_at = None

    def _group_kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def watch(self) -> None:
        """Notice a crash and schedule the restart; restart when its time has come."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        self._group_kill()
        if now - self.started_at >= RESTART_RESET_SECONDS:
            self.crashes = 0
        wait = min(RESTART_FIRST_SECONDS * 2**self.crashes, RESTART_MAX_SECONDS)
        self.crashes += 1
        print(
            f"ferry: the {self.name} stopped unexpectedly (exit {self.process.returncode}); "
            f"starting it again in {wait:.0f} s.",
            file=sys.stderr,
            flush=True,
        )
        self.restart_at = now + wait

    def terminate(self) -> None:
        self.restart_at = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._group_kill()


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port_text = os.environ.get("PORT", "8000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        fail(f"PORT must be a number from 1 to 65535 (got {port_text!r}).")
    port = int(port_text)
    check_port(host, port)
    token = prepare()

    from django.conf import settings

    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{port}"
    python = sys.executable
    manage = str(Path(__file__).resolve().parent.parent / "manage.py")
    children = [
        Supervised("web server", web_command(python, shown_host, port)),
        Supervised("worker", [python, manage, "worker", "-v", "0"]),
    ]
    for child in children:
        child.start()

    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    print(f"Ferry is running at {base}/ (web and worker). Press Ctrl-C to stop.", flush=True)
    if token:
        print("\nNo administrator exists yet. Open this one-time link to create the first one:", flush=True)
        print(f"  {base}/{settings.FERRY_STAFF_PATH}/accounts/setup/{token}/\n", flush=True)

    while not stopping:
        for child in children:
            child.watch()
        time.sleep(0.2)

    for child in children:
        child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        child.wait(deadline)
    print("Ferry stopped.", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
