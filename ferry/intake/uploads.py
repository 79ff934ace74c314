"""Attachments from the intake: type decided by content, never by name; images re-encoded without metadata.

An image is decoded, in a child process with memory and time limits (ferry.core.imaging), and its pixels
alone are written into a new file, so EXIF (GPS, camera, time), XMP, ICC profiles and comments are gone before
anything is encrypted. Video and sound are remuxed without metadata and PDFs rewritten without it
(intake.media); plain text is kept as sent. The form says what is cleaned and what is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ferry.core import imaging
from ferry.intake import media


class Refused(Exception):
    """The file is not accepted; the message is for the person, in their language."""


@dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    data: bytes
    kind: str  # image, pdf, audio, video, text
    stripped: bool


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis", b"mif2"}


def _mp4_kind(data: bytes) -> tuple[str, str] | None:
    """An ISO media file by its brands: a HEIF picture (HEIC, AVIF) claims a video brand first at times, and
    names itself among its compatible brands: refused whichever brand it puts first."""
    size = int.from_bytes(data[:4], "big")
    brand = data[8:12]
    compatible = data[16 : min(max(size, 16), 4096)]
    brands = {brand} | {compatible[i : i + 4] for i in range(0, len(compatible) - 3, 4)}
    if brands & _HEIF_BRANDS:
        return None
    if brand.startswith(b"M4A") or brand == b"M4B ":
        return "audio", "audio/mp4"
    if brand == b"qt  ":
        return "video", "video/quicktime"
    return "video", "video/mp4"


_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image", "image/png"),
    (b"GIF87a", "image", "image/gif"),
    (b"GIF89a", "image", "image/gif"),
    (b"%PDF-", "pdf", "application/pdf"),
    (b"OggS", "audio", "audio/ogg"),
    (b"ID3", "audio", "audio/mpeg"),
)
_RIFF = {b"WEBP": ("image", "image/webp"), b"WAVE": ("audio", "audio/wav")}


def _text_kind(data: bytes) -> tuple[str, str] | None:
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    # Markup would render if anyone ever opened it in a browser: refuse it, whatever the file's name.
    if lowered.startswith("<") or any(tag in lowered for tag in ("<script", "<html", "<svg")):
        return None
    return "text", "text/plain"


def sniff(data: bytes) -> tuple[str, str] | None:
    """(kind, content type) from the first bytes, or None when the content is not an accepted type."""
    head = data[:16]
    for magic, kind, content_type in _SIGNATURES:
        if head.startswith(magic):
            return kind, content_type
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio", "audio/mpeg"
    if head[4:8] == b"ftyp":
        return _mp4_kind(data)
    return _text_kind(data)


def strip_image(data: bytes) -> tuple[bytes, str]:
    """The image's pixels in a fresh file of the same kind (GIF becomes PNG), decoded in a bounded child
    process (ferry.core.imaging); raise Refused, with a message for the person, when it cannot be."""
    try:
        return imaging.image_clean(data)
    except imaging.ImageRefused as refused:
        raise Refused(_REFUSALS.get(refused.reason, _REFUSALS["unreadable"])()) from None


_REFUSALS = {
    "pixels": lambda: (
        _("The picture has too many pixels (more than %(mp)s million). Send a smaller copy.")
        % {"mp": imaging.MAX_PIXELS // 1_000_000}
    ),
    "unreadable": lambda: _("The picture could not be read. It may be damaged."),
    "limits": lambda: _("The picture needs too much memory or time to clean. Send a smaller copy."),
    "busy": lambda: _("Too many pictures are being cleaned right now. Send again in a minute."),
}


def clean_upload(name: str, data: bytes) -> CleanFile:
    """Accept or refuse one uploaded file; images come back without metadata."""
    if not data:
        raise Refused(_("The file is empty."))
    found = sniff(data)
    if found is None:
        raise Refused(
            _(
                "This kind of file is not accepted. Send pictures (JPEG, PNG, WebP, GIF), PDF, audio, video or "
                "plain text. iPhone photos in HEIC format: choose JPEG or “Most compatible”."
            )
        )
    kind, content_type = found
    stripped = False
    if kind == "image":
        data, content_type = strip_image(data)
        stripped = True
    elif kind in {"video", "audio", "pdf"}:
        try:
            data = media.strip_pdf(data) if kind == "pdf" else media.strip_media(data, content_type)
        except media.CannotClean as exc:
            raise Refused(str(exc)) from None
        stripped = True
    safe_name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\"')[:120] or "file"
    return CleanFile(name=safe_name, content_type=content_type, data=data, kind=kind, stripped=stripped)
