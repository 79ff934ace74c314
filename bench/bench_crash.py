"""kill -9 of the web server under anonymous submissions: how many receipts were shown, verified, lost, and
what files were left behind.

`make run`'s launcher serves a throwaway data folder and database (SQLite, or PostgreSQL with
BENCH_DATABASE_URL). CLIENTS clients submit the request form in a loop, every FILE_EVERY-th with a photo
attached; KILLS times, a few seconds after the site answers again, the web server gets SIGKILL and the
launcher starts it again. Each receipt code a client was shown is then opened as the person would open it
(`mailbox_open`, in this process, at the real Argon2id cost): one that opens nothing is a lost receipt.
Files in the data folder's `files/` that no file key names are orphans; attachments whose file is missing
or empty are broken. The run stops by itself after the last kill.
"""

from __future__ import annotations

import html
import http.client
import io
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.bench_http import free_port
from bench.bench_intake import (
    RECEIPT,
    TOKEN,
    Payload,
    accept_language,
    payloads_check,
    payloads_make,
    server_env,
    staff_setup,
)
from bench.figures import Figure
from bench.loadgen import HOST
from bench.samples import median

NAME = "crash"

CLIENTS = 3
KILLS = 6
FILE_EVERY = 3  # every third submission carries a photo
# A kill comes this long (seeded, uniform) after the site answers again: past the launcher's back-off reset
# (ferry.launch.RESTART_RESET_SECONDS), so each kill is a first crash and the restart waits 1 s.
KILL_AFTER_SECONDS = (11.0, 14.0)
READY_TIMEOUT_SECONDS = 60.0
SUBMIT_TIMEOUT_SECONDS = 30.0
PAYLOADS = 120
SEED = 1517


def log(message: str) -> None:
    print(f"bench crash: {message}", flush=True)


def photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 90, 160)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def multipart(fields: list[tuple[str, str]], attachment: bytes | None) -> tuple[bytes, str]:
    """The form as a browser sends it: the token and file input first, then the fields."""
    boundary = f"----ferrybench{secrets.token_hex(12)}"
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        if name == "form_token":
            filename = "photo.jpg" if attachment else ""
            kind = "image/jpeg" if attachment else "application/octet-stream"
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
                f"Content-Type: {kind}\r\n\r\n".encode()
                + (attachment or b"")
                + b"\r\n"
            )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Client:
    port: int
    payloads: list[Payload]
    offset: int
    attachment: bytes
    codes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "GET ...": form not reached; "POST ...": sent, no receipt
    with_file: int = 0

    def submit(self, n: int) -> None:
        payload = self.payloads[n % len(self.payloads)]
        conn = http.client.HTTPConnection(HOST, self.port, timeout=SUBMIT_TIMEOUT_SECONDS)
        stage = "GET"
        try:
            headers = {"Accept-Language": accept_language(payload.language), "Connection": "close"}
            conn.request("GET", f"/?lang={payload.language}", headers=headers)
            response = conn.getresponse()
            page = response.read().decode("utf-8", "replace")
            found = TOKEN.search(page)
            if response.status != 200 or found is None:
                self.problems.append(f"GET form: HTTP {response.status}")
                return
            conn.close()
            attach = self.attachment if n % FILE_EVERY == 0 else None
            body, content_type = multipart([("form_token", html.unescape(found.group(1))), *payload.fields], attach)
            conn = http.client.HTTPConnection(HOST, self.port, timeout=SUBMIT_TIMEOUT_SECONDS)
            stage = "POST"
            conn.request(
                "POST", f"/send?lang={payload.language}", body=body, headers={**headers, "Content-Type": content_type}
            )
            response = conn.getresponse()
            page = response.read().decode("utf-8", "replace")
            receipt = RECEIPT.search(page)
            if response.status == 200 and receipt is not None:
                self.codes.append(receipt.group(1))
                self.with_file += attach is not None
            else:
                self.problems.append(f"POST send: HTTP {response.status}")
        except (OSError, http.client.HTTPException) as exc:
            self.problems.append(f"{stage} connection: {type(exc).__name__}")
        finally:
            conn.close()

    def run(self, stop: threading.Event) -> None:
        n = self.offset
        while not stop.is_set():
            self.submit(n)
            n += 1
            if self.problems and "connection" in self.problems[-1]:
                time.sleep(0.2)  # the server is coming back: do not spin


def web_pid(launcher: int) -> int | None:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent == launcher and b"waitress" in cmdline:
            return int(stat.parent.name)
    return None


def answers(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def wait_answering(port: int, launcher: subprocess.Popen[bytes]) -> float:
    began = time.monotonic()
    while time.monotonic() - began < READY_TIMEOUT_SECONDS:
        if launcher.poll() is not None:
            raise RuntimeError(f"the launcher stopped (exit {launcher.returncode})")
        if answers(port):
            return time.monotonic() - began
        time.sleep(0.05)
    raise RuntimeError(f"the site did not answer within {READY_TIMEOUT_SECONDS:.0f} s")


def launcher_start(port: int) -> subprocess.Popen[bytes]:
    from django.conf import settings

    env = {**server_env(), "PORT": str(port), "HOST": HOST}
    return subprocess.Popen(
        [sys.executable, "-m", "ferry.launch"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=sys.stderr,
        stderr=sys.stderr,
        start_new_session=True,
    )


def launcher_stop(launcher: subprocess.Popen[bytes]) -> None:
    if launcher.poll() is None:
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()


@dataclass(frozen=True)
class Check:
    verified: int
    lost: int
    stored: int
    orphans: int
    broken: int


def check(codes: list[str]) -> Check:
    """Open every receipt shown; count stored requests, orphan files and attachments without their file."""
    from django.conf import settings

    from ferry.intake import errors, mailbox
    from ferry.intake.models import Attachment, Request
    from ferry.vault.models import FileKey

    settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE = 10**9  # this check, not a flood: every code gets its look-up
    verified = lost = 0
    for code in codes:
        for attempt in range(3):
            try:
                mailbox.mailbox_close(mailbox.mailbox_open(code).token)
                verified += 1
                break
            except errors.Busy:
                time.sleep(1 + attempt)  # the look-up lane was taken: not an answer about the code
            except errors.IntakeError:
                lost += 1
                break
    root = Path(settings.DATA_DIR) / "files"
    on_disk = {p.stem: p.stat().st_size for p in root.rglob("*.bin")} if root.exists() else {}
    keys = {str(pk) for pk in FileKey.objects.values_list("pk", flat=True)}
    orphans = sum(1 for name in on_disk if name not in keys)
    broken = sum(1 for file_id in Attachment.objects.values_list("file_id", flat=True) if not on_disk.get(str(file_id)))
    return Check(verified=verified, lost=lost, stored=Request.objects.count(), orphans=orphans, broken=broken)


def run() -> list[Figure]:
    from django.db import connection

    staff_setup()
    payloads = payloads_make(PAYLOADS)
    payloads_check(payloads)
    attachment = photo()
    rng = random.Random(SEED)
    port = free_port()
    launcher = launcher_start(port)
    clients = [Client(port, payloads, i * (PAYLOADS // CLIENTS), attachment) for i in range(CLIENTS)]
    stop = threading.Event()
    threads = [threading.Thread(target=c.run, args=(stop,), daemon=True) for c in clients]
    back_seconds: list[float] = []
    kills = 0
    try:
        wait_answering(port, launcher)
        for thread in threads:
            thread.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(*KILL_AFTER_SECONDS))
            pid = web_pid(launcher.pid)
            if pid is None:
                raise RuntimeError("no web server under the launcher")
            os.kill(pid, signal.SIGKILL)
            kills += 1
            time.sleep(0.1)
            back_seconds.append(wait_answering(port, launcher))
        time.sleep(rng.uniform(*KILL_AFTER_SECONDS))
    finally:
        stop.set()
        for thread in threads:
            thread.join(SUBMIT_TIMEOUT_SECONDS * 2 + 5)
        launcher_stop(launcher)

    codes = [code for c in clients for code in c.codes]
    problems = [p for c in clients for p in c.problems]
    cut = [p for p in problems if p.startswith("POST")]
    with_file = sum(c.with_file for c in clients)
    found = check(codes)
    kinds = sorted(set(problems))
    log(
        f"{connection.vendor}; {kills} kills of the web server; {len(codes)} receipts shown ({with_file} with a "
        f"photo); {len(problems)} tries without a receipt ({', '.join(kinds[:4]) or 'none'}); "
        f"{found.stored} requests stored"
    )
    log(f"seconds until the site answered again after each kill: {[round(s, 1) for s in back_seconds]}")
    return [
        Figure(f"kill -9 of the web server ({connection.vendor})", kills, "times", "", True),
        Figure("receipts shown", len(codes), "", "", True),
        Figure("receipts verified (the code opens its mailbox)", found.verified, "", "", True),
        Figure("receipts lost", found.lost, "", "0", found.lost == 0),
        Figure("requests stored", found.stored, "", f">= {len(codes)}", found.stored >= len(codes)),
        Figure("sends cut by a kill (no receipt shown; sent again)", len(cut), "", "", True),
        Figure("orphan files (no file key)", found.orphans, "", "0", found.orphans == 0),
        Figure("attachments whose file is missing or empty", found.broken, "", "0", found.broken == 0),
        Figure("median s until the site answers after a kill", median(back_seconds), "s", "", True),
    ]
