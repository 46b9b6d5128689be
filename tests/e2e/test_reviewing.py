"""Reading and reviewing in the browser: history, comparing two picked versions, moving between
changes by keyboard, reverting, and an axe-core check of every page in light and dark mode."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from wiki.store import Author

from .conftest import PHONE, SCREENSHOTS, WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page

AUTHORS = [
    Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society"),
    Author(name="Pat Second", email="editor2@example.org", username="editor2", group="private-sector"),
    Author(name="Rev Iewer", email="reviewer@example.org", username="reviewer", group="technical-academic"),
]


def versions_of_a_page(live: LiveWiki) -> list[str]:
    """Save four versions of Roadmap, each changing paragraphs far apart (several changes per diff)."""
    store = live.app.extensions["wiki_store"]
    paragraphs = [f"Paragraph {n} of the roadmap, with enough words to read." for n in range(1, 31)]
    texts = []
    for version in range(4):
        if version:
            paragraphs[2] = f"Paragraph 3, as revised in round {version}."
            paragraphs[27] = f"Paragraph 28, shortened in round {version}."
        texts.append("# Roadmap\n\n" + "\n\n".join(paragraphs) + "\n")
        author = AUTHORS[version % len(AUTHORS)]
        store.save_page("Roadmap", texts[-1], base=store.head(), author=author, summary=f"Round {version}")
    return texts


def test_history_compare_two_versions_keyboard_changes_and_revert(live: LiveWiki, page: Page) -> None:
    texts = versions_of_a_page(live)
    login(page, live.url)
    page.goto(f"{live.url}/Roadmap/-/history")
    older = page.locator('input[name="from"]')
    newer = page.locator('input[name="to"]')
    expect(newer.nth(0)).to_be_checked()  # the obvious default: the last change
    expect(older.nth(1)).to_be_checked()
    expect(older.nth(0)).to_be_hidden()  # nothing is newer than the newest version
    assert_accessible(page)
    screenshot(page, "history")

    older.nth(3).check()  # the first version ...
    newer.nth(1).check()  # ... against the one before last
    expect(newer.nth(3)).to_be_hidden()
    expect(page.locator("table.history tbody tr.in-range")).to_have_count(3)
    page.get_by_role("button", name="Compare selected versions").first.click()
    page.wait_for_url("**/Roadmap/-/diff?**")
    assert "from=" in page.url and "to=" in page.url
    expect(page.locator(".rendered-diff ins").first).to_be_visible()  # formatted first
    page.locator("a[href*='view=inline']").first.click()  # the Markdown source, one click away
    expect(page.locator(".diff-hunk")).to_have_count(2)
    expect(page.locator("tr.diff-added").first).to_contain_text("Paragraph 3, as revised in round 2.")
    expect(page.get_by_text("Keys:")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "diff")

    page.keyboard.press("n")
    expect(page.locator("#change-1")).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator("#change-2")).to_be_focused()
    page.keyboard.press("n")  # no change after the last one: focus stays
    expect(page.locator("#change-2")).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator("#change-1")).to_be_focused()
    page.get_by_role("link", name="Next change ↓").click()
    assert page.url.endswith("#change-2")

    page.get_by_role("link", name="Side by side").click()
    expect(page.locator("table.diff-split")).to_have_count(2)
    assert_accessible(page)
    screenshot(page, "diff-split")

    page.goto(f"{live.url}/Roadmap/-/history")
    page.locator("table.history tbody tr").nth(3).get_by_role("button", name="revert to this").click()
    page.wait_for_url(f"{live.url}/Roadmap")
    expect(page.get_by_text("Restored the version")).to_be_visible()
    store = live.app.extensions["wiki_store"]
    assert store.read_page("Roadmap").text == texts[0]
    assert len(store.page_history("Roadmap")) == 5
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe(live: LiveWiki, new_context: Callable[..., BrowserContext], scheme: str) -> None:
    versions_of_a_page(live)
    live.app.extensions["wiki_store"].save_attachment(
        "Home", "chart.png", b"\x89PNG\r\n\x1a\n" + bytes(40),
        author=Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society"))
    page = watched_page(new_context(viewport=WIDE, color_scheme=scheme))
    anonymous = {
        "login": "/-/login",
        "view": "/Home",
        "view-old": "/Roadmap?rev=" + live.app.extensions["wiki_store"].page_history("Roadmap")[-1].id,
        "pages": "/-/pages",
        "document": "/-/document",
        "history": "/Roadmap/-/history",
        "diff": "/Roadmap/-/diff",
        "diff-split": "/Roadmap/-/diff?view=split",
        "diff-inline": "/Roadmap/-/diff?view=inline",
        "missing": "/Not_written_yet",
        "error": "/Home/-/no-such-action",
        "search": "/-/search?q=cyber*",
        "search-none": "/-/search?q=zzzz",
        "wanted": "/-/wanted",
        "backlinks": "/Mapping/Cybersecurity/-/backlinks",
        "attachments": "/Home/-/attachments",
        "attachment-history": "/Home/-/attachments/chart.png/history",
    }
    for name, path in anonymous.items():
        page.goto(live.url + path)
        assert_accessible(page)
        if scheme == "dark" and name in {"view", "diff"}:
            screenshot(page, f"{name}-dark")
    login(page, live.url)
    editor = {
        "edit": "/Mapping/Cybersecurity/-/edit",
        "new-page-editor": "/Brand_new/-/edit",
        "new": "/-/new",
        "account": "/-/account",
        "rename": "/Mandate/-/rename",
        "delete": "/Mandate/-/delete",
        "missing-as-editor": "/Not_written_yet",
        "attachments-editor": "/Home/-/attachments",
    }
    for name, path in editor.items():
        page.goto(live.url + path)
        if name.endswith("edit"):
            expect(page.locator(".editor-preview[data-preview-state=ready]")).to_be_attached()
        assert_accessible(page)
        if name in {"edit", "account", "new"} and scheme == "light":
            screenshot(page, name)
        if name == "edit" and scheme == "dark":
            screenshot(page, "edit-dark")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_reading_on_a_phone_and_printing(live: LiveWiki, new_context: Callable[..., BrowserContext]) -> None:
    page = watched_page(new_context(viewport=PHONE))
    page.goto(f"{live.url}/Questionnaire/Role_of_stakeholders")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    screenshot(page, "view")
    page.goto(f"{live.url}/-/pages")
    screenshot(page, "pages")
    page.emulate_media(media="print")
    page.goto(f"{live.url}/Questionnaire/Role_of_stakeholders")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".page-actions")).to_be_hidden()
    expect(page.locator(".page-body")).to_be_visible()
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "print-view.png"), full_page=True)


def test_keyboard_alone_logs_in_edits_and_saves(live: LiveWiki, page: Page) -> None:
    page.goto(f"{live.url}/-/login?next=/Mandate/-/edit")
    expect(page.get_by_label("User name")).to_be_focused()  # autofocus, before typing (slow machines)
    page.keyboard.type("editor")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/Mandate/-/edit")
    toolbar_first = page.get_by_role("button", name="Heading")
    toolbar_first.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("button", name="Bold")).to_be_focused()
    page.keyboard.press("Tab")  # one tab stop for the whole toolbar: next is the text
    expect(page.get_by_label("Page text (Markdown)")).to_be_focused()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nTyped by keyboard only.")
    expect(page.locator(".editor-preview[data-preview-state=ready]")).to_be_attached()
    expect(page.locator(".editor-preview")).to_contain_text("Typed by keyboard only.")
    summary = page.get_by_label("Edit summary")
    for _ in range(30):  # past the preview's links (the preview is readable by keyboard too)
        page.keyboard.press("Tab")
        if summary.evaluate("element => element === document.activeElement"):
            break
    expect(page.get_by_label("Edit summary")).to_be_focused()
    page.keyboard.type("Keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/Mandate")
    expect(page.locator(".page-body")).to_contain_text("Typed by keyboard only.")
