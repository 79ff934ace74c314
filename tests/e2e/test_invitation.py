"""Done when (staff and vault): an administrator invites a caseworker, who enrols in Russian and signs in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, expect

from tests.accounts.helpers import code_for, next_window
from tests.conftest import TEST_PASSPHRASE
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSPHRASE = "янтарный маяк тихий луг 2024"


def test_admin_invites_and_caseworker_enrols_in_russian(browser: Browser, live_server: Any, make_staff: Any) -> None:
    admin = make_staff("administrator")
    base = live_server.url

    office = browser.new_page()
    sign_in(office, base, admin.staff.email, TEST_PASSPHRASE, admin.totp_secret)
    office.get_by_role("link", name="Staff", exact=True).click()
    office.get_by_label("E-mail address").fill("lev@example.org")
    office.get_by_label("Caseworker").check()
    office.get_by_role("button", name="Send invitation").click()
    expect(office.get_by_text("The invitation was e-mailed.", exact=False)).to_be_visible()
    link = re.search(r"http://\S+/invitation/[\w-]+/", mail.outbox[-1].body).group(0)  # type: ignore[union-attr]

    context = browser.new_context(locale="ru-RU")
    phone = context.new_page()
    phone.goto(link)
    expect(phone.locator("html")).to_have_attribute("lang", "ru")
    phone.get_by_label("Имя, которое видят коллеги").fill("Лев")
    phone.get_by_label("Парольная фраза", exact=True).fill(NEW_PASSPHRASE)
    phone.get_by_label("Парольная фраза ещё раз").fill(NEW_PASSPHRASE)
    phone.get_by_role("button", name="Продолжить").click()
    secret = phone.get_by_test_id("totp-secret").inner_text()
    with next_window():
        phone.get_by_label("Шестизначный код из приложения-аутентификатора").fill(code_for(secret.replace(" ", "")))
        phone.get_by_role("button", name="Продолжить").click()
    expect(phone.get_by_test_id("recovery-code")).to_be_visible()
    phone.get_by_label(re.compile("код восстановления")).check()
    phone.get_by_role("button", name="Завершить").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Обзор")
    expect(phone.get_by_text("Вы вошли как Лев.")).to_be_visible()

    phone.get_by_role("button", name="Выйти", exact=True).click()
    phone.get_by_label("Адрес электронной почты").fill("lev@example.org")
    phone.get_by_label("Парольная фраза").fill(NEW_PASSPHRASE)
    phone.get_by_role("button", name="Продолжить").click()
    with next_window():
        phone.get_by_label("Шестизначный код из приложения-аутентификатора").fill(code_for(secret.replace(" ", "")))
        phone.get_by_role("button", name="Вход").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Обзор")
    context.close()
