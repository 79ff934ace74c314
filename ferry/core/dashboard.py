"""The staff dashboard, assembled from the parts the apps register: core names none of them.

Each app's AppConfig.ready() registers a function of the request that returns a Part (or None when it has
nothing to show); the dashboard renders the parts in their order. Someone gone silent comes first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from ferry.core.hooks import Hook

DASHBOARD_PARTS = Hook("dashboard_parts")

# Where the parts go: urgent ones above the greeting, then alerts, then set-up warnings.
URGENT, GREETING, ALERTS, WARNINGS = 10, 20, 30, 40


@dataclass(frozen=True)
class Part:
    order: int
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def parts_render(request: HttpRequest) -> list[SafeString]:
    parts = [part for part in DASHBOARD_PARTS.send(request=request) if part is not None]
    parts.append(Part(GREETING, "core/dashboard_greeting.html"))
    parts.sort(key=lambda part: part.order)
    return [SafeString(render_to_string(p.template, p.context, request=request)) for p in parts]
