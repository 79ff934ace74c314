"""Anonymous submissions and mailbox opens per second through gunicorn, with and without a flood of wrong codes
and junk submissions (issue 14: both kept at >= 0.8 of the quiet figure, with no errors).

People who opened their mailbox before open it again at a steady pace (OPEN_INTERVAL_SECONDS between one
opener's visits: GET the form, POST the right code, expect the mailbox, close it); their codes are receipts
shown in the 1-client stretch, each opened once before the 4-client stretches begin. The flood sends, besides
its wrong codes, well-formed junk requests at JUNK_RATE (each with a fresh form token), as a flooding script
that fetched the page would; every one of them costs the server an Argon2id derivation, like a real one.

Each client loops as a browser would: GET the request form (a fresh single-use token), POST it with seeded
content, and expects the receipt page with a 24-digit code; anything else counts as an error. The flood is
a separate open-loop sender of POST /open with well-formed random (so wrong) codes at a steady rate.

The 4 clients run throughout while the flood comes and goes: ROUNDS stretches without it and under it take
turns (calm, flood, calm, ..., flood, calm), so a neighbour's load that comes and goes hits both alike; each
figure is the median of its stretches, the ratio one of medians, and the spread of the stretches is shown.
The receipt-code look-up budget is counted in ten-second windows: each window's first lookups run Argon2id,
the rest are turned away. So each measured flood stretch is one such window long and begins just before one
starts (after a warm-up that holds the previous window's derivations), holding exactly one burst of them, as
a sustained flood would. A calm stretch begins once the flood's last lookups are answered (or timed out).
At the end the clients stop (a submission still waiting for its page gets SUBMIT_TIMEOUT_SECONDS), so the
run always ends.
The server runs with the real Argon2id cost (the "requester" profile); the benchmark checks a stored
mailbox to prove it. The hourly submission cap is lifted (FERRY_INTAKE_HOURLY_CAP=0) for the server only.
"""

from __future__ import annotations

import asyncio
import html
import http.client
import math
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.bench_http import free_port, gunicorn_stop, heartbeat_write, wait_ready
from bench.child import child_env
from bench.figures import Figure
from bench.generator import RU, Generator
from bench.loadgen import HOST
from bench.samples import median, spread_figure

NAME = "intake"

CLIENTS = 4
WARM_UP_SECONDS = 3.0  # before a crowd's first measured stretch: workers load templates, catalogues, connections
ONE_CLIENT_SECONDS = 10.0
ROUNDS = 6  # stretches under the flood, each between two without it
CALM_SECONDS = 8.0  # each stretch without the flood, at least (longer when waiting for the look-up window)
FLOOD_RATE = 50.0  # wrong-code lookups per second
# Junk submissions per second during the flood (BENCH_JUNK_RATE=0 measures the wrong codes' flood alone).
JUNK_RATE = float(os.environ.get("BENCH_JUNK_RATE", "20"))
OPENERS = 2  # people opening their mailboxes, each every OPEN_INTERVAL_SECONDS
OPEN_INTERVAL_SECONDS = 3.0
OPENER_CODES = 24  # mailboxes opened in turn (each may take 6 look-ups an hour from the reserve)
FLOOD_WARM_UP_SECONDS = 5.0  # holds the first look-up window's Argon2 lookups and their wait on the lane
FLOOD_STRETCH_SECONDS = 10.0  # one look-up budget window (ferry.intake.limits.LOOKUP_WINDOW_SECONDS)
FLOOD_SECONDS = ROUNDS * FLOOD_STRETCH_SECONDS
WINDOW_LEAD_SECONDS = 0.25  # a measured flood stretch begins this long before a look-up window does
SETTLE_SECONDS = 1.0  # after the flood's last answer, before a stretch without it is measured
LOOKUP_TIMEOUT_SECONDS = 10.0  # a flooding script does not wait longer for an answer
SUBMIT_TIMEOUT_SECONDS = 30.0  # a person waiting longer for a page without an answer counts as an error
PAYLOADS = 200
SEED = 2022

MIN_SUBMISSIONS_PER_SECOND = 10.0  # with 4 clients
MIN_FLOOD_RATIO = 0.8  # of the 4-client rate kept under the flood

STAFF_PASSPHRASE = "violet harbour compass lantern 1917"  # noqa: S105 - throwaway accounts in a throwaway database
REQUESTER_OPSLIMIT, REQUESTER_MEMLIMIT = 2, 16 * 1024 * 1024
GLOBALEAKS_CONTEXT = (
    "for scale (reference figures quoted in the issue, not measured here): GlobaLeaks takes 22 submissions/s "
    "from one client and 10.5/s from four, with 31-45 % of answers HTTP 500"
)

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
RECEIPT = re.compile(r'<p class="secret code"[^>]*>\s*(\d{4}(?: \d{4}){5})\s*</p>')
OPEN_TOKEN = re.compile(r'name="open_token" value="([^"]+)"')
BOX = re.compile(r'name="box" value="([^"]+)"')
MAIL_DOMAINS = ("proton.me", "mail.ru", "yandex.ru", "gmail.com", "tutanota.com")
URGENCIES = (("now", 2), ("soon", 5), ("later", 3))


def log(message: str) -> None:
    print(f"bench intake: {message}", flush=True)


# --- set-up -----------------------------------------------------------------------------------------------


def staff_setup() -> None:
    """An administrator (the escrow key) and two coordinators: every new request is sealed to them."""
    from ferry.accounts.services import staff_create_active

    staff_create_active(email="bench-admin@example.org", roles=["administrator"], passphrase=STAFF_PASSPHRASE)
    for n in (1, 2):
        staff_create_active(email=f"bench-coord{n}@example.org", roles=["coordinator"], passphrase=STAFF_PASSPHRASE)


@dataclass(frozen=True)
class Payload:
    language: str  # "ru" or "en": Accept-Language and ?lang=, as the page would set them
    fields: list[tuple[str, str]]  # in the form's order, without the token


def payloads_make(count: int) -> list[Payload]:
    """Seeded requests as people would fill the form: a story always, the other fields only sometimes."""
    from django.conf import settings

    generator = Generator(seed=SEED)
    rng = generator.rng
    focus = set(settings.FERRY_INTAKE_FOCUS_COUNTRIES)
    made = []
    for _ in range(count):
        story = generator.case()
        person = story.person
        where = story.now_in
        locale = person.locale
        email = f"{person.telegram[1:]}@{rng.choice(MAIL_DOMAINS)}" if rng.random() < 0.3 else ""
        country = where.country if rng.random() < 0.8 else ""
        region = where.subdivision if country in focus and rng.random() < 0.7 else ""
        fields = [
            ("name", rng.choice((person.given_name, person.full_name, ""))),
            ("phone", person.phone.typed if rng.random() < 0.6 else ""),
            ("handle", person.telegram if rng.random() < 0.7 else ""),
            ("email", email),
            ("country", country),
            ("region", region),
            ("place", where.city if rng.random() < 0.6 else ""),
            ("story", f"{story.title}. {story.narrative}"),
            ("needs", generator.narrative(locale, rng.randint(1, 3)) if rng.random() < 0.7 else ""),
            ("urgency", rng.choices([u for u, _ in URGENCIES], weights=[w for _, w in URGENCIES])[0]),
        ]
        made.append(Payload(language="ru" if locale == RU else "en", fields=fields))
    return made


def payloads_check(payloads: list[Payload]) -> None:
    """Every payload passes the form as the server will see it, so a refusal under load is the server's."""
    from django.utils import translation

    from ferry.intake.forms import RequestForm

    for n, payload in enumerate(payloads):
        with translation.override(payload.language):
            form = RequestForm(dict(payload.fields))
            if not form.is_valid():
                raise RuntimeError(f"seeded payload {n} does not pass the request form: {form.errors.as_json()}")


def server_env() -> dict[str, str]:
    """The throwaway data folder and database, the real Argon2id cost, and no hourly cap."""
    env = child_env("ferry.settings")
    env.pop("FERRY_KDF_PROFILE", None)  # the default profile for staff; requesters always get "requester"
    env.pop("FERRY_INSECURE_TEST_KDF", None)
    env["FERRY_INTAKE_HOURLY_CAP"] = "0"
    return env


def gunicorn_start(port: int) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn as ferry/launch.py starts it (WEB_WORKERS and WEB_THREADS honoured, 2 x 4 by default)."""
    from django.conf import settings

    workers, threads = os.environ.get("WEB_WORKERS", "2"), os.environ.get("WEB_THREADS", "4")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ferry.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            workers,
            "--threads",
            threads,
            "--worker-class",
            "gthread",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
            "--log-level",
            "warning",
            "--error-logfile",
            "-",
        ],
        cwd=settings.BASE_DIR,
        env=server_env(),
        stdout=sys.stderr,
    )
    return server, f"{workers} workers x {threads} threads"


# --- the clients ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    front: str
    send: str
    open: str
    close: str


@dataclass(frozen=True)
class Done:
    finished: float  # time.monotonic()
    seconds: float  # GET form + POST it
    problem: str  # empty when the receipt came with a code


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    """The body a browser sends for the form (multipart, with the empty file input), and its content type."""
    boundary = f"----ferrybench{secrets.token_hex(12)}"
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        if name == "form_token":
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename=""\r\n'
                "Content-Type: application/octet-stream\r\n\r\n\r\n".encode()
            )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def accept_language(language: str) -> str:
    return "ru-RU,ru;q=0.9,en;q=0.8" if language == "ru" else "en-US,en;q=0.9"


class Client:
    """One person after another on one keep-alive connection, until told to stop."""

    def __init__(self, port: int, paths: Paths, payloads: list[Payload], offset: int) -> None:
        self.port, self.paths, self.payloads, self.offset = port, paths, payloads, offset
        self.done: list[Done] = []
        self.codes: list[str] = []  # receipt codes shown, for the openers
        self.conn = http.client.HTTPConnection(HOST, port, timeout=SUBMIT_TIMEOUT_SECONDS)

    def exchange(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, str]:
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        if response.will_close:
            self.reconnect()
        return response.status, text

    def reconnect(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=SUBMIT_TIMEOUT_SECONDS)

    def submit(self, payload: Payload, stop: threading.Event) -> str | None:
        """One submission: the problem, empty when the receipt shows a code, None when stopped half-way."""
        headers = {"Accept-Language": accept_language(payload.language)}
        status, page = self.exchange("GET", f"{self.paths.front}?lang={payload.language}", None, headers)
        if status != 200:
            return f"GET form: HTTP {status}"
        found = TOKEN.search(page)
        if found is None:
            return "GET form: no form_token"
        if stop.is_set():
            return None
        body, content_type = multipart([("form_token", html.unescape(found.group(1))), *payload.fields])
        headers["Content-Type"] = content_type
        status, page = self.exchange("POST", f"{self.paths.send}?lang={payload.language}", body, headers)
        if status != 200:
            return f"POST send: HTTP {status}"
        receipt = RECEIPT.search(page)
        if receipt is None:
            return "POST send: 200 without a receipt code"
        self.codes.append(receipt.group(1))
        return ""

    def run(self, stop: threading.Event) -> None:
        n = self.offset
        try:
            while not stop.is_set():
                payload = self.payloads[n % len(self.payloads)]
                n += 1
                began = time.monotonic()
                try:
                    problem = self.submit(payload, stop)
                except (OSError, http.client.HTTPException) as exc:
                    problem = f"connection: {type(exc).__name__}: {exc}"
                    self.reconnect()
                ended = time.monotonic()
                if problem is None:
                    break
                self.done.append(Done(finished=ended, seconds=ended - began, problem=problem))
        finally:
            self.conn.close()


class Crowd:
    """Several clients in threads, started together and stopped together."""

    def __init__(self, port: int, paths: Paths, payloads: list[Payload], count: int) -> None:
        share = len(payloads) // count
        self.clients = [Client(port, paths, payloads, i * share) for i in range(count)]
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=c.run, args=(self.stop,), daemon=True) for c in self.clients]

    def start(self) -> float:
        for thread in self.threads:
            thread.start()
        return time.monotonic()

    def finish(self) -> list[Done]:
        self.stop.set()
        for thread in self.threads:
            thread.join(SUBMIT_TIMEOUT_SECONDS * 2 + 5)
        return sorted((d for c in self.clients for d in c.done), key=lambda d: d.finished)


class Opener:
    """A person who opened their mailbox before and opens it again every OPEN_INTERVAL_SECONDS: GET the form
    (a fresh open_token), POST the right code, expect the mailbox, close it. One connection per visit."""

    def __init__(self, port: int, paths: Paths, codes: list[str], offset: int) -> None:
        self.port, self.paths, self.codes, self.offset = port, paths, codes, offset
        self.done: list[Done] = []

    def visit(self, code: str) -> str:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=SUBMIT_TIMEOUT_SECONDS)
        try:
            conn.request("GET", f"{self.paths.front}?lang=ru", headers={"Accept-Language": accept_language("ru")})
            response = conn.getresponse()
            page = response.read().decode("utf-8", "replace")
            token = OPEN_TOKEN.search(page)
            if response.status != 200 or token is None:
                return f"GET form: HTTP {response.status}"
            form = {"code": code, "open_token": html.unescape(token.group(1))}
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": accept_language("ru")}
            conn.request("POST", f"{self.paths.open}?lang=ru", body=urlencode(form).encode(), headers=headers)
            response = conn.getresponse()
            page = response.read().decode("utf-8", "replace")
            box = BOX.search(page)
            if response.status != 200 or box is None:
                return f"POST open: HTTP {response.status}"
            body = urlencode({"box": html.unescape(box.group(1))}).encode()
            conn.request("POST", self.paths.close, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return "" if response.status == 302 else f"POST close: HTTP {response.status}"
        finally:
            conn.close()

    def run(self, stop: threading.Event) -> None:
        n, next_visit = self.offset, time.monotonic()
        while not stop.is_set():
            code = self.codes[n % len(self.codes)]
            n += 1
            began = time.monotonic()
            try:
                problem = self.visit(code)
            except (OSError, http.client.HTTPException) as exc:
                problem = f"connection: {type(exc).__name__}: {exc}"
            ended = time.monotonic()
            self.done.append(Done(finished=ended, seconds=ended - began, problem=problem))
            next_visit += OPEN_INTERVAL_SECONDS
            stop.wait(max(0.0, next_visit - time.monotonic()))


class Openers:
    def __init__(self, port: int, paths: Paths, codes: list[str]) -> None:
        self.openers = [Opener(port, paths, codes, i * len(codes) // OPENERS) for i in range(OPENERS)]
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=o.run, args=(self.stop,), daemon=True) for o in self.openers]

    def start(self) -> None:
        for n, thread in enumerate(self.threads):
            thread.start()
            if n + 1 < len(self.threads):
                time.sleep(OPEN_INTERVAL_SECONDS / OPENERS)  # spread, as people come one at a time

    def finish(self) -> list[Done]:
        self.stop.set()
        for thread in self.threads:
            thread.join(SUBMIT_TIMEOUT_SECONDS * 3 + 5)
        return sorted((d for o in self.openers for d in o.done), key=lambda d: d.finished)


def mailboxes_open_once(port: int, paths: Paths, codes: list[str]) -> list[str]:
    """Each opener's mailbox opened once before the measured stretches (so it is one "opened before")."""
    opener = Opener(port, paths, codes, 0)
    problems = []
    for code in codes:
        began = time.monotonic()
        if problem := opener.visit(code):
            problems.append(problem)
        # Within the general share of the look-up budget (a sixth of the minute's in ten seconds, half of it).
        time.sleep(max(0.0, 1.2 - (time.monotonic() - began)))
    return problems


# --- the flood --------------------------------------------------------------------------------------------

TIMED_OUT = -1  # a lookup's status when no answer came within LOOKUP_TIMEOUT_SECONDS
NO_CONNECTION = 0  # refused, reset, or a malformed answer


@dataclass(frozen=True)
class Lookup:
    due: float  # when it was scheduled (time.monotonic())
    sent: float
    finished: float
    status: int  # the HTTP status, or TIMED_OUT, or NO_CONNECTION


def wrong_code(rng: random.Random) -> str:
    digits = "".join(str(rng.randrange(10)) for _ in range(24))
    return " ".join(digits[i : i + 4] for i in range(0, 24, 4))


@dataclass
class Flood:
    """POST /open with random well-formed codes at a steady rate for a fixed time, each on its own connection.

    Open loop, as an attacker's script would be: a lookup is sent when due whatever the server's answers.
    Each waits LOOKUP_TIMEOUT_SECONDS at most; at the end the sender waits for the last ones and returns."""

    port: int
    path: str
    rate: float
    seconds: float
    seed: int  # one per stretch: fresh wrong codes each time
    junk_path: str = ""
    junk_rate: float = 0.0
    done: list[Lookup] = field(default_factory=list)
    junk: list[Lookup] = field(default_factory=list)
    started: float = 0.0

    async def junk_send(self, due: float, n: int, token: str) -> None:
        """One junk request: a well-formed form with a fresh token, as a flooding script sends it."""
        sent = time.monotonic()
        fields = [("form_token", token), ("story", f"junk {self.seed} {n}"), ("urgency", "now")]
        body, content_type = multipart(fields)
        head = (
            f"POST {self.junk_path}?lang=ru HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAccept-Language: ru\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        status = NO_CONNECTION
        try:
            async with asyncio.timeout(SUBMIT_TIMEOUT_SECONDS):
                reader, writer = await asyncio.open_connection(HOST, self.port)
                try:
                    writer.write(head.encode() + body)
                    status_line = await reader.readline()
                    await reader.read()
                    status = int(status_line.split()[1])
                finally:
                    writer.close()
        except TimeoutError:
            status = TIMED_OUT
        except (OSError, ValueError, IndexError):
            status = NO_CONNECTION
        self.junk.append(Lookup(due=due, sent=sent, finished=time.monotonic(), status=status))

    async def lookup(self, due: float, code: str, token: str) -> None:
        sent = time.monotonic()
        # Each with a fresh single-use form token, as a script that fetches the page first would send.
        body = urlencode({"code": code, "open_token": token}).encode()
        head = (
            f"POST {self.path}?lang=ru HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAccept-Language: ru\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        status = NO_CONNECTION
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_SECONDS):
                reader, writer = await asyncio.open_connection(HOST, self.port)
                try:
                    writer.write(head.encode() + body)
                    status_line = await reader.readline()
                    await reader.read()  # the rest, until the server closes
                    status = int(status_line.split()[1])
                finally:
                    writer.close()
        except TimeoutError:
            status = TIMED_OUT
        except (OSError, ValueError, IndexError):
            status = NO_CONNECTION
        self.done.append(Lookup(due=due, sent=sent, finished=time.monotonic(), status=status))

    async def send_all(self) -> None:
        from ferry.intake.forms import form_token_new

        rng = random.Random(self.seed)
        count = int(self.seconds * self.rate)
        junk_count = int(self.seconds * self.junk_rate)
        tokens = [form_token_new() for _ in range(count + junk_count)]
        # Wrong codes and junk requests, each at its own steady rate, sent in the order they fall due.
        events = [(n / self.rate, "code", n) for n in range(count)]
        events += [(n / self.junk_rate, "junk", n) for n in range(junk_count)]
        events.sort()
        pending: set[asyncio.Task[None]] = set()
        for at, kind, n in events:
            due = self.started + at
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if kind == "code":
                task = asyncio.create_task(self.lookup(due, wrong_code(rng), tokens[n]))
            else:
                task = asyncio.create_task(self.junk_send(due, n, tokens[count + n]))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.wait(pending)

    def begin(self) -> threading.Thread:
        self.started = time.monotonic()
        thread = threading.Thread(target=asyncio.run, args=(self.send_all(),), daemon=True)
        thread.start()
        return thread


# --- measuring --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def holds(self, moment: float) -> bool:
        return self.start <= moment < self.end


def rate(done: list[Done], windows: list[Window]) -> float:
    """Receipts per second over the windows, counted by when each submission finished."""
    ok = sum(1 for d in done if not d.problem and any(w.holds(d.finished) for w in windows))
    return ok / sum(w.seconds for w in windows)


def median_seconds(done: list[Done], windows: list[Window]) -> float:
    times = [d.seconds for d in done if not d.problem and any(w.holds(d.finished) for w in windows)]
    return statistics.median(times) if times else 0.0


def percentile(values: list[float], fraction: float) -> float:
    """NaN (printed "nan") when there is nothing to measure, so an empty set never reads as 0 ms."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def problems_of(done: list[Done]) -> list[str]:
    return [d.problem for d in done if d.problem]


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def flood_start_after(earliest: float) -> float:
    """The first moment (time.monotonic()) from `earliest` that makes the flood's measured stretch begin
    WINDOW_LEAD_SECONDS before a look-up budget window does, so the window's burst of derivations falls inside."""
    from ferry.intake.limits import LOOKUP_WINDOW_SECONDS

    if FLOOD_STRETCH_SECONDS % LOOKUP_WINDOW_SECONDS:
        raise RuntimeError(f"a flood stretch must hold whole {LOOKUP_WINDOW_SECONDS} s look-up windows")
    measured_from = time.time() + (earliest - time.monotonic()) + FLOOD_WARM_UP_SECONDS  # wall clock, as the server
    window_begins = math.ceil((measured_from + WINDOW_LEAD_SECONDS) / LOOKUP_WINDOW_SECONDS) * LOOKUP_WINDOW_SECONDS
    return earliest + (window_begins - WINDOW_LEAD_SECONDS - measured_from)


@dataclass
class Measured:
    one: list[Done]
    one_window: Window
    four: list[Done]
    calm: list[Window]  # ROUNDS + 1 stretches without the flood
    floods: list[Window]  # ROUNDS measured stretches under it
    flooded: list[Window]  # from each flood's first lookup until SETTLE_SECONDS after its last answer
    lookups: list[Lookup]
    opens: list[Done]  # the openers' visits during the 4-client stretches
    opened_before: list[str]  # problems opening each opener's mailbox once before
    junk: list[Lookup]  # the flood's junk requests


# --- where the CPU goes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuSample:
    at: float  # time.monotonic()
    server: float  # CPU seconds of gunicorn's master and workers so far
    bench: float  # CPU seconds of this process (clients, openers, flood) so far
    machine: float  # busy CPU seconds of the whole machine so far


def _jiffies(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_sample(server_pid: int) -> CpuSample:
    """From /proc (Linux): the server's tree (master and its workers), this process, and the whole machine."""
    with open(f"/proc/{server_pid}/task/{server_pid}/children", encoding="ascii") as f:
        pids = [server_pid, *map(int, f.read().split())]
    server = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                server += _jiffies(f.read().rsplit(")", 1)[1].split())
        except OSError:  # a worker that just ended: its time is lost either way
            continue
    with open("/proc/stat", encoding="ascii") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    machine = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    own = os.times()
    return CpuSample(at=time.monotonic(), server=server, bench=own.user + own.system, machine=machine)


class CpuSampler:
    """Samples cpu_sample every SAMPLE_SECONDS in a thread, so each stretch's CPU can be read off: how much the
    server spent per receipt, and how much other processes on the machine took (a neighbour's load)."""

    SAMPLE_SECONDS = 0.25

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.samples: list[CpuSample] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.samples.append(cpu_sample(self.server_pid))
            except OSError:  # the server is gone: nothing more to sample
                return
            self.stop.wait(self.SAMPLE_SECONDS)

    def __enter__(self) -> CpuSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def spent(self, windows: list[Window]) -> Spent:
        """CPU seconds of the server, this process and the rest of the machine in these windows, each window cut
        to the first and last sample inside it."""
        server = bench = others = 0.0
        cut: list[Window] = []
        for w in windows:
            inside = [x for x in self.samples if w.start <= x.at <= w.end]
            if len(inside) < 2:
                continue
            first, last = inside[0], inside[-1]
            server += last.server - first.server
            bench += last.bench - first.bench
            others += (last.machine - first.machine) - (last.server - first.server) - (last.bench - first.bench)
            cut.append(Window(first.at, last.at))
        return Spent(server=server, bench=bench, others=others, windows=cut)


@dataclass(frozen=True)
class Spent:
    server: float
    bench: float
    others: float
    windows: list[Window]

    @property
    def seconds(self) -> float:
        return sum(w.seconds for w in self.windows)

    def per_second(self, cpu: float) -> float:
        return cpu / self.seconds if self.seconds else 0.0

    def server_ms_per(self, done: list[Done]) -> float:
        """The server's CPU milliseconds per receipt finished in these windows (the flood's work included)."""
        count = sum(1 for d in done if not d.problem and within(d.finished, self.windows))
        return 1000 * self.server / count if count else 0.0


def measure(port: int, paths: Paths, payloads: list[Payload]) -> Measured:
    log(f"1 client: {WARM_UP_SECONDS:.0f} s warm-up, {ONE_CLIENT_SECONDS:.0f} s measured")
    crowd = Crowd(port, paths, payloads, 1)
    began = crowd.start()
    one_window = Window(began + WARM_UP_SECONDS, began + WARM_UP_SECONDS + ONE_CLIENT_SECONDS)
    sleep_until(one_window.end)
    one = crowd.finish()
    codes = [code for client in crowd.clients for code in client.codes][:OPENER_CODES]
    if len(codes) < OPENER_CODES:
        raise RuntimeError(f"only {len(codes)} receipts in the 1-client stretch, {OPENER_CODES} needed for the openers")
    log(f"{OPENER_CODES} mailboxes opened once each, before the stretches that are measured")
    opened_before = mailboxes_open_once(port, paths, codes)

    log(
        f"{CLIENTS} clients: {WARM_UP_SECONDS:.0f} s warm-up, then {ROUNDS} rounds of at least {CALM_SECONDS:.0f} s "
        f"without the flood and {FLOOD_STRETCH_SECONDS:.0f} s under {FLOOD_RATE:.0f} wrong codes/s (after "
        f"{FLOOD_WARM_UP_SECONDS:.0f} s of warm-up), and a last stretch without; {OPENERS} people open their "
        f"mailboxes throughout, each every {OPEN_INTERVAL_SECONDS:.0f} s; the flood adds "
        f"{JUNK_RATE:.0f} junk requests/s"
    )
    crowd = Crowd(port, paths, payloads, CLIENTS)
    openers = Openers(port, paths, codes)
    calm_from = crowd.start() + WARM_UP_SECONDS
    openers.start()
    calm: list[Window] = []
    floods: list[Window] = []
    flooded: list[Window] = []
    lookups: list[Lookup] = []
    junk: list[Lookup] = []
    for n in range(ROUNDS):
        sleep_until(flood_start_after(calm_from + CALM_SECONDS))
        flood = Flood(
            port=port,
            path=paths.open,
            rate=FLOOD_RATE,
            seconds=FLOOD_WARM_UP_SECONDS + FLOOD_STRETCH_SECONDS,
            seed=SEED + n,
            junk_path=paths.send,
            junk_rate=JUNK_RATE,
        )
        sender = flood.begin()
        calm.append(Window(calm_from, flood.started))
        measured_from = flood.started + FLOOD_WARM_UP_SECONDS
        floods.append(Window(measured_from, measured_from + FLOOD_STRETCH_SECONDS))
        sender.join()  # the flood's time, then its last lookups' answers (or their timeout)
        calm_from = time.monotonic() + SETTLE_SECONDS
        flooded.append(Window(flood.started, calm_from))
        lookups += flood.done
        junk += flood.junk
    sleep_until(calm_from + CALM_SECONDS)
    calm.append(Window(calm_from, time.monotonic()))
    four = crowd.finish()
    opens = openers.finish()
    return Measured(
        one=one,
        one_window=one_window,
        four=four,
        calm=calm,
        floods=floods,
        flooded=flooded,
        lookups=lookups,
        opens=opens,
        opened_before=opened_before,
        junk=junk,
    )


def stored_check(receipts: int) -> str:
    """The server used the real Argon2id cost, and stored one request per receipt shown; a line saying so."""
    from ferry.intake.models import Mailbox, Request

    mailbox = Mailbox.objects.order_by("?").first()
    if mailbox is None:
        raise RuntimeError("no mailbox was stored")
    kdf = mailbox.kdf
    if (kdf.get("opslimit"), kdf.get("memlimit")) != (REQUESTER_OPSLIMIT, REQUESTER_MEMLIMIT):
        raise RuntimeError(f"the server derived requester keys with {kdf}, not the requester profile")
    stored = Request.objects.count()
    if stored < receipts:
        raise RuntimeError(f"{receipts} receipts were shown but only {stored} requests were stored")
    return (
        f"stored {stored} requests for {receipts} receipts shown (the rest finished after their client gave up); "
        f"requester keys derived with Argon2id opslimit {kdf['opslimit']}, {kdf['memlimit'] // (1024 * 1024)} MiB"
    )


def within(moment: float, windows: list[Window]) -> bool:
    return any(w.holds(moment) for w in windows)


@dataclass(frozen=True)
class Answers:
    """What the flood's lookups due in the measured stretches were answered, and how fast."""

    due: list[Lookup]
    answered_per_second: float  # answers of any status that came within the measured stretches
    wrong: list[float]  # seconds to each 400 (wrong code, after Argon2id)
    busy: list[float]  # seconds to each 429 (over the look-up budget or lane)
    timed_out: list[Lookup]
    other: list[Lookup]


def answers_of(measured: Measured) -> Answers:
    windows = measured.floods
    due = [lk for lk in measured.lookups if within(lk.due, windows)]
    answered = sum(1 for lk in measured.lookups if lk.status > 0 and within(lk.finished, windows))
    return Answers(
        due=due,
        answered_per_second=answered / sum(w.seconds for w in windows),
        wrong=[lk.finished - lk.sent for lk in due if lk.status == 400],
        busy=[lk.finished - lk.sent for lk in due if lk.status == 429],
        timed_out=[lk for lk in due if lk.status == TIMED_OUT],
        other=[lk for lk in due if lk.status not in (400, 429, TIMED_OUT)],
    )


def flood_log(measured: Measured, answers: Answers) -> None:
    from django.conf import settings

    late = [lk.sent - lk.due for lk in answers.due]
    log(
        f"look-up budget {settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE}/min; {len(answers.due)} lookups due in the "
        f"measured stretches, sent {1000 * percentile(late, 0.5):.0f} ms late median, "
        f"{1000 * percentile(late, 0.95):.0f} ms p95; 429 answers after >= 2.5 s (waiting for the look-up lane, "
        f"or queued): {sum(1 for t in answers.busy if t >= 2.5)}"
    )
    for status in (400, 429, TIMED_OUT):
        per = [sum(1 for lk in answers.due if lk.status == status and w.holds(lk.due)) for w in measured.floods]
        log(f"flood, lookups answered {status} by due time, stretch by stretch: {per}")
    if answers.other:
        log(f"other flood answers: {sorted({lk.status for lk in answers.other})} (0 = refused, reset or malformed)")


def run() -> list[Figure]:
    from django.urls import reverse

    heartbeat_write()
    staff_setup()
    payloads = payloads_make(PAYLOADS)
    payloads_check(payloads)
    paths = Paths(
        front=reverse("intake:front"),
        send=reverse("intake:send"),
        open=reverse("intake:open"),
        close=reverse("intake:box_close"),
    )
    port = free_port()
    server, shape = gunicorn_start(port)
    try:
        wait_ready(server, port)
        with CpuSampler(server.pid) as cpu:
            measured = measure(port, paths, payloads)
    finally:
        gunicorn_stop(server, port)

    one_rate = rate(measured.one, [measured.one_window])
    calm_rates = [rate(measured.four, [w]) for w in measured.calm]
    flood_rates = [rate(measured.four, [w]) for w in measured.floods]
    calm_rate, flood_rate = median(calm_rates), median(flood_rates)
    ratio = flood_rate / calm_rate if calm_rate else 0.0
    # Each flood stretch against the stretches without it on either side.
    round_ratios = [
        2 * flood / (before + after) if before + after else 0.0
        for flood, before, after in zip(flood_rates, calm_rates, calm_rates[1:], strict=False)
    ]
    flooded = measured.flooded
    calm_problems = problems_of([*measured.one, *(d for d in measured.four if not within(d.finished, flooded))])
    flood_problems = problems_of([d for d in measured.four if within(d.finished, flooded)])
    calm_median = median_seconds(measured.four, measured.calm)
    flood_median = median_seconds(measured.four, measured.floods)

    answers = answers_of(measured)
    calm_opens = rate(measured.opens, measured.calm)
    flood_opens = rate(measured.opens, measured.floods)
    opens_ratio = flood_opens / calm_opens if calm_opens else 0.0
    open_problems_calm = problems_of([d for d in measured.opens if not within(d.finished, flooded)])
    open_problems_flood = problems_of([d for d in measured.opens if within(d.finished, flooded)])
    junk_due = [j for j in measured.junk if within(j.due, measured.floods)]
    junk_kept = sum(1 for j in measured.junk if j.status == 200)

    log(f"server: gunicorn gthread, {shape}; hourly cap off; {stored_check(receipts(measured))}")
    log(f"{CLIENTS} clients, receipts/s without the flood, stretch by stretch: {rounded(calm_rates)}")
    log(f"{CLIENTS} clients, receipts/s under the flood, stretch by stretch: {rounded(flood_rates)}")
    log(f"stretches without the flood lasted {rounded([w.seconds for w in measured.calm])} s")
    flood_log(measured, answers)
    log(
        f"mailbox opens/s per stretch without the flood {rounded([rate(measured.opens, [w]) for w in measured.calm])}, "
        f"under it {rounded([rate(measured.opens, [w]) for w in measured.floods])}"
    )
    log(
        f"junk requests: {len(measured.junk)} sent, {junk_kept} answered with a receipt, answers: "
        f"{sorted({j.status for j in measured.junk})} (-1 = no answer within {SUBMIT_TIMEOUT_SECONDS:.0f} s)"
    )
    for label, found in (
        ("submission errors without the flood", calm_problems),
        ("submission errors under the flood", flood_problems),
        ("mailbox open errors without the flood", open_problems_calm),
        ("mailbox open errors under the flood", open_problems_flood),
        ("mailboxes not opened before the stretches", measured.opened_before),
    ):
        if found:
            kinds = sorted(set(found))
            log(f"{label}: {len(found)}, e.g. {'; '.join(kinds[:5])}")
    cpu_figures = cpu_report(measured, cpu)
    log(GLOBALEAKS_CONTEXT)

    four = f"{CLIENTS} clients"
    flood = f"{FLOOD_RATE:.0f} wrong codes/s + {JUNK_RATE:.0f} junk requests/s"
    people = f"{OPENERS} people opening mailboxes"
    unanswered = f"flood: no answer within {LOOKUP_TIMEOUT_SECONDS:.0f} s"
    return [
        Figure(f"1 client: submissions/s ({ONE_CLIENT_SECONDS:.0f} s)", one_rate, "/s", "", True),
        Figure(
            f"{four}: submissions/s (before the flood)",
            calm_rate,
            "/s",
            f">= {MIN_SUBMISSIONS_PER_SECOND:.0f}",
            calm_rate >= MIN_SUBMISSIONS_PER_SECOND,
        ),
        Figure("submission errors without the flood (1 and 4 clients)", len(calm_problems), "", "0", not calm_problems),
        Figure(f"{four} under {flood}: submissions/s ({FLOOD_SECONDS:.0f} s)", flood_rate, "/s", "", True),
        Figure("submission errors under the flood", len(flood_problems), "", "0", not flood_problems),
        Figure("submissions: under the flood / without", ratio, "x", f">= {MIN_FLOOD_RATIO}", ratio >= MIN_FLOOD_RATIO),
        Figure(f"{people}: opens/s without the flood", calm_opens, "/s", "", True),
        Figure(f"{people}: opens/s under the flood", flood_opens, "/s", "", True),
        Figure(
            "mailbox opens: under the flood / without",
            opens_ratio,
            "x",
            f">= {MIN_FLOOD_RATIO}",
            opens_ratio >= MIN_FLOOD_RATIO,
        ),
        Figure("mailbox open errors without the flood", len(open_problems_calm), "", "0", not open_problems_calm),
        Figure("mailbox open errors under the flood", len(open_problems_flood), "", "0", not open_problems_flood),
        Figure(
            "mailboxes that failed to open before the stretches",
            len(measured.opened_before),
            "",
            "0",
            not measured.opened_before,
        ),
        Figure(f"flood: junk requests due in the measured stretches ({JUNK_RATE:.0f}/s)", len(junk_due), "", "", True),
        Figure("flood: junk requests answered with a receipt (all stretches)", junk_kept, "", "", True),
        spread_figure(f"{four}: submissions/s without the flood", calm_rates),
        spread_figure(f"{four}: submissions/s under the flood", flood_rates),
        spread_figure("under the flood / without, per round", round_ratios),
        Figure(f"{four}: median s per submission (GET + POST), no flood", calm_median, "s", "", True),
        Figure(f"{four}: median s per submission (GET + POST), flood", flood_median, "s", "", True),
        Figure(f"flood: lookups answered/s ({FLOOD_RATE:.0f}/s sent)", answers.answered_per_second, "/s", "", True),
        Figure("flood: 400 wrong code", len(answers.wrong), "", "", True),
        Figure("flood: 429 over the look-up budget or lane", len(answers.busy), "", "", True),
        Figure(unanswered, len(answers.timed_out), "", "", True),
        Figure("flood: other answers and connection errors", len(answers.other), "", "0", not answers.other),
        Figure("flood: 400 latency median", 1000 * percentile(answers.wrong, 0.5), "ms", "", True),
        Figure("flood: 429 latency median", 1000 * percentile(answers.busy, 0.5), "ms", "", True),
        Figure("flood: 429 latency p95", 1000 * percentile(answers.busy, 0.95), "ms", "", True),
        *cpu_figures,
    ]


def cpu_report(measured: Measured, cpu: CpuSampler) -> list[Figure]:
    """Where the CPU went, with and without the flood: the server's per receipt, and what other processes took
    (on a shared machine a neighbour's load moves every rate above; these say by how much)."""
    calm, flood = cpu.spent(measured.calm), cpu.spent(measured.floods)
    for label, spent in (("without the flood", calm), ("under the flood", flood)):
        log(
            f"CPU-s/s {label}: server {spent.per_second(spent.server):.2f}, this process (clients, openers, flood) "
            f"{spent.per_second(spent.bench):.2f}, other processes {spent.per_second(spent.others):.2f} "
            f"(of {os.cpu_count()} CPUs); server CPU per receipt {spent.server_ms_per(measured.four):.1f} ms"
        )
    seconds = calm.seconds + flood.seconds
    return [
        Figure(
            f"{CLIENTS} clients: server CPU per receipt, no flood", calm.server_ms_per(measured.four), "ms", "", True
        ),
        Figure("server CPU-s/s, no flood", calm.per_second(calm.server), "", "", True),
        Figure("server CPU-s/s, flood", flood.per_second(flood.server), "", "", True),
        Figure(
            "other processes' CPU-s/s in the stretches (a neighbour's load)",
            (calm.others + flood.others) / seconds if seconds else 0.0,
            "",
            "",
            True,
        ),
    ]


def receipts(measured: Measured) -> int:
    return sum(1 for d in [*measured.one, *measured.four] if not d.problem)


def rounded(values: list[float]) -> list[float]:
    return [round(v, 1) for v in values]
