"""Every staff page that takes no address argument can be found: following links from the dashboard, each
person reaches every such page their roles open (the menu, or a page the menu leads to)."""

from __future__ import annotations

import re
from collections import deque
from typing import Any

import pytest
from django.test import Client

from ferry.core.permissions import SIGNED_IN, declared_roles
from tests.cases.conftest import staff_client
from tests.test_doors import STAFF_PREFIX, routes

pytestmark = pytest.mark.django_db
HREF_RE = re.compile(r'href="(/[^"#?]*)')


def _pages_for(role: str, client: Client) -> set[str]:
    """The role's pages with no argument in their address that answer a plain GET (not actions, not JSON)."""
    found = set()
    for route in routes():
        roles = declared_roles(route.callback)
        if route.kwargs or not route.route.startswith(STAFF_PREFIX) or roles is None:
            continue
        if role not in roles and SIGNED_IN not in roles:
            continue
        url = "/" + route.route
        if client.get(url).status_code == 200:
            found.add(url)
    return found


def reached(client: Client, avoid: frozenset[str] = frozenset()) -> set[str]:
    """Every staff address reached by following links from the dashboard (links with arguments included),
    never opening the pages in `avoid`."""
    start = f"/{STAFF_PREFIX}"
    seen, queue = {start, *avoid}, deque([start])
    while queue:
        response = client.get(queue.popleft())
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        for href in HREF_RE.findall(response.content.decode()):
            if href.startswith(f"/{STAFF_PREFIX}") and href not in seen:
                seen.add(href)
                queue.append(href)
    return seen - avoid


@pytest.mark.parametrize("role", ["administrator", "coordinator", "caseworker", "auditor", "documenter"])
def test_every_page_without_arguments_is_linked_for_whoever_may_open_it(make_staff: Any, role: str) -> None:
    # Given someone with one role, signed in
    client = staff_client(make_staff(role))
    # When they follow every link from the dashboard
    found = reached(client)
    # Then every page their role opens is among them
    assert sorted(_pages_for(role, client) - found) == []


def test_the_walk_sees_a_page_nobody_links_to(make_staff: Any) -> None:
    """The check can fail: a page left out of every link is missing from what the walk reaches."""
    client = staff_client(make_staff("administrator"))
    pages = _pages_for("administrator", client)
    assert "/staff/accounts/escrow/recover/" in pages
    # (the recovery page is linked only from the escrow page)
    hidden = reached(client, avoid=frozenset({"/staff/accounts/escrow/"}))
    assert "/staff/accounts/escrow/recover/" in pages - hidden
