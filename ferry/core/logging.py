"""A log filter that keeps request details (client address, headers, paths with tokens) out of logs."""

from __future__ import annotations

import logging


class ScrubRequestFilter(logging.Filter):
    """Drops the request object Django attaches to error records, so no handler can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        return True
