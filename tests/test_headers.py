"""Security headers on every answer (every route of the table, errors included) and cookie flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from wiki import create_app

from .conftest import PASSWORD, Auth, csrf_token, make_app
from .routes import ROUTES
from .support.matrix import call, prepare


def check_headers(response: TestResponse, where: str) -> list[str]:
    """What is wrong with ``response``'s security headers (an empty list when nothing)."""
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    for fetch_directive in ("script-src", "object-src"):  # these fall back to default-src
        if fetch_directive not in directives and directives.get("default-src") == ["'none'"]:
            directives[fetch_directive] = ["'none'"] if fetch_directive == "object-src" else ["'self'"]
    if directives.get("script-src") != ["'self'"]:
        problems.append(f"{where}: script-src is {directives.get('script-src')}, not only 'self'")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"{where}: CSP allows inline or eval'd script")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"{where}: frame-ancestors is not 'none'")
    if directives.get("object-src") != ["'none'"]:
        problems.append(f"{where}: object-src is not 'none'")
    if directives.get("base-uri") != ["'none'"]:
        problems.append(f"{where}: base-uri is not 'none'")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where}: no X-Content-Type-Options: nosniff")
    if response.headers.get("Referrer-Policy") not in {"same-origin", "no-referrer", "strict-origin"}:
        problems.append(f"{where}: Referrer-Policy is {response.headers.get('Referrer-Policy')!r}")
    if response.headers.get("X-Frame-Options") != "DENY":
        problems.append(f"{where}: no X-Frame-Options: DENY")
    if response.mimetype == "text/html" and "charset=utf-8" not in response.headers.get("Content-Type", ""):
        problems.append(f"{where}: HTML without charset=utf-8")
    return problems


@pytest.mark.parametrize("role", ["anonymous", "editor"])
def test_every_route_sends_the_security_headers(tmp_path: Path, role: str) -> None:
    app = make_app(tmp_path / "i")
    values = prepare(app)
    problems = []
    for route in ROUTES:
        client = app.test_client()
        if role != "anonymous" and not route.basic_auth:
            Auth(client).login(role)
        response = call(client, route, values, role)
        problems += check_headers(response, f"{route.id} as {role}")
        response.close()
    assert problems == []


ERRORS = [
    ("GET", "/.git/config", 400),
    ("GET", "/Home?rev=--all", 404),
    ("GET", "/Home/-/history?p=abc", 400),
    ("POST", "/Home", 405),
    ("POST", "/Home/-/edit", 400),  # no CSRF token
]


@pytest.mark.parametrize(("method", "url", "status"), ERRORS)
def test_error_answers_send_the_security_headers(app: Flask, method: str, url: str, status: int) -> None:
    client = app.test_client()
    Auth(client).login("editor")
    response = client.open(url, method=method)
    assert response.status_code == status
    assert check_headers(response, f"{method} {url}") == []


def test_too_large_and_locked_out_answers_send_the_headers(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", MAX_PAGE_BYTES=20_000, MAX_ATTACHMENT_BYTES=20_000)
    client = app.test_client()
    big = client.post("/-/login", data={"csrf_token": csrf_token(client), "username": "x" * 200_000,
                                        "password": "y"})
    assert big.status_code == 413 and check_headers(big, "413") == []
    for _ in range(10):
        Auth(client).login("editor", "wrong password")
    locked = Auth(client).login("editor")
    assert locked.status_code == 429 and check_headers(locked, "429") == []


def cookie_flags(response: TestResponse) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_secure_cookies_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`WIKI_SECURE_COOKIES=1` (read by create_app) marks the session cookie Secure and sends HSTS."""
    monkeypatch.setenv("WIKI_SECURE_COOKIES", "1")
    app = make_app(tmp_path / "i")
    client = app.test_client()
    response = Auth(client).login("editor")
    session_cookie = cookie_flags(response)["session"]
    assert "; Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "max-age" in client.get("/").headers["Strict-Transport-Security"]


@pytest.mark.parametrize("value", ["0", "false"])
def test_cookies_are_not_secure_when_the_setting_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        value: str) -> None:
    monkeypatch.setenv("WIKI_SECURE_COOKIES", value)
    app = make_app(tmp_path / "i")
    response = Auth(app.test_client()).login("editor")
    assert "Secure" not in cookie_flags(response)["session"]
    assert "Strict-Transport-Security" not in response.headers


def test_secure_cookies_from_the_instance_config(tmp_path: Path) -> None:
    instance = tmp_path / "i"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'k'\nSECURE_COOKIES = True\n")
    app = create_app({"TESTING": True, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, instance_path=str(instance))
    app.extensions["wiki_users"].create("editor", PASSWORD, group="governments")
    response = Auth(app.test_client()).login("editor")
    assert "; Secure" in cookie_flags(response)["session"]
