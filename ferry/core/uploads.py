"""Uploads stay in memory, within limits: plaintext never reaches a temporary file on disk.

A file over the per-file limit, or one that would take the request over the total, is skipped (its
bytes are read and dropped) and its name is noted on the request, so the form can say what was refused.
Files past FERRY_UPLOAD_MAX_FILES are skipped and counted the same way: a browser lets a person pick eleven
files, and refusing them must not lose what was typed beside them (Django's own count limit,
DATA_UPLOAD_MAX_NUMBER_FILES, answers with a bare 400 and drops the whole form, so it sits far above this one).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


def refused_uploads(request: Any) -> list[str]:
    """Names of the files the handler skipped for size in this request."""
    return list(getattr(request, "_ferry_refused_uploads", []))


def uploads_sent(request: Any) -> int:
    """How many files the request carried, those skipped for their number included."""
    return int(getattr(request, "_ferry_uploads_sent", 0))


class BoundedMemoryUploadHandler(FileUploadHandler):
    def max_file_bytes(self) -> int:
        return int(settings.FERRY_UPLOAD_MAX_FILE_BYTES)

    def max_total_bytes(self) -> int:
        return int(settings.FERRY_UPLOAD_MAX_TOTAL_BYTES)

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.total = 0
        self.buffer: BytesIO | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()
        if self.request is not None:
            sent = uploads_sent(self.request) + 1
            self.request._ferry_uploads_sent = sent  # type: ignore[attr-defined]
            if sent > settings.FERRY_UPLOAD_MAX_FILES:
                raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        assert self.buffer is not None  # noqa: S101 - new_file always runs first
        if start + len(raw_data) > self.max_file_bytes() or self.total + len(raw_data) > self.max_total_bytes():
            if self.request is not None:
                refused = getattr(self.request, "_ferry_refused_uploads", [])
                refused.append(str(self.file_name or ""))
                self.request._ferry_refused_uploads = refused  # type: ignore[attr-defined]
            self.buffer = BytesIO()
            raise SkipFile
        self.buffer.write(raw_data)
        self.total += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        assert self.buffer is not None  # noqa: S101
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
