"""`make run`: check the set-up, migrate, print the set-up link if needed, run web server and worker together.

Each problem an operator can cause (bad DATABASE_URL, unwritable data folder, port in use) ends with one
clear line and exit status 2, never a traceback."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STOP_GRACE_SECONDS = 10


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
    web = subprocess.Popen(  # noqa: S603 - fixed argument list
        [
            python,
            "-m",
            "gunicorn",
            "ferry.wsgi:application",
            "--bind",
            f"{shown_host}:{port}",
            "--workers",
            os.environ.get("WEB_WORKERS", "2"),
            "--threads",
            os.environ.get("WEB_THREADS", "4"),
            "--worker-class",
            "gthread",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
            "--error-logfile",
            "-",
        ],
        start_new_session=True,
    )
    manage = str(Path(__file__).resolve().parent.parent / "manage.py")
    worker = subprocess.Popen([python, manage, "worker", "-v", "0"], start_new_session=True)  # noqa: S603
    children = [web, worker]

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

    status = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                name = "web server" if child is web else "worker"
                print(f"ferry: the {name} stopped unexpectedly (exit {child.returncode}); stopping.", file=sys.stderr)
                stopping, status = True, 1
        time.sleep(0.2)

    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    print("Ferry stopped.", flush=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
