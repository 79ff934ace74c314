"""A log filter that keeps request details (client address, headers, paths with tokens) out of logs."""

from __future__ import annotations

import logging


class ScrubRequestFilter(logging.Filter):
    """Drops the request object Django attaches to error records, so no handler can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        return True


class ServerPathFilter(logging.Filter):
    """The web server's own lines ("Exception while serving /staff/...") would name the path, which can hold a
    one-time token or a case reference: the path is dropped, the rest of the line kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if " while serving " in message:
            record.msg = message.split(" while serving ", 1)[0] + " while serving a request"
            record.args = ()
        return True
