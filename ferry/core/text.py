"""Text shown to staff that someone else typed: without the controls that reorder what is shown around it.

A right-to-left override in a name can make "cod.exe" look like "exe.doc", or turn a line of the queue
around; Unicode's bidirectional controls have no place in a name, a message or a note."""

from __future__ import annotations

import re
from typing import Any

# Embeddings, overrides, isolates, and the invisible marks (LRM, RLM, ALM).
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def without_bidi(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def without_bidi_in(value: Any) -> Any:
    """The same for every string in a (nested) dict or list, as decrypted details come."""
    if isinstance(value, str):
        return without_bidi(value)
    if isinstance(value, dict):
        return {key: without_bidi_in(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_bidi_in(item) for item in value]
    return value


def decimal_number(text: str, *, most_digits: int = 18) -> int | None:
    """The whole number written in ASCII digits, or None. str.isdigit() alone lets through digits int() refuses
    ("²", "①"), so an address or a cell holding one would fail with a server error; "-1", "1e3", "" and numbers
    longer than `most_digits` (beyond the database's integers) are no numbers here either."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= most_digits else None
