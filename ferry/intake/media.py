"""Cleaning what is not a picture: video and sound remuxed by ffmpeg without metadata, PDFs rewritten without
their document information and XMP. Both run bounded; what cannot be cleaned is refused, never kept as sent.

ffmpeg copies the audio and video streams as they are (no re-encoding: quick, and the picture is unchanged)
into a new container with no global, stream or chapter metadata, no data or subtitle streams (where cameras
keep GPS tracks) and no encoder tag. Its input and output are anonymous in-memory files (memfd), so the
plaintext never touches a disk. The process gets a time, CPU and memory limit."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from io import BytesIO

from django.utils.translation import gettext as _

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
PRLIMIT = shutil.which("prlimit")
TIME_LIMIT_SECONDS = 60
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024

# The container each accepted content type is written back into, with the muxer's options.
_MUXERS: dict[str, tuple[str, ...]] = {
    "video/mp4": ("-f", "mp4"),
    "video/quicktime": ("-f", "mov"),
    "audio/mp4": ("-f", "ipod"),
    "audio/mpeg": ("-f", "mp3", "-write_xing", "0", "-id3v2_version", "0"),
    "audio/ogg": ("-f", "ogg"),
    "audio/wav": ("-f", "wav"),
}


class CannotClean(Exception):
    """The file could not be cleaned; the message is for the person."""


def _memfd(name: str, data: bytes = b"") -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    if data:
        os.write(fd, data)
    return fd


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def strip_media(data: bytes, content_type: str) -> bytes:
    """The same streams in a new container with no metadata; CannotClean when ffmpeg is missing or fails."""
    muxer = _MUXERS.get(content_type)
    if muxer is None or not os.access(FFMPEG, os.X_OK):
        raise CannotClean(
            _(
                "Video and sound files cannot be cleaned of hidden data here, so they are not accepted. "
                "Send a picture or text."
            )
        )
    source, target = _memfd("in", data), _memfd("out")
    command = [
        FFMPEG,
        *("-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1"),
        *("-i", f"/dev/fd/{source}"),
        *("-map", "0:v?", "-map", "0:a?", "-dn", "-sn", "-c", "copy"),
        *("-map_metadata", "-1", "-map_metadata:s", "-1", "-map_chapters", "-1"),
        *("-fflags", "+bitexact", "-flags", "+bitexact"),
        *muxer,
        f"/dev/fd/{target}",
    ]
    if PRLIMIT:
        command = [PRLIMIT, f"--as={MEMORY_LIMIT_BYTES}", f"--cpu={TIME_LIMIT_SECONDS}", *command]
    try:
        os.set_inheritable(source, True)
        os.set_inheritable(target, True)
        done = subprocess.run(  # noqa: S603 - a fixed program and arguments; the data goes in as a file
            command,
            pass_fds=(source, target),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=TIME_LIMIT_SECONDS,
            check=False,
        )
        cleaned = _read_all(target) if done.returncode == 0 else b""
    except subprocess.TimeoutExpired:
        cleaned = b""
    finally:
        os.close(source)
        os.close(target)
    if not cleaned:
        raise CannotClean(_("The video or sound file could not be read. It may be damaged."))
    return cleaned


def strip_pdf(data: bytes) -> bytes:
    """The PDF without its document information (author, producer, dates), XMP metadata on the document or any
    object, page-piece data, or the identifier it was saved with; CannotClean when it cannot be read."""
    # Imported when first needed, with its start-up notice silenced: the web server's log stays as it was.
    logging.getLogger("pikepdf._core").setLevel(logging.WARNING)
    import pikepdf  # noqa: PLC0415

    try:
        with pikepdf.open(BytesIO(data)) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    for key in ("/Metadata", "/PieceInfo"):
                        if key in obj:
                            del obj[key]
            if "/Metadata" in pdf.Root:
                del pdf.Root["/Metadata"]
            out = BytesIO()
            # A new identifier derived from the content, not the one the author's program wrote.
            pdf.save(out, deterministic_id=True)
            return out.getvalue()
    except (pikepdf.PdfError, ValueError, RecursionError):
        raise CannotClean(_("The PDF could not be read. It may be damaged.")) from None
