"""Fuzzing the public endpoints: whatever arrives, the answer is a page or a clear error, never a server error.

The anonymous intake is fuzzed too, and there a refusal must also store nothing: no request, mailbox, key set,
attachment or encrypted file appears unless the person got a receipt page."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from ferry.intake.forms import form_token_new
from tests.intake.helpers import CODE_RE, open_box, request_data, submit

pytestmark = pytest.mark.django_db

PUBLIC_FORMS = [
    ("/staff/accounts/login/", ["email", "passphrase"]),
    ("/staff/accounts/login/code/", ["code"]),
    ("/staff/accounts/recover/", ["email", "recovery_code", "passphrase", "confirm"]),
    ("/staff/accounts/setup/not-a-token/", ["email", "display_name", "passphrase", "confirm"]),
    ("/staff/accounts/invitation/not-a-token/", ["display_name", "passphrase", "confirm"]),
]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=3000)


@FUZZ
@given(index=st.integers(0, len(PUBLIC_FORMS) - 1), values=st.lists(text, min_size=4, max_size=4), extra=text)
def test_public_forms_never_fail(index: int, values: list[str], extra: str, insecure_fast_kdf: None) -> None:
    path, fields = PUBLIC_FORMS[index]
    data: dict[str, Any] = dict(zip(fields, values, strict=False))
    data[extra[:40] or "x"] = extra
    response = Client().post(path, data)
    assert response.status_code < 500
    assert b"Traceback" not in response.content


@FUZZ
@given(
    body=st.binary(max_size=4000),
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
)
def test_raw_bodies_never_fail(body: bytes, content_type: str) -> None:
    for path in ("/staff/accounts/login/", "/staff/accounts/login/key/", "/staff/accounts/login/key/options/"):
        response = Client().post(path, data=body, content_type=content_type)
        assert response.status_code < 500


@FUZZ
@given(
    query=st.dictionaries(text.filter(bool), text, max_size=4),
    path=st.sampled_from(["/healthz", "/staff/accounts/login/"]),
)
def test_query_strings_never_fail(query: dict[str, str], path: str) -> None:
    response = Client().get(path, query)
    # /healthz answers 503 on purpose here: no worker runs in this test.
    assert response.status_code < 500 or (path == "/healthz" and response.status_code == 503)


def test_missing_csrf_token_is_a_plain_translated_page() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/staff/accounts/login/?lang=ru", {"email": "a@example.org", "passphrase": "x"})
    assert response.status_code == 403
    assert "Срок действия формы истёк" in response.content.decode()


def test_oversized_post_is_refused_cleanly() -> None:
    response = Client().post("/staff/accounts/login/", {"email": "a@example.org", "passphrase": "x" * 3_000_000})
    assert response.status_code == 400


# --- the anonymous intake ---------------------------------------------------------------------------------

# Every intake answer renders a full page (~0.15 s here), so fewer examples; derandomized, so every run is the same.
INTAKE_FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
REQUEST_FIELDS = ["name", "phone", "handle", "email", "country", "region", "place", "story", "needs", "urgency"]
RESERVED_FIELDS = {*REQUEST_FIELDS, "form_token", "want_duress", "files"}


def _image(fmt: str) -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 6), (10, 200, 30)).save(out, format=fmt)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG header that claims a huge picture and carries no pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))


MAGICS = [
    b"",
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"%PDF-",
    b"RIFF\x00\x10\x00\x00WEBP",
    b"RIFF\x00\x10\x00\x00WAVE",
    b"\x00\x00\x00\x18ftypisom",
    b"\x00\x00\x00\x18ftypheic",
    b"OggS",
    b"ID3",
    b"\xef\xbb\xbf<svg",
]
WHOLE_FILES = [_image("JPEG"), _image("PNG"), _image("GIF"), _image("WEBP"), _png_claiming(60_000, 60_000)]
file_bytes = st.one_of(
    st.builds(lambda magic, rest: magic + rest, st.sampled_from(MAGICS), st.binary(max_size=3000)),
    st.sampled_from(WHOLE_FILES),
    st.builds(lambda whole, cut: whole[:cut], st.sampled_from(WHOLE_FILES), st.integers(0, 400)),
    st.builds(lambda size: b"a" * size, st.sampled_from([1, 4096, 4097, 9000])),
    text.map(str.encode),
)
uploads = st.lists(
    st.builds(
        lambda name, content: SimpleUploadedFile(name, content, content_type="application/octet-stream"),
        # Any name a browser could send (the test client sends only what follows the last slash).
        st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=150).map(
            lambda name: name.replace("/", "\u2215") if name not in {"", ".", ".."} else "file"
        ),
        file_bytes,
    ),
    max_size=3,
)
field_value = st.one_of(
    text,
    st.builds(lambda a, b: a + "\x00" + b, text, text),
    st.builds(lambda ch, n: ch * n, st.characters(blacklist_categories=["Cs"]), st.sampled_from([501, 5_001, 20_001])),
    st.sampled_from(["", " ", "+7 912 345 67 89", "RU", "RU-CE", "DE", "now", "later", "a@example.org", "@x"]),
)


def _named_file(name: str) -> SimpleUploadedFile:
    """The files the explicit examples name (an example's arguments are built once, files are read once)."""
    content = {"jpeg": WHOLE_FILES[0], "bomb": WHOLE_FILES[-1], "text": "Привет, I am here.\n".encode()}[name]
    return SimpleUploadedFile(f"{name}.bin", content, content_type="application/octet-stream")


def _stored_files() -> int:
    """Sealed files on disk, and those waiting in the database for their day's batch."""
    from ferry.vault.models import PendingFile

    return sum(1 for _ in (django_settings.DATA_DIR / "files").rglob("*.bin")) + PendingFile.objects.count()


def _stored() -> dict[str, int]:
    """Everything a request leaves behind, counted."""
    from ferry.intake.models import Attachment, CheckIn, FormNonce, Mailbox, MailboxSession, Message, Request
    from ferry.vault.models import FileKey, Grant, KeySet

    models: dict[str, Any] = {
        "requests": Request,
        "mailboxes": Mailbox,
        "nonces": FormNonce,
        "key_sets": KeySet,
        "grants": Grant,
        "attachments": Attachment,
        "file_keys": FileKey,
        "messages": Message,
        "checkins": CheckIn,
        "sessions": MailboxSession,
    }
    counts = {name: model.objects.count() for name, model in models.items()}
    counts["files"] = _stored_files()
    return counts


def _growth(before: dict[str, int]) -> dict[str, int]:
    after = _stored()
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


def _answered_cleanly(response: Any) -> None:
    event(f"{response.request['PATH_INFO']} {response.status_code}")  # see --hypothesis-show-statistics
    assert response.status_code < 500, response.status_code
    assert b"Traceback" not in response.content
    assert b'File "/' not in response.content
    assert not response.cookies, "the intake sets no cookie"


def _submitted(growth: dict[str, int]) -> None:
    """One request with its mailbox, its key set and one encrypted file per attachment; nothing else."""
    attachments = growth.get("attachments", 0)
    assert growth.get("requests") == 1
    assert growth.get("mailboxes") == 1
    assert growth.get("nonces") == 1
    assert growth.get("key_sets") == 2  # the request's own compartment and the conversation
    assert growth.get("file_keys", 0) == attachments
    assert growth.get("files", 0) == attachments
    assert not {"messages", "checkins", "sessions"} & set(growth)


@pytest.fixture
def intake(make_staff: Any, settings: Any) -> dict[str, str]:
    """A hotline with a coordinator, one real request whose mailbox is open, and small limits to hit."""
    settings.FERRY_INTAKE_HOURLY_CAP = 0  # no cap: a 503 "too many requests" page is a deliberate answer
    settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE = 1_000_000
    settings.FERRY_UPLOAD_MAX_FILE_BYTES = 4096
    settings.FERRY_UPLOAD_MAX_TOTAL_BYTES = 8192
    make_staff("administrator")
    make_staff("coordinator")
    client = Client()
    response, code, _duress = submit(client)
    assert response.status_code == 200
    assert code is not None
    _page, box = open_box(client, code)
    assert box is not None
    return {"code": code, "box": box}


@INTAKE_FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(REQUEST_FIELDS), field_value, max_size=3),
    extra=st.dictionaries(text.filter(lambda name: name and name not in RESERVED_FIELDS), text, max_size=2),
    files=uploads,
    token=st.sampled_from(["fresh", "fresh", "fresh", "reused", "forged", "missing"]),
    duress=st.booleans(),
    lang=st.sampled_from(["en", "ru", "xx", ""]),
)
@example(changes={}, extra={}, files=[], token="fresh", duress=True, lang="en")
@example(changes={"name": "nul\x00byte"}, extra={}, files=[], token="fresh", duress=False, lang="ru")
@example(changes={"story": "x" * 20_001}, extra={}, files=[], token="fresh", duress=False, lang="en")
@example(changes={}, extra={}, files=["jpeg", "text"], token="fresh", duress=False, lang="en")
@example(changes={}, extra={}, files=["jpeg", "bomb"], token="fresh", duress=False, lang="en")
@example(changes={}, extra={}, files=["text"], token="reused", duress=False, lang="en")
def test_intake_form_never_fails_and_stores_all_or_nothing(
    intake: dict[str, str],
    *,
    changes: dict[str, str],
    extra: dict[str, str],
    files: list[Any],
    token: str,
    duress: bool,
    lang: str,
) -> None:
    files = [_named_file(f) if isinstance(f, str) else f for f in files]
    client = Client()
    data: dict[str, Any] = {**extra, **request_data(**changes)}
    if token == "reused":
        data["form_token"] = intake.setdefault("used_token", form_token_new())
    elif token != "missing":
        data["form_token"] = form_token_new() + ("x" if token == "forged" else "")
    if duress:
        data["want_duress"] = "on"
    if files:
        data["files"] = files
    before = _stored()
    response = client.post(f"/send?lang={lang}", data)
    _answered_cleanly(response)
    growth = _growth(before)
    if response.status_code == 200:
        assert len(CODE_RE.findall(response.content.decode())) == (2 if duress else 1)
        _submitted(growth)
    else:
        assert growth == {}, f"a refused form ({response.status_code}) left {growth}"


def _multipart(parts: list[tuple[bytes, bytes | None, bytes]], cut: int | None) -> bytes:
    body = b""
    for name, filename, content in parts:
        disposition = b'form-data; name="' + name + b'"'
        if filename is not None:
            disposition += b'; filename="' + filename + b'"'
        body += b"--FuZzBoUnDaRy\r\nContent-Disposition: " + disposition + b"\r\n\r\n" + content + b"\r\n"
    body += b"--FuZzBoUnDaRy--\r\n"
    return body if cut is None else body[:cut]


raw_name = st.one_of(st.sampled_from([*(f.encode() for f in REQUEST_FIELDS), b"form_token", b"files"]), st.binary())


@INTAKE_FUZZ
@given(
    form=st.lists(st.tuples(raw_name, st.binary(max_size=300)), max_size=6),
    parts=st.lists(st.tuples(raw_name, st.none() | st.binary(max_size=40), st.binary(max_size=2000)), max_size=4),
    cut=st.none() | st.integers(0, 3000),
    shape=st.sampled_from(["urlencoded", "multipart", "multipart-no-boundary", "json", "raw"]),
    with_token=st.booleans(),
    path=st.sampled_from(["/send", "/open", "/box", "/box/send", "/box/safe", "/box/close"]),
)
def test_intake_raw_bodies_never_fail(
    intake: dict[str, str],
    *,
    form: list[tuple[bytes, bytes]],
    parts: list[tuple[bytes, bytes | None, bytes]],
    cut: int | None,
    shape: str,
    with_token: bool,
    path: str,
) -> None:
    """Bodies no browser would send: invalid UTF-8, broken multipart, wrong content types."""
    client = Client()
    token = form_token_new().encode() if with_token else b""
    valid = [(k.encode(), str(v).encode()) for k, v in request_data().items()]
    if shape == "urlencoded":
        pairs = [(b"form_token", token), *valid, *form] if with_token else form
        body, content_type = b"&".join(k + b"=" + v for k, v in pairs), "application/x-www-form-urlencoded"
    elif shape.startswith("multipart"):
        fields = [(b"form_token", None, token), *((k, None, v) for k, v in valid)] if with_token else []
        body = _multipart([*fields, *parts], cut)
        content_type = "multipart/form-data" + ("" if shape.endswith("no-boundary") else "; boundary=FuZzBoUnDaRy")
    else:
        body = b"".join(v for _k, v in form)
        content_type = "application/json" if shape == "json" else "text/plain; charset=utf-8"
    before = _stored()
    response = client.post(path, data=body, content_type=content_type)
    _answered_cleanly(response)
    growth = _growth(before)
    if path == "/send" and response.status_code == 200:
        _submitted(growth)
    else:
        assert growth == {}, f"{path} answered {response.status_code} and left {growth}"


digit = st.characters(whitelist_categories=["Nd", "No"])
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@INTAKE_FUZZ
@given(
    code=st.one_of(
        text,
        st.text(alphabet=digit, min_size=20, max_size=28),
        st.text(alphabet=st.sampled_from("0123456789 -.\u00a0\t"), max_size=40),
        st.text(alphabet=st.sampled_from("0123456789"), min_size=18, max_size=18).map(lambda s: "REAL" + s),
    ),
)
@example(code="THECODE")
@example(code="THECODE".join(["\u00a0", "\t"]))
@example(code="ARABIC")
def test_intake_codes_never_fail(intake: dict[str, str], code: str) -> None:
    """Random codes, codes in other scripts' digits, wrong codes for the real mailbox's locator, the real code."""
    real = intake["code"].replace(" ", "")
    code = code.replace("THECODE", intake["code"]).replace("ARABIC", real.translate(ARABIC_INDIC))
    code = code.replace("REAL", real[:6])
    before = _stored()
    response = Client().post("/open?lang=en", {"code": code})
    _answered_cleanly(response)
    assert response.status_code in (200, 400, 429)
    growth = _growth(before)
    if response.status_code == 200:
        assert growth == {"sessions": 1}
        assert "Your mailbox" in response.content.decode()
    else:
        assert growth == {}, growth


@INTAKE_FUZZ
@given(
    token=st.one_of(
        text,
        st.sampled_from(["", ".", "..", "REAL", "REAL.", ".REALKEY", "REAL.x", "REAL.REALKEY.x", "REAL.REALKEY"]),
        st.builds(lambda a, b: f"{a}.{b}", text, text),
    ),
    path=st.sampled_from(["/box", "/box/send", "/box/safe", "/box/close"]),
    message=field_value,
    files=uploads,
)
@example(token="REAL.REALKEY", path="/box/send", message="Still here.", files=["text", "jpeg"])
@example(token="REAL.REALKEY", path="/box/send", message="nul\x00byte", files=[])
@example(token="REAL.REALKEY", path="/box/send", message="Hello", files=["bomb"])
@example(token="REAL.REALKEY", path="/box/safe", message="", files=[])
@example(token="REAL.REALKEY", path="/box", message="", files=[])
@example(token="nul\x00.byte", path="/box", message="", files=[])
@example(token="nul\x00.byte", path="/box/close", message="", files=[])
def test_intake_mailbox_tokens_never_fail(
    intake: dict[str, str], token: str, path: str, message: str, files: list[Any]
) -> None:
    """Random mailbox tokens, and near misses of the open mailbox's own token, on every mailbox page."""
    files = [_named_file(f) if isinstance(f, str) else f for f in files]
    session_id, _dot, client_key = intake["box"].partition(".")
    if path == "/box/close" and "REAL" in token:
        token = token.replace("REAL", "0" * 32)  # closing the real mailbox would end the fuzzing of it
    token = token.replace("REALKEY", client_key).replace("REAL", session_id)
    data: dict[str, Any] = {"box": token, "text": message}
    if files:
        data["files"] = files
    before = _stored()
    response = Client().post(f"{path}?lang=en", data)
    _answered_cleanly(response)
    growth = _growth(before)
    if token != intake["box"] or response.status_code != 200 or path not in ("/box/send", "/box/safe"):
        assert growth == {}, growth
    elif path == "/box/safe":
        assert growth == {"checkins": 1}
    else:
        attachments = growth.pop("attachments", 0)
        assert growth.pop("file_keys", 0) == attachments
        assert growth.pop("files", 0) == attachments
        assert growth == {"messages": 1}
