"""A security key (Chromium's virtual authenticator) is registered on the security page and signs in."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ferry.accounts.models import SecurityKey
from ferry.audit.models import AuditEntry
from tests.conftest import TEST_PASSPHRASE
from tests.e2e.steps import code_step, passphrase_step

pytestmark = pytest.mark.django_db(transaction=True)


def test_security_key_registers_and_replaces_the_code(page: Page, live_server: Any, make_staff: Any) -> None:
    member = make_staff("caseworker")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    base = live_server.url
    passphrase_step(page, base, member.staff.email, TEST_PASSPHRASE)
    expect(page.get_by_role("button", name="Use a security key instead")).to_have_count(0)
    code_step(page, member.totp_secret)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    page.get_by_role("link", name="Security").click()
    page.get_by_label("Name of the new key").fill("Blue key")
    page.get_by_role("button", name="Add a security key").click()
    expect(page.get_by_text("Blue key")).to_be_visible()
    assert SecurityKey.objects.filter(staff=member.staff, name="Blue key").count() == 1

    page.get_by_role("button", name="Sign out", exact=True).click()
    passphrase_step(page, base, member.staff.email, TEST_PASSPHRASE)
    page.get_by_role("button", name="Use a security key instead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    key = SecurityKey.objects.get(staff=member.staff)
    assert key.last_used_at is not None
    assert AuditEntry.objects.filter(action="staff.security_key_add", actor_id=member.staff.pk).exists()


def test_without_javascript_the_code_still_works(browser: Any, live_server: Any, make_staff: Any) -> None:
    member = make_staff("caseworker")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    passphrase_step(page, live_server.url, member.staff.email, TEST_PASSPHRASE)
    code_step(page, member.totp_secret)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_text("Adding a security key needs JavaScript")).to_be_visible()
    context.close()
