"""The set-up link creates the first administrator (passphrase, authenticator, recovery code), then the dashboard."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ferry.accounts.models import Staff
from ferry.accounts.services import setup_token_issue
from ferry.vault.models import EscrowKey
from tests.accounts.helpers import code_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_setup_link_creates_first_administrator(page: Page, live_server: Any, insecure_fast_kdf: None) -> None:
    token = setup_token_issue()
    assert token
    page.goto(f"{live_server.url}/staff/accounts/setup/{token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create the first administrator")

    page.get_by_label("E-mail address").fill("admin@example.org")
    page.get_by_label("Name shown to colleagues").fill("Masha")
    page.get_by_label("Passphrase", exact=True).fill("short")
    page.get_by_label("Passphrase again").fill("short")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Use at least 12 characters.")).to_be_visible()

    page.get_by_label("Passphrase", exact=True).fill("violet harbour compass lantern 1917")
    page.get_by_label("Passphrase again").fill("violet harbour compass lantern 1917")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Connect an authenticator app")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label(re.compile("Six-digit code")).fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That code did not work")).to_be_visible()
    page.wait_for_timeout(1200)  # a failed code throttles the next try for a second
    page.get_by_label(re.compile("Six-digit code")).fill(code_for(secret.replace(" ", "")))
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery code")
    code = page.get_by_test_id("recovery-code").inner_text()
    assert re.fullmatch(r"([A-Z2-9]{5}-){5}[A-Z2-9]{5}", code)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    page.get_by_label(re.compile("I have written the recovery code down")).check()
    page.get_by_role("button", name="Finish").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_text("Signed in as Masha.")).to_be_visible()
    admin = Staff.objects.get(email="admin@example.org")
    assert admin.is_active
    assert admin.has_role("administrator")
    assert EscrowKey.objects.filter(custodian=admin).exists()

    # The link worked once.
    page.goto(f"{live_server.url}/staff/accounts/setup/{token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
