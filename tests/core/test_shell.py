"""The page shell: deny by default, security headers, both languages, clear error pages."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_staff_pages_require_login() -> None:
    response = Client().get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/accounts/login/")


def test_security_headers() -> None:
    response = Client().get("/staff/accounts/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"


def test_tls_turns_on_hsts_and_secure_cookies(settings) -> None:
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.CSRF_COOKIE_SECURE = True
    response = Client().get("/staff/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=63072000")
    assert response.cookies["csrftoken"]["secure"]


def test_language_switch_without_cookie() -> None:
    client = Client()
    english = client.get("/staff/accounts/login/")
    russian = client.get("/staff/accounts/login/?lang=ru")
    assert "Sign in" in english.content.decode()
    assert "Вход" in russian.content.decode()
    assert '<html lang="ru">' in russian.content.decode()
    assert "django_language" not in russian.cookies
    assert "ferry_session" not in russian.cookies


def test_accept_language_is_honoured() -> None:
    response = Client().get("/staff/accounts/login/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    assert '<html lang="ru">' in response.content.decode()


def test_unknown_page_is_a_plain_translated_404() -> None:
    response = Client().get("/staff/accounts/nothing-here/?lang=ru")
    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()
