"""Tokens and the API reference in the browser (issue 16): a user makes a write token, copies it
from the page, a program uses it, the user revokes it; the tokens pages and /-/api pass axe-core
in English and Arabic."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from playwright.sync_api import Page, expect

from .conftest import LiveWiki, assert_accessible, login, screenshot


def api(wiki: LiveWiki, path: str, token: str, body: dict | None = None) -> int:
    request = urllib.request.Request(f"{wiki.url}/-/api/v1{path}", method="PUT" if body else "GET",
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        error.close()  # it holds the connection's socket file
        return error.code


def test_make_use_and_revoke_a_token(live: LiveWiki, page: Page) -> None:
    login(page, live.url, "editor")
    page.goto(f"{live.url}/-/account")
    page.get_by_role("link", name="Access tokens for the API and Git").click()
    assert_accessible(page)
    page.get_by_label("Name").fill("Publishing script")
    page.get_by_label("write: also change what your role allows (edit, endorse, push)").check()
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("Token", exact=True).input_value()
    assert token.startswith("lwt_") and "/-/account/tokens" in page.url and token not in page.url
    assert_accessible(page)
    screenshot(page, "api_token_created")
    assert api(live, "/pages/Api_page", token, {"text": "# Written by a script\n"}) == 201
    page.goto(f"{live.url}/-/account/tokens")
    expect(page.locator("#token-secret")).to_have_count(0)
    expect(page.locator("table.tokens")).to_contain_text("Publishing script")
    page.get_by_role("button", name="revoke Publishing script").first.click()
    expect(page.locator(".flash")).to_contain_text("revoked")
    assert api(live, "/pages/Api_page", token) == 401
    page.context.add_cookies([{"name": "lang", "value": "ar", "url": live.url}])
    page.goto(f"{live.url}/-/account/tokens")
    assert_accessible(page)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_the_reference_and_the_admin_page_are_accessible(live: LiveWiki, page: Page) -> None:
    for language in ("ar", "en"):
        page.context.add_cookies([{"name": "lang", "value": language, "url": live.url}])
        page.goto(f"{live.url}/-/api")
        expect(page.locator("#op-save_page")).to_be_visible()
        assert_accessible(page)
    screenshot(page, "api_reference")
    login(page, live.url, "admin")
    page.goto(f"{live.url}/-/admin/tokens")
    assert_accessible(page)
    assert page.console_errors == []  # type: ignore[attr-defined]
