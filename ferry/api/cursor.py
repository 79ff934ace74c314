"""Opaque cursors over a list in a fixed order: the cursor is the sort key of the last row given, so rows
added or removed meanwhile neither repeat nor skip the others."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from ferry.core.text import decimal_number

T = TypeVar("T")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def cursor_encode(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> list[Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError({"cursor": [_("This cursor is not valid.")]}) from None
    if not isinstance(value, list):
        raise ValidationError({"cursor": [_("This cursor is not valid.")]})
    return value


def page_size(request: Request) -> int:
    raw = request.query_params.get("page_size", "")
    if not raw:
        return PAGE_SIZE
    size = decimal_number(raw)
    if size is None or not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [_("A page holds from 1 to 200 rows.")]})
    return size


def paginate(request: Request, rows: list[T], key: Callable[[T], list[Any]]) -> tuple[list[T], str | None]:
    """The page after the request's cursor among rows sorted by key, and the next page's address (or None)."""
    size = page_size(request)
    raw = request.query_params.get("cursor", "")
    if raw:
        after = cursor_decode(raw)
        try:
            rows = [row for row in rows if key(row) > after]
        except TypeError:
            raise ValidationError({"cursor": [_("This cursor is not valid.")]}) from None
    page = rows[:size]
    if len(rows) <= size:
        return page, None
    return page, replace_query_param(request.build_absolute_uri(), "cursor", cursor_encode(key(page[-1])))
