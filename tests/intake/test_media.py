"""Metadata in other media: video and audio remuxed without it, PDFs without author and producer, HEIC
refused whatever brand it claims first. Real files, made here (video and audio with ffmpeg, which CI installs)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ferry.intake import media
from ferry.intake.models import Request
from ferry.intake.uploads import Refused, clean_upload
from tests.cases.conftest import staff_client
from tests.intake.helpers import submit

pytestmark = pytest.mark.django_db

GPS = "+43.3183+045.6981/"
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None and not os.environ.get("CI"), reason="ffmpeg is not installed (CI installs it)"
)


def _ffmpeg(tmp_path: Path, name: str, *args: str) -> bytes:
    out = tmp_path / name
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, str(out)],
        check=True,
        timeout=60,
    )
    return out.read_bytes()


def _video_with_gps(tmp_path: Path) -> bytes:
    """A second of video and sound, with a GPS location, a title and a stream title, as a phone writes them."""
    return _ffmpeg(
        tmp_path,
        "clip.mp4",
        *("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"),
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=1"),
        *("-c:v", "mpeg4", "-c:a", "aac", "-shortest"),
        *("-metadata", f"location={GPS}", "-metadata", "title=CANARY-TITLE", "-metadata", "artist=CANARY-ARTIST"),
        *("-metadata:s:v:0", "handler_name=CANARY-HANDLER", "-movflags", "use_metadata_tags"),
    )


def _probe(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "probe.bin"
    path.write_bytes(data)
    return subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


@needs_ffmpeg
def test_a_video_loses_its_gps_and_tags_and_still_plays(tmp_path: Path) -> None:
    # Given an MP4 whose GPS atom and tags ffprobe reads
    video = _video_with_gps(tmp_path)
    assert GPS.encode() in video
    assert "location=" in _probe(video, tmp_path) or GPS in _probe(video, tmp_path)

    # When it is cleaned
    cleaned = clean_upload("clip.mp4", video)

    # Then no trace of the location or the tags is left, the streams are still there, and it says so
    for canary in (GPS.encode(), b"CANARY", b"\xa9xyz"):
        assert canary not in cleaned.data
    probed = _probe(cleaned.data, tmp_path)
    assert "codec_type=video" in probed
    assert "codec_type=audio" in probed
    assert "CANARY" not in probed
    assert cleaned.stripped
    assert cleaned.kind == "video"


@needs_ffmpeg
@pytest.mark.parametrize(("name", "extra"), [("song.mp3", ()), ("voice.ogg", ("-c:a", "libvorbis")), ("note.wav", ())])
def test_audio_loses_its_tags(tmp_path: Path, name: str, extra: tuple[str, ...]) -> None:
    audio = _ffmpeg(
        tmp_path,
        name,
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=1", *extra),
        *("-metadata", "artist=CANARY-ARTIST", "-metadata", "comment=CANARY-COMMENT"),
    )
    assert b"CANARY" in audio
    cleaned = clean_upload(name, audio)
    assert b"CANARY" not in cleaned.data
    assert b"Lavf" not in cleaned.data
    assert "codec_type=audio" in _probe(cleaned.data, tmp_path)
    assert cleaned.stripped


def test_without_ffmpeg_video_and_audio_are_refused_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "FFMPEG", "/nonexistent/ffmpeg")
    with pytest.raises(Refused, match="Video and sound"):
        clean_upload("clip.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64)


def test_a_damaged_video_is_refused(tmp_path: Path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    with pytest.raises(Refused):
        clean_upload("clip.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x13" * 4000)


def test_heic_under_another_major_brand_is_refused_as_heic() -> None:
    # A HEIC photo whose major brand says isom, with heic among its compatible brands (issue 14: it was
    # accepted as a video, with its Exif)
    heic = b"\x00\x00\x00\x1cftypisom\x00\x00\x00\x00mif1heicmiaf" + b"\x00\x00\x00\x08Exif" + b"\x00" * 100
    with pytest.raises(Refused, match="HEIC"):
        clean_upload("IMG_0001.mp4", heic)


def _pdf_with_author() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = ["CANARY-XMP-CREATOR"]
        meta["xmp:CreatorTool"] = "CANARY-XMP-TOOL"
    # After the XMP (closing it writes its values over the document information)
    pdf.docinfo["/Author"] = "CANARY-AUTHOR"
    pdf.docinfo["/Producer"] = "CANARY-PRODUCER"
    pdf.docinfo["/Creator"] = "CANARY-CREATOR"
    pdf.docinfo["/CreationDate"] = "D:20200101120000Z"
    out = BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_pdf_loses_author_producer_dates_and_xmp() -> None:
    original = _pdf_with_author()
    assert b"CANARY-PRODUCER" in original
    assert b"CANARY-XMP-TOOL" in original
    cleaned = clean_upload("statement.pdf", original)
    assert b"CANARY" not in cleaned.data
    assert b"D:2020" not in cleaned.data
    with pikepdf.open(BytesIO(cleaned.data)) as pdf:
        assert len(pdf.pages) == 1
        assert "/Metadata" not in pdf.Root
        assert not dict(pdf.docinfo)
    assert cleaned.stripped


def test_a_broken_pdf_is_refused() -> None:
    with pytest.raises(Refused):
        clean_upload("statement.pdf", b"%PDF-1.7\n" + b"\x13" * 500)


def test_the_form_says_what_is_cleaned_location_first(client: Client, hotline: dict[str, Any]) -> None:
    page = client.get("/?lang=en").content.decode()
    said = re.search(r'<p class="hint" id="files-cleaning">(.*?)</p>', page, re.S)
    assert said is not None
    text = said.group(1)
    assert text.index("location") < text.index("PDF")
    assert "not" in text  # and what is not cleaned


def test_the_hotline_downloads_the_cleaned_pdf(client: Client, hotline: dict[str, Any]) -> None:
    upload = SimpleUploadedFile("statement.pdf", _pdf_with_author(), content_type="application/pdf")
    response, code, _ = submit(client, files=[upload])
    assert code is not None, response.content.decode()[:500]
    request = Request.objects.get()
    coordinator = staff_client(hotline["coordinator"])
    page = coordinator.get(f"/staff/intake/{request.reference}/").content.decode()
    link = re.search(r'href="(/staff/intake/[^"]+/files/[^"]+/)"', page)
    assert link is not None
    assert b"CANARY" not in coordinator.get(link.group(1)).content
    assert "hidden data removed" in page
