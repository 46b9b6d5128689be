"""Issue 29 in Chromium: the header reaches every site page on phone and desktop; an admin creates a
user on /-/admin/users who logs in through the password-set link; names and dates keep their order
in an Arabic byline; the comment form opened by a selection leaves the passage in view."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from wiki.store import Author

from .conftest import PHONE, WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page

OMAR = Author(name="omar", email="omar@example.org", username="editor", group="civil-society")
HEADER = {"Recent changes": "/-/changes", "Proposals": "/-/proposals", "Awaiting my group": "/-/awaiting",
          "Comments": "/-/comments", "Endorsements": "/-/endorsements", "Named versions": "/-/versions",
          "Import": "/-/import"}
ADMIN_MENU = {"Users": "/-/admin/users", "Access tokens": "/-/admin/tokens", "Webhooks": "/-/admin/webhooks",
              "Status": "/-/admin/status"}


def select(page: Page, text: str) -> None:
    """Select ``text`` inside the page's paragraphs as a reader would with the mouse."""
    page.evaluate("""(wanted) => {
        const walker = document.createTreeWalker(document.querySelector('.passages'), NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const at = walker.currentNode.data.indexOf(wanted);
            if (at >= 0) {
                const range = document.createRange();
                range.setStart(walker.currentNode, at);
                range.setEnd(walker.currentNode, at + wanted.length);
                document.getSelection().removeAllRanges();
                document.getSelection().addRange(range);
                return;
            }
        }
        throw new Error('text not found: ' + wanted);
    }""", text)
    page.locator(".passages").dispatch_event("mouseup")


@pytest.mark.parametrize("size", [PHONE, WIDE], ids=["phone", "wide"])
def test_the_header_reaches_every_site_page(live: LiveWiki, new_context: Callable[..., BrowserContext],
                                            size: dict[str, int]) -> None:
    page = watched_page(new_context(viewport=size))
    login(page, live.url, "admin")
    for name, path in HEADER.items():
        page.get_by_role("navigation", name="Site").get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(f"{live.url}{path}")
        assert page.locator("h1").first.is_visible()
    nav = page.get_by_role("navigation", name="Site")
    for name, path in ADMIN_MENU.items():
        nav.get_by_text("Administration").click()
        nav.get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(f"{live.url}{path}")
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert not page.console_errors
    editor = watched_page(new_context(viewport=size))
    login(editor, live.url, "editor")
    expect(editor.get_by_role("navigation", name="Site").get_by_text("Administration")).to_have_count(0)
    expect(editor.get_by_role("link", name="Import", exact=True)).to_be_visible()


def test_admin_creates_a_user_who_logs_in_with_the_link(live: LiveWiki, page: Page,
                                                         new_context: Callable[..., BrowserContext]) -> None:
    login(page, live.url, "admin")
    page.goto(f"{live.url}/-/admin/users")
    page.get_by_label("User name", exact=False).last.fill("delegate")
    page.get_by_label("Display name").last.fill("دينا المندوبة")
    page.get_by_label("E-mail").fill("dina@example.org")
    page.get_by_label("Group", exact=True).select_option("secretariat")
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_role("button", name="Create user").click()
    link = page.locator("#password-link").input_value()
    assert "/-/set-password/" in link
    assert_accessible(page)
    screenshot(page, "admin-users")

    newcomer = watched_page(new_context(viewport=PHONE))
    newcomer.goto(link)
    newcomer.get_by_label("New password", exact=True).fill("delegate's own password")
    newcomer.get_by_label("New password again").fill("delegate's own password")
    assert_accessible(newcomer)
    newcomer.get_by_role("button", name="Set password").click()
    newcomer.wait_for_url(f"{live.url}/-/login")
    newcomer.get_by_label("User name").fill("delegate")
    newcomer.get_by_label("Password").fill("delegate's own password")
    newcomer.get_by_role("button", name="Log in").click()
    newcomer.wait_for_url(f"{live.url}/")
    expect(newcomer.get_by_role("link", name="دينا المندوبة")).to_be_visible()
    assert not newcomer.console_errors and not page.console_errors

    page.goto(f"{live.url}/-/admin/users?lang=ar")
    page.context.add_cookies([{"name": "lang", "value": "ar", "url": live.url}])
    page.goto(f"{live.url}/-/admin/users")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert_accessible(page)
    screenshot(page, "admin-users-ar")


def test_an_arabic_byline_isolates_names_and_dates(live: LiveWiki, new_context: Callable[..., BrowserContext]
                                                  ) -> None:
    store = live.app.extensions["wiki_store"]
    store.save_page("Gaps", "# Gaps\n\nText.\n", base=store.head(), author=OMAR, summary="First")
    page = watched_page(new_context(viewport=WIDE))
    page.context.add_cookies([{"name": "lang", "value": "ar", "url": live.url}])
    page.goto(f"{live.url}/Gaps")
    byline = page.locator(".page-meta")
    assert byline.locator("bdi").all_inner_texts()[1] == "omar"
    assert "/" in byline.locator("bdi").first.inner_text() or any(ch.isdigit() for ch in byline.inner_text())
    assert_accessible(page)
    screenshot(page, "byline-ar")


def test_the_selection_form_takes_half_the_window_and_leaves_the_passage_in_view(
        live: LiveWiki, new_context: Callable[..., BrowserContext]) -> None:
    store = live.app.extensions["wiki_store"]
    paragraphs = "\n\n".join(f"Paragraph {n} says something worth discussing at length." for n in range(1, 25))
    store.save_page("Long", f"# Long\n\n{paragraphs}\n", base=store.head(), author=OMAR, summary="Long")
    page = watched_page(new_context(viewport={"width": 1366, "height": 900}))
    login(page, live.url)
    page.goto(f"{live.url}/Long")
    margin_link = page.locator(".comment-here").first
    assert margin_link.evaluate("a => getComputedStyle(a).opacity") == "0"  # not in every margin
    page.locator(".passage").first.hover()
    assert margin_link.evaluate("a => getComputedStyle(a).opacity") == "1"
    page.locator(".passage").nth(12).scroll_into_view_if_needed()
    select(page, "Paragraph 14 says")
    panel = page.locator("#comment-on-selection")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box and box["height"] <= 450
    passage = page.evaluate("() => document.getSelection().getRangeAt(0).getBoundingClientRect().bottom")
    assert passage <= box["y"]
    expect(panel.get_by_role("heading")).to_be_in_viewport()
    page.screenshot(path="tests/screenshots/comment-selection-viewport.png")


@pytest.mark.parametrize("language", ["en", "ar", "zh"])
def test_the_rendered_diff_marks_the_change(live: LiveWiki, new_context: Callable[..., BrowserContext],
                                           language: str) -> None:
    store = live.app.extensions["wiki_store"]
    store.save_page("Gaps", "# Gaps\n\n| Group | View |\n|---|---|\n| Civil society | Support |\n\n"
                    "The free flow of information is essential.\n", base=store.head(), author=OMAR, summary="v1")
    store.save_page("Gaps", "# Gaps\n\n| Group | View |\n|---|---|\n| Civil society | Objection |\n\n"
                    "The free flow of data is essential.\n", base=store.head(), author=OMAR, summary="v2")
    page = watched_page(new_context(viewport=WIDE))
    page.context.add_cookies([{"name": "lang", "value": language, "url": live.url}])
    page.goto(f"{live.url}/Gaps/-/diff")  # formatted by default, the Markdown source one click away
    expect(page.locator("a[href*='view=inline']").first).to_be_visible()
    body = page.locator(".rendered-diff")
    expect(body.locator("table td del")).to_have_text("Support")
    expect(body.locator("table td ins")).to_have_text("Objection")
    expect(body.locator("p del")).to_have_text("information")
    expect(body.locator("p ins")).to_have_text("data")
    expect(body.locator("h1")).to_have_text("Gaps")
    assert_accessible(page)
    assert not page.console_errors
    screenshot(page, f"rendered-diff-{language}")
