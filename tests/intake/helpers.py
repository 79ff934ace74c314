"""Driving the public intake through its pages, as a person with a browser would."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from django.test import Client
from PIL import Image

TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
CODE_RE = re.compile(r'<p class="secret code"[^>]*>([\d ]+)</p>')
BOX_RE = re.compile(r'name="box" value="([^"]+)"')

STORY = "They took my friend from the café on Lenina street; I am hiding at my aunt's."


def form_token(client: Client, lang: str = "en") -> str:
    page = client.get(f"/?lang={lang}")
    assert page.status_code == 200
    found = TOKEN_RE.search(page.content.decode())
    assert found is not None
    return found.group(1)


def request_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Artur",
        "phone": "+7 912 345 67 89",
        "handle": "@artur_safe",
        "email": "",
        "country": "RU",
        "region": "RU-CE",
        "place": "near the bus station",
        "story": STORY,
        "needs": "A safe place to stay",
        "urgency": "now",
    }
    data.update(overrides)
    return data


def submit(client: Client, *, files: list[Any] | None = None, duress: bool = False, **overrides: Any) -> Any:
    """Send the request form; returns (response, code, duress code)."""
    data = request_data(**overrides)
    data["form_token"] = form_token(client)
    if duress:
        data["want_duress"] = "on"
    if files:
        data["files"] = files
    response = client.post("/send?lang=en", data)
    codes = CODE_RE.findall(response.content.decode())
    code = codes[0] if codes else None
    duress_code = codes[1] if len(codes) > 1 else None
    return response, code, duress_code


OPEN_TOKEN_RE = re.compile(r'name="open_token" value="([^"]+)"')
# The latest token of each mailbox opened in a test: every mailbox page answers with a new one (the one it
# was sent with stops working), as a browser's form would carry it.
_LATEST_BOX: dict[str, str] = {}


def open_data(client: Client, code: str, lang: str = "en") -> dict[str, str]:
    """The code form as the front page gives it: the code and the form's single-use token."""
    page = client.get(f"/?lang={lang}")
    found = OPEN_TOKEN_RE.search(page.content.decode())
    assert found is not None
    return {"code": code, "open_token": found.group(1)}


def open_box(client: Client, code: str) -> tuple[Any, str | None]:
    response = client.post("/open?lang=en", open_data(client, code))
    found = BOX_RE.search(response.content.decode())
    return response, found.group(1) if found else None


def box_post(client: Client, path: str, box: str, data: dict[str, Any] | None = None) -> Any:
    """Post a mailbox page with the latest token of the mailbox first opened as `box`; keep the next one."""
    response = client.post(path, {**(data or {}), "box": _LATEST_BOX.get(box, box)})
    found = BOX_RE.search(response.content.decode()) if response.status_code != 302 else None
    if found:
        _LATEST_BOX[box] = found.group(1)
    return response


def jpeg_with_gps(name: str = "photo.jpg") -> BytesIO:
    """A JPEG carrying EXIF GPS coordinates, a camera model, an ICC profile and a comment."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "CANARY-CAMERA-MODEL"  # Model
    exif[0x0131] = "CANARY-SOFTWARE"
    gps = {1: "N", 2: (43.0, 18.0, 55.0), 3: "E", 4: (45.0, 41.0, 40.0)}
    exif[0x8825] = gps
    out = BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), icc_profile=b"CANARY-ICC" * 10, comment=b"CANARY-COMMENT")
    out.seek(0)
    out.name = name
    return out


def code_opens(code: str) -> Any:
    """What a receipt or duress code derives with a copy of the database: vault.requester.Opened, or None."""
    from django.db.models import Q

    from ferry.intake.models import Mailbox
    from ferry.vault import requester

    parsed = requester.code_parse(code)
    assert parsed is not None
    # A duress code finds the mailbox by its own locator.
    mailbox = Mailbox.objects.get(Q(locator=parsed.locator) | Q(duress_locator=parsed.locator))
    return requester.open_mailbox(
        code=parsed,
        kdf=mailbox.kdf,
        public_key=bytes(mailbox.public_key),
        duress_check=bytes(mailbox.duress_check),
        timeout=30,
    )


def png_of_zeros(width: int, height: int, *, alpha: bool = False, name: str = "picture.png") -> BytesIO:
    """A PNG of blank pixels written row by row: a few hundred KB on disk however many pixels it decodes to
    (the decompression bomb of issue 14 is 7,070 x 7,070), without ever holding its pixels in this process."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    channels = 4 if alpha else 3
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = bytes(1 + width * channels)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    out = BytesIO(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    out.name = name
    return out
