"""Anonymous submissions per second through gunicorn, with 1 and 4 clients, then under a flood of wrong codes.

Each client loops as a browser would: GET the request form (a fresh single-use token), POST it with seeded
content, and expects the receipt page with a 24-digit code; anything else counts as an error. The flood is
a separate open-loop sender of POST /open with well-formed random (so wrong) codes at a steady rate.

The receipt-code look-up budget is per calendar minute: each minute's first lookups run Argon2id, the rest
are turned away. So the flood is measured over one whole minute holding exactly one minute boundary, as a
sustained flood would be; the same 4 clients are measured just before it. After the flood the clients stop
(a submission still waiting for its page gets SUBMIT_TIMEOUT_SECONDS), so the run always ends.
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

NAME = "intake"

CLIENTS = 4
WARM_UP_SECONDS = 3.0  # before each measured stretch: workers load templates, catalogues, connections
ONE_CLIENT_SECONDS = 10.0
CALM_SECONDS = 15.0  # 4 clients without the flood, just before it (longer when waiting for the clock)
FLOOD_RATE = 50.0  # wrong-code lookups per second
FLOOD_WARM_UP_SECONDS = 8.0  # holds the starting minute's Argon2 lookups and their wait on the lane
FLOOD_SECONDS = 60.0  # one whole look-up budget cycle
FLOOD_LATEST_START_SECOND = 48  # so the measured minute holds exactly one minute boundary (see module doc)
LOOKUP_TIMEOUT_SECONDS = 10.0  # a flooding script does not wait longer for an answer
SUBMIT_TIMEOUT_SECONDS = 30.0  # a person waiting longer for a page without an answer counts as an error
PAYLOADS = 200
SEED = 2022

MIN_SUBMISSIONS_PER_SECOND = 10.0  # with 4 clients
MIN_FLOOD_RATIO = 0.8  # of the 4-client rate kept under the flood

STAFF_PASSPHRASE = "violet harbour compass lantern 1917"  # noqa: S105 - throwaway accounts in a throwaway database
REQUESTER_OPSLIMIT, REQUESTER_MEMLIMIT = 3, 32 * 1024 * 1024
GLOBALEAKS_CONTEXT = (
    "for scale (reference figures quoted in the issue, not measured here): GlobaLeaks takes 22 submissions/s "
    "from one client and 10.5/s from four, with 31-45 % of answers HTTP 500"
)

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
RECEIPT = re.compile(r'<p class="secret code"[^>]*>\s*(\d{4}(?: \d{4}){5})\s*</p>')
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
        if RECEIPT.search(page) is None:
            return "POST send: 200 without a receipt code"
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
    done: list[Lookup] = field(default_factory=list)
    started: float = 0.0

    async def lookup(self, due: float, code: str) -> None:
        sent = time.monotonic()
        body = urlencode({"code": code}).encode()
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
        rng = random.Random(SEED)
        pending: set[asyncio.Task[None]] = set()
        for n in range(int(self.seconds * self.rate)):
            due = self.started + n / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.lookup(due, wrong_code(rng)))
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


def wait_for_wall_second() -> None:
    """Sleep into the next minute when too late in this one for the flood's minute to hold one boundary."""
    second = time.time() % 60
    if second >= FLOOD_LATEST_START_SECOND:
        time.sleep(60 - second + 0.5)


@dataclass
class Measured:
    one: list[Done]
    one_window: Window
    four: list[Done]
    calm: Window
    flood_window: Window
    flood_started: float
    lookups: list[Lookup]


def measure(port: int, paths: Paths, payloads: list[Payload]) -> Measured:
    log(f"1 client: {WARM_UP_SECONDS:.0f} s warm-up, {ONE_CLIENT_SECONDS:.0f} s measured")
    crowd = Crowd(port, paths, payloads, 1)
    began = crowd.start()
    one_window = Window(began + WARM_UP_SECONDS, began + WARM_UP_SECONDS + ONE_CLIENT_SECONDS)
    time.sleep(max(0.0, one_window.end - time.monotonic()))
    one = crowd.finish()

    log(f"{CLIENTS} clients: {WARM_UP_SECONDS:.0f} s warm-up, at least {CALM_SECONDS:.0f} s without the flood")
    crowd = Crowd(port, paths, payloads, CLIENTS)
    began = crowd.start()
    time.sleep(WARM_UP_SECONDS + CALM_SECONDS)
    wait_for_wall_second()
    flood = Flood(port=port, path=paths.open, rate=FLOOD_RATE, seconds=FLOOD_WARM_UP_SECONDS + FLOOD_SECONDS)
    sender = flood.begin()
    calm = Window(began + WARM_UP_SECONDS, flood.started)
    flood_window = Window(flood.started + FLOOD_WARM_UP_SECONDS, flood.started + FLOOD_WARM_UP_SECONDS + FLOOD_SECONDS)
    log(
        f"{CLIENTS} clients and {FLOOD_RATE:.0f} wrong codes/s: {FLOOD_WARM_UP_SECONDS:.0f} s warm-up, "
        f"{FLOOD_SECONDS:.0f} s measured (the flood began at second {time.time() % 60:.0f} of the minute)"
    )
    sender.join()  # the flood's time, then its last lookups' answers (or their timeout)
    four = crowd.finish()
    return Measured(
        one=one,
        one_window=one_window,
        four=four,
        calm=calm,
        flood_window=flood_window,
        flood_started=flood.started,
        lookups=flood.done,
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


def run() -> list[Figure]:
    from django.conf import settings
    from django.urls import reverse

    heartbeat_write()
    staff_setup()
    payloads = payloads_make(PAYLOADS)
    payloads_check(payloads)
    paths = Paths(front=reverse("intake:front"), send=reverse("intake:send"), open=reverse("intake:open"))
    port = free_port()
    server, shape = gunicorn_start(port)
    try:
        wait_ready(server, port)
        measured = measure(port, paths, payloads)
    finally:
        gunicorn_stop(server, port)

    one_rate = rate(measured.one, [measured.one_window])
    calm_rate = rate(measured.four, [measured.calm])
    window = measured.flood_window
    flood_rate = rate(measured.four, [window])
    ratio = flood_rate / calm_rate if calm_rate else 0.0
    flooded = measured.flood_started
    calm_problems = problems_of([*measured.one, *(d for d in measured.four if d.finished < flooded)])
    flood_problems = problems_of([d for d in measured.four if d.finished >= flooded])
    calm_median, flood_median = median_seconds(measured.four, [measured.calm]), median_seconds(measured.four, [window])

    lookups = [lk for lk in measured.lookups if window.holds(lk.due)]
    answered = sum(1 for lk in measured.lookups if lk.status > 0 and window.holds(lk.finished)) / window.seconds
    wrong = [lk.finished - lk.sent for lk in lookups if lk.status == 400]
    busy = [lk.finished - lk.sent for lk in lookups if lk.status == 429]
    timed_out = [lk for lk in lookups if lk.status == TIMED_OUT]
    other = [lk for lk in lookups if lk.status not in (400, 429, TIMED_OUT)]
    late = [lk.sent - lk.due for lk in lookups]

    log(f"server: gunicorn gthread, {shape}; hourly cap off; {stored_check(receipts(measured))}")
    log(
        f"look-up budget {settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE}/min; {len(lookups)} lookups due in the measured "
        f"minute, sent {1000 * percentile(late, 0.5):.0f} ms late median, {1000 * percentile(late, 0.95):.0f} ms p95; "
        f"429 answers after >= 2.5 s (waiting for the look-up lane, or queued): {sum(1 for t in busy if t >= 2.5)}"
    )
    log(f"{CLIENTS} clients measured for {measured.calm.seconds:.0f} s before the flood")
    log(f"flood window, per 10 s: receipts {tens(measured.four, window)}")
    for status in (400, 429, TIMED_OUT):
        picked = [lk for lk in lookups if lk.status == status]
        log(f"flood window, per 10 s by due time: lookups answered {status} {tens_lookups(picked, window)}")
    for label, found in (("without the flood", calm_problems), ("under the flood", flood_problems)):
        if found:
            kinds = sorted(set(found))
            log(f"submission errors {label}: {len(found)}, e.g. {'; '.join(kinds[:5])}")
    if other:
        log(f"other flood answers: {sorted({lk.status for lk in other})} (0 = refused, reset or malformed)")
    log(GLOBALEAKS_CONTEXT)

    four = f"{CLIENTS} clients"
    flood = f"{FLOOD_RATE:.0f} wrong codes/s"
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
        Figure("under the flood / without", ratio, "x", f">= {MIN_FLOOD_RATIO}", ratio >= MIN_FLOOD_RATIO),
        Figure(f"{four}: median s per submission (GET + POST), no flood", calm_median, "s", "", True),
        Figure(f"{four}: median s per submission (GET + POST), flood", flood_median, "s", "", True),
        Figure(f"flood: lookups answered/s ({FLOOD_RATE:.0f}/s sent)", answered, "/s", "", True),
        Figure("flood: 400 wrong code", len(wrong), "", "", True),
        Figure("flood: 429 over the look-up budget or lane", len(busy), "", "", True),
        Figure(unanswered, len(timed_out), "", "", True),
        Figure("flood: other answers and connection errors", len(other), "", "0", not other),
        Figure("flood: 400 latency median", 1000 * percentile(wrong, 0.5), "ms", "", True),
        Figure("flood: 429 latency median", 1000 * percentile(busy, 0.5), "ms", "", True),
        Figure("flood: 429 latency p95", 1000 * percentile(busy, 0.95), "ms", "", True),
    ]


def receipts(measured: Measured) -> int:
    return sum(1 for d in [*measured.one, *measured.four] if not d.problem)


def tens(done: list[Done], window: Window) -> list[int]:
    """Receipts per 10 s of the window: where in the minute the flood hurt."""
    counts = [0] * int(window.seconds // 10)
    for d in done:
        if not d.problem and window.holds(d.finished):
            counts[min(len(counts) - 1, int((d.finished - window.start) // 10))] += 1
    return counts


def tens_lookups(lookups: list[Lookup], window: Window) -> list[int]:
    counts = [0] * int(window.seconds // 10)
    for lk in lookups:
        counts[min(len(counts) - 1, int((lk.due - window.start) // 10))] += 1
    return counts
