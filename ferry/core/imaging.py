"""Pictures decoded in a child process with memory, CPU and time limits: a picture that decodes to too many pixels,
or is built to exhaust memory or time, costs that child, never the web worker or the pages it serves.

The child (this file run as a script, with nothing of the project imported) reads the picture on stdin, refuses
it by its header when it has more than the pixel budget, decodes it, and writes the pixels alone into a new file
of the same kind (GIF becomes PNG): no EXIF (GPS, camera, time), XMP, ICC profile or comment survives.
A web process runs at most DECODERS children at once; a picture waiting longer than the time limit for one
is refused, so a burst of uploads queues here instead of multiplying memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

MAX_PIXELS = 24_000_000  # 6000 x 4000: what phone cameras make; a 7,070 x 7,070 PNG (49 M pixels) is refused
MEMORY_BYTES = 512 * 1024 * 1024  # the child's address space, interpreter and libraries included (24 M RGBA pixels fit)
SECONDS = 20  # wall-clock time for one picture, waiting for a decoder slot included
DECODERS = 2  # children one web process runs at once

_EXIT_PIXELS, _EXIT_UNREADABLE = 3, 4
_SLOTS = threading.BoundedSemaphore(DECODERS)


class ImageRefused(Exception):
    """The picture is refused: reason is "pixels" (over the budget), "unreadable" (damaged or not a picture),
    "limits" (the decoder ran out of memory or time) or "busy" (no decoder free in time)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    max_pixels: int = MAX_PIXELS
    memory_bytes: int = MEMORY_BYTES
    seconds: float = SECONDS


def image_clean(data: bytes, limits: Limits | None = None) -> tuple[bytes, str]:
    """The picture's pixels in a fresh file, and its content type; raises ImageRefused."""
    limits = limits or Limits()
    if not _SLOTS.acquire(timeout=limits.seconds):
        raise ImageRefused("busy")
    try:
        command = [
            sys.executable,
            "-I",  # isolated: no environment variables, no user site, not the project's modules
            str(Path(__file__)),
            str(limits.max_pixels),
            str(limits.memory_bytes),
            str(max(1, int(limits.seconds))),
        ]
        try:
            # The command is this interpreter and this file: no shell, nothing from the request in it.
            done = subprocess.run(  # noqa: S603
                command, input=data, capture_output=True, timeout=limits.seconds, check=False, env={}
            )
        except subprocess.TimeoutExpired:
            raise ImageRefused("limits") from None
    finally:
        _SLOTS.release()
    if done.returncode == _EXIT_PIXELS:
        raise ImageRefused("pixels")
    if done.returncode == _EXIT_UNREADABLE:
        raise ImageRefused("unreadable")
    head, _newline, body = done.stdout.partition(b"\n")
    if done.returncode != 0 or not head.startswith(b"image/") or not body:
        # Killed by its memory or CPU limit (MemoryError, SIGKILL, SIGXCPU), or died some other way.
        raise ImageRefused("limits")
    return body, head.decode("ascii")


# --- the child --------------------------------------------------------------------------------------------

_OUTPUT = {"JPEG": ("JPEG", "image/jpeg"), "PNG": ("PNG", "image/png"), "WEBP": ("WEBP", "image/webp")}


def _child(max_pixels: int, memory_bytes: int, cpu_seconds: int) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # it writes no file
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import warnings  # noqa: PLC0415 - after the limits: everything the child does is within them
    from io import BytesIO  # noqa: PLC0415

    from PIL import Image, ImageOps  # noqa: PLC0415

    Image.MAX_IMAGE_PIXELS = max_pixels
    data = sys.stdin.buffer.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as opened:
                if opened.width * opened.height > max_pixels:
                    return _EXIT_PIXELS
                source_format = opened.format or ""
                opened.load()
                image = ImageOps.exif_transpose(opened)
        out_format, content_type = _OUTPUT.get(source_format, ("PNG", "image/png"))
        if image.mode in {"P", "PA"}:
            image = image.convert("RGBA")
        if out_format == "JPEG" and image.mode not in {"RGB", "L", "CMYK"}:
            image = image.convert("RGB")
        # A new image from the pixels alone: no info dict, no EXIF, no ICC profile, no XMP, no comments.
        clean = Image.new(image.mode, image.size)
        clean.paste(image)
        del image
        out = BytesIO()
        options = {"quality": 90} if out_format in {"JPEG", "WEBP"} else {}
        clean.save(out, format=out_format, **options)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _EXIT_PIXELS
    except (OSError, SyntaxError, ValueError, EOFError):
        return _EXIT_UNREADABLE
    sys.stdout.buffer.write(content_type.encode() + b"\n" + out.getvalue())
    return 0


if __name__ == "__main__":
    os.umask(0o077)
    sys.exit(_child(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
