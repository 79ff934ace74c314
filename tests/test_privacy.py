"""No personal data in logs or audit entries: drive the account flows and read everything that was written.
And the intake (P4): no address, browser or cookie, in the logs, the queries or a copy of the database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from ferry.accounts import services
from ferry.accounts.tasks import alerts_email
from ferry.audit.models import AuditEntry
from tests.accounts.helpers import login
from tests.conftest import TEST_PASSPHRASE

pytestmark = pytest.mark.django_db(transaction=True)


def test_logs_and_audit_hold_no_personal_data(make_staff: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    admin = make_staff("administrator", email="olga.ivanova@example.org")
    member = make_staff("caseworker", email="ruslan.k@example.org")
    services.duress_set(staff=member.staff, current=TEST_PASSPHRASE, duress="plum orchard velvet staircase 88")
    client = Client(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Mozilla/5.0 CanaryAgent/1.0")
    client.post(
        "/staff/accounts/login/", {"email": member.staff.email, "passphrase": "plum orchard velvet staircase 88"}
    )
    for _ in range(6):
        client.post("/staff/accounts/login/", {"email": member.staff.email, "passphrase": "a wrong passphrase here"})
    client.post("/staff/accounts/login/", {"email": "unknown.person@example.org", "passphrase": "whatever it is"})
    client.post("/staff/accounts/login/code/", {"code": "123456"})
    client.get("/staff/accounts/invitation/forged-token/")
    client.post(
        "/staff/accounts/recover/",
        {"email": member.staff.email, "recovery_code": "X", "passphrase": "p", "confirm": "p"},
    )
    admin_client = login(Client(), admin.staff.email, TEST_PASSPHRASE, admin.totp_secret)
    admin_client.post("/staff/accounts/staff/", {"email": "new.person@example.org", "roles": ["caseworker"]})
    admin_client.get("/staff/accounts/nothing-here/")

    written = caplog.text + "\n".join(
        " ".join(str(v) for v in row)
        for row in AuditEntry.objects.values_list("actor_id", "action", "object_type", "object_id")
    )
    assert AuditEntry.objects.filter(action="staff.duress").exists()
    assert AuditEntry.objects.filter(action="staff.lockout").exists()
    for secret in (
        "olga.ivanova",
        "ruslan.k",
        "unknown.person",
        "new.person",
        TEST_PASSPHRASE,
        "a wrong passphrase",
        "plum orchard",
        "203.0.113.77",
        "CanaryAgent",
    ):
        assert secret not in written
    # The alert e-mails, sent by the worker (never from the login request), say nothing but "new activity".
    assert not [m for m in mail.outbox if m.subject == "New activity"]
    alerts_email.call()
    alerts = [m for m in mail.outbox if m.subject == "New activity"]
    assert alerts
    for message in alerts:
        assert "ruslan" not in message.body
        assert "duress" not in (message.subject + message.body).lower()


# What a person's browser and the network in between tell the server, each distinctive enough to find.
TRACES: dict[str, Any] = {
    "REMOTE_ADDR": "203.0.113.77",
    "HTTP_USER_AGENT": "CanaryBrowser/9.9 (X11; Linux x86_64; rv:128.0) Gecko/20100101 CanaryFox/9.9",
    "HTTP_X_FORWARDED_FOR": "198.51.100.23, 192.0.2.44",
    "HTTP_X_REAL_IP": "192.0.2.61",
    "HTTP_FORWARDED": "for=192.0.2.62;proto=https",
    "HTTP_REFERER": "https://referrer-canary.example/search?q=how+to+escape",
    "HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9,x-canarylang;q=0.1",
}
TRACE_STRINGS = [
    "203.0.113.77",
    "CanaryBrowser",
    "CanaryFox",
    "198.51.100.23",
    "192.0.2.44",
    "192.0.2.61",
    "192.0.2.62",
    "referrer-canary",
    "how+to+escape",
    "x-canarylang",
    "2001:db8::77:c0de",
]


@contextmanager
def _every_logger(handler: logging.Handler) -> Iterator[None]:
    """Every logger at DEBUG and heard by the handler, including those that do not propagate to the root."""
    loggers = [logging.getLogger()] + [
        found for found in logging.Logger.manager.loggerDict.values() if isinstance(found, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    attached = []
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if not logger.propagate and handler not in logger.handlers:
            logger.addHandler(handler)
            attached.append(logger)
    try:
        yield
    finally:
        for logger in attached:
            logger.removeHandler(handler)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


@contextmanager
def _console_to(stream: StringIO) -> Iterator[None]:
    """What Ferry's own log handlers (the console handler, with its filters and format) write, into the stream.

    They hold the stderr of the moment logging was configured, which pytest's capfd cannot see."""
    handlers = {
        handler
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        if type(handler) is logging.StreamHandler
    }
    assert handlers, "Ferry logs to the console"
    saved = {handler: handler.setStream(stream) for handler in handlers}
    try:
        yield
    finally:
        for handler, original in saved.items():
            handler.setStream(original)


def test_intake_keeps_no_address_browser_or_cookie(make_staff: Any, caplog: Any, capfd: Any, tmp_path: Path) -> None:
    """P4: a person writes in, opens the mailbox, writes again, checks in and leaves; neither the database
    (every query and a full copy of it and the data folder) nor any log output holds their address, browser,
    referrer or language, and no answer of the intake sets a cookie."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ferry.intake.models import CheckIn, Message, Request
    from tests.intake.helpers import BOX_RE, CODE_RE, TOKEN_RE, box_post, jpeg_with_gps, open_data, request_data
    from tests.test_seizure import _dump, text_forms

    make_staff("administrator")
    make_staff("coordinator")
    caplog.set_level(logging.DEBUG)
    person = Client(**TRACES)
    other = Client(**{**TRACES, "REMOTE_ADDR": "2001:db8::77:c0de"})
    answers = []

    def answer(response: Any) -> str:
        answers.append(response)
        return str(response.content.decode())

    message = "Thank you. I am still at my aunt's, please write soon."
    console = StringIO()
    with _every_logger(caplog.handler), _console_to(console), CaptureQueriesContext(connection) as queries:
        front = answer(person.get("/?lang=en"))
        token = TOKEN_RE.search(front)
        assert token is not None
        data = {**request_data(), "form_token": token.group(1), "want_duress": "on", "files": [jpeg_with_gps()]}
        receipt = answer(person.post("/send?lang=en", data))
        codes = CODE_RE.findall(receipt)
        assert len(codes) == 2, receipt[:3000]
        code, duress_code = codes
        data.pop("files")
        answers.append(person.post("/send?lang=en", data))
        assert answers[-1].status_code == 409  # the same form again
        answer(person.post("/send?lang=en", {**request_data(story=""), "form_token": token.group(1)}))
        answer(other.get("/"))
        answer(other.post("/open?lang=en", open_data(other, "9" * 24)))
        answer(other.post("/open?lang=en", open_data(other, "not a code")))
        opened = answer(person.post("/open?lang=en", open_data(person, code)))
        box = BOX_RE.search(opened)
        assert box is not None
        answer(box_post(person, "/box?lang=en", box.group(1)))
        sent = answer(box_post(person, "/box/send?lang=en", box.group(1), {"text": message}))
        assert "Your message was sent." in sent
        assert "We know you are safe now" in answer(box_post(person, "/box/safe?lang=en", box.group(1)))
        answer(box_post(person, "/box/close?lang=en", box.group(1)))
        assert "Your mailbox was closed" in answer(box_post(person, "/box?lang=en", box.group(1)))
        fake = BOX_RE.search(answer(other.post("/open?lang=en", open_data(other, duress_code))))
        assert fake is not None
        answer(box_post(other, "/box/safe?lang=en", fake.group(1)))
        answer(box_post(other, "/box/close", fake.group(1)))
    assert Request.objects.count() == 1
    assert Message.objects.filter(sender="requester").count() == 1
    assert CheckIn.objects.count() == 3  # safe; duress on opening and on "I am safe" under duress

    # No cookie, ever: not on any answer, and the browsers hold none.
    for response in answers:
        assert not response.cookies, response.request["PATH_INFO"]
        assert not response.has_header("Set-Cookie")
    assert not person.cookies
    assert not other.cookies

    # Logs (the records, what the console handler wrote, anything else on stdout and stderr) and every query.
    out, err = capfd.readouterr()
    records = [repr(record.__dict__) for record in caplog.records]
    logged = "\n".join([caplog.text, console.getvalue(), out, err, *records, *(q["sql"] for q in queries)])
    assert queries.captured_queries, "the queries were captured"
    assert "Bad Request: /send" in console.getvalue(), "the console handler's output was captured"
    for trace in TRACE_STRINGS:
        assert trace not in logged, trace

    # A full copy of the database and the data folder.
    leaks = []
    for path in _dump(tmp_path):
        blob = path.read_bytes()
        leaks += [f"{trace} in {path.name}" for trace in TRACE_STRINGS if any(f in blob for f in text_forms(trace))]
    assert leaks == []


@pytest.mark.parametrize(
    "level",
    [
        "configured",
        "debug",
    ],
)
def test_logs_hold_no_receipt_code_or_mailbox_key(make_staff: Any, caplog: Any, capfd: Any, level: str) -> None:
    """The codes a person is given and the key their mailbox page carries never reach a log: at the levels
    Ferry's logging is configured with, and (the same promise, stricter) with every logger at DEBUG."""
    from tests.intake.helpers import STORY, box_post, open_box, submit

    make_staff("administrator")
    make_staff("coordinator")
    person = Client()
    message = "Still here, the phone is off, please write soon."
    console = StringIO()
    with _every_logger(caplog.handler) if level == "debug" else nullcontext(), _console_to(console):
        _response, code, duress_code = submit(person, duress=True)
        assert code is not None
        assert duress_code is not None
        _page, box = open_box(person, code)
        assert box is not None
        box_post(person, "/box/send?lang=en", box, {"text": message})
        box_post(person, "/box/safe?lang=en", box)
        box_post(person, "/box/close", box)
    out, err = capfd.readouterr()
    logged = "\n".join([caplog.text, console.getvalue(), out, err, *(repr(r.__dict__) for r in caplog.records)])
    client_key = box.partition(".")[2]
    for name, value in (
        ("receipt code", code),
        ("receipt code", code.replace(" ", "")),
        ("duress code", duress_code.replace(" ", "")),
        ("mailbox key", client_key),
        ("story", STORY),
        ("message", message),
    ):
        assert value not in logged, name
