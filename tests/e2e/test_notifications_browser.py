"""Notifications in the browser (issue 27): a reviewer sees a new proposal in the header's unread
count, opens the inbox, marks it read, finds it on /-/awaiting with its deadline, watches a page and
changes the notification settings; every one of these pages passes axe-core in English and Arabic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, expect

from .conftest import WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page


@pytest.mark.parametrize("language", ["en", "ar"])
def test_inbox_awaiting_and_settings_in_the_browser(live: LiveWiki, new_context: Callable[..., BrowserContext],
                                                    language: str) -> None:
    editor = watched_page(new_context(viewport=WIDE))
    login(editor, live.url, "editor")
    editor.goto(f"{live.url}/-/proposals/new")
    editor.get_by_label("Title").fill("Clarify the mandate")
    deadline = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    editor.locator("#deadline").fill(deadline)
    editor.locator("#procedure-silence").check()
    assert_accessible(editor)
    editor.get_by_role("button", name="Start the proposal").click()
    expect(editor.locator(".proposal-deadline")).to_contain_text("adopted at the deadline")

    page = watched_page(new_context(viewport=WIDE))
    login(page, live.url, "reviewer")
    page.context.add_cookies([{"name": "lang", "value": language, "url": live.url}])
    page.reload()
    unread = page.locator("a.notifications-link")
    expect(unread).to_contain_text("1")
    unread.click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("li.notification.unread")).to_have_count(1)
    expect(page.locator("li.notification")).to_contain_text("Clarify the mandate")
    assert_accessible(page)
    screenshot(page, f"notifications-{language}")
    page.locator("li.notification.unread button").click()
    expect(page.locator("li.notification.unread")).to_have_count(0)
    expect(page.locator("a.notifications-link")).not_to_contain_text("1")

    page.goto(f"{live.url}/-/awaiting")
    expect(page.locator("table.proposals")).to_contain_text("Clarify the mandate")
    expect(page.locator("table.proposals time")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, f"awaiting-{language}")

    page.goto(f"{live.url}/Home")
    page.locator("form.watch-form:not(.watch-section) button").click()
    expect(page.locator("form.watch-form:not(.watch-section) button")).to_have_text("Stop watching" if language == "en"
                                                                               else "أوقف المتابعة")
    assert_accessible(page)

    page.goto(f"{live.url}/-/account#notifications")
    page.locator("#frequency-watching").select_option("weekly")
    page.locator("#autowatch").uncheck()
    assert_accessible(page)
    page.locator("#frequency-watching").evaluate("element => element.form.requestSubmit()")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#frequency-watching")).to_have_value("weekly")
    expect(page.locator("#autowatch")).not_to_be_checked()
    assert_accessible(page)
    assert page.console_errors == [] and editor.console_errors == []  # type: ignore[attr-defined]
