"""Steps several browser tests take: signing in through the English pages."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.accounts.helpers import code_for, next_window


def passphrase_step(page: Page, base: str, email: str, passphrase: str) -> None:
    page.goto(f"{base}/staff/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Passphrase").fill(passphrase)
    page.get_by_role("button", name="Continue").click()


def code_step(page: Page, totp_secret: str) -> None:
    with next_window():
        page.get_by_label("Six-digit code from your authenticator app").fill(code_for(totp_secret))
        page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, base: str, email: str, passphrase: str, totp_secret: str) -> None:
    passphrase_step(page, base, email, passphrase)
    code_step(page, totp_secret)
