"""The visual editor (issue 29) in Chromium: opening any seed page in visual mode and saving it
untouched changes nothing; bold typed with Ctrl+B is saved as **…** and nothing else in the page
changes; the mode chosen is remembered by the account (another browser opens it); axe-clean in
English and Arabic."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from wiki.store import Author

from .conftest import LiveWiki, assert_accessible, login, screenshot

SEED = Path(__file__).resolve().parents[2] / "content"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
SEED_PAGES = sorted(path.relative_to(SEED).with_suffix("").as_posix() for path in SEED.rglob("*.md"))


def open_visual(page: Page, url: str) -> None:
    page.goto(url)
    host = page.locator("[data-visual-host]")
    if not host.get_attribute("data-ready"):
        page.get_by_role("button", name="Visual").click()
    expect(host).to_have_attribute("data-ready", "1")
    expect(page.locator("#text")).to_be_hidden()


def test_every_seed_page_round_trips_untouched(live: LiveWiki, page: Page) -> None:
    assert len(SEED_PAGES) >= 10
    store = live.app.extensions["wiki_store"]
    head = store.head()
    login(page, live.url)
    for name in SEED_PAGES:
        original = store.read_page(name).text
        open_visual(page, f"{live.url}/{name}/-/edit")
        assert page.locator("#text").input_value() == original, name
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url(f"{live.url}/{name}*")
        assert store.read_page(name).text == original, name
    assert store.head() == head  # nothing was committed
    assert not page.console_errors


def test_ctrl_b_saves_bold_and_nothing_else(live: LiveWiki, page: Page) -> None:
    store = live.app.extensions["wiki_store"]
    original = store.read_page("Mandate").text
    word = next(w for w in original.split() if w.isalpha() and len(w) > 6 and original.count(w) == 1)
    login(page, live.url)
    open_visual(page, f"{live.url}/Mandate/-/edit")
    assert_accessible(page)
    page.evaluate("""(word) => {
        const root = document.querySelector('.visual-surface');
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const at = walker.currentNode.data.indexOf(word);
            if (at >= 0) {
                const range = document.createRange();
                range.setStart(walker.currentNode, at);
                range.setEnd(walker.currentNode, at + word.length);
                document.getSelection().removeAllRanges();
                document.getSelection().addRange(range);
                return;
            }
        }
        throw new Error('not found: ' + word);
    }""", word)
    page.keyboard.press("Control+b")
    expect(page.locator(".visual-surface strong", has_text=word)).to_be_visible()
    expected = original.replace(word, f"**{word}**", 1)
    expect(page.locator("#text")).to_have_value(expected)
    screenshot(page, "visual-editor")
    page.get_by_label("Edit summary").fill("Bold one word")
    page.keyboard.press("Control+s")
    page.wait_for_url(f"{live.url}/Mandate*")
    assert store.read_page("Mandate").text == expected
    assert not page.console_errors


@pytest.mark.parametrize("language", ["ar", "zh"])
def test_visual_mode_is_remembered_and_reads_in_other_languages(live: LiveWiki, page: Page, language: str,
                                                                  new_context: Callable[..., BrowserContext]) -> None:
    login(page, live.url)
    page.context.add_cookies([{"name": "lang", "value": language, "url": live.url}])
    page.goto(f"{live.url}/Mandate/-/edit")
    with page.expect_response(f"{live.url}/-/account/editor-mode") as answer:
        page.locator("[data-mode=visual]").click()
    assert answer.value.status == 204
    expect(page.locator("[data-visual-host]")).to_have_attribute("data-ready", "1")
    assert live.app.extensions["wiki_users"].require("editor").editor_mode == "visual"
    other = new_context().new_page()  # another browser (nothing in its storage): the account's choice
    login(other, live.url)
    other.goto(f"{live.url}/Mandate/-/edit")
    expect(other.locator("[data-visual-host]")).to_have_attribute("data-ready", "1")
    page.reload()
    expect(page.locator("[data-visual-host]")).to_have_attribute("data-ready", "1")  # the choice is kept
    expect(page.locator("[data-mode=visual]")).to_have_attribute("aria-pressed", "true")
    assert_accessible(page)
    screenshot(page, f"visual-editor-{language}")
    page.locator("[data-mode=markdown]").click()
    expect(page.locator("#text")).to_be_visible()
    assert not page.console_errors


def test_a_table_edited_in_visual_mode_saves_as_a_markdown_table(live: LiveWiki, page: Page) -> None:
    store = live.app.extensions["wiki_store"]
    original = store.read_page("Mandate").text
    lines = original.split("\n")
    first, last = lines.index("| Year | Step |"), max(i for i, line in enumerate(lines) if line.startswith("| 2012"))
    login(page, live.url)
    open_visual(page, f"{live.url}/Mandate/-/edit")
    cell = page.locator(".visual-surface td", has_text="2008").first
    cell.click()
    page.keyboard.press("End")
    page.keyboard.type(" (Tunis)")
    expect(page.locator("#text")).not_to_have_value(original)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{live.url}/Mandate*")
    saved = store.read_page("Mandate").text.split("\n")
    table = [line for line in saved if line.startswith("|")]
    assert any(line.startswith("| 2008 (Tunis)") and line.endswith("|") for line in table)
    assert len(table) == last - first + 1 and all(line.count("|") == 3 for line in table)  # still a table
    assert saved[:first] == lines[:first] and saved[first + len(table):] == lines[last + 1:]  # the rest untouched
    assert not page.console_errors


TRICKY = """[TOC]

# Tricky page

A paragraph with a footnote[^1], a [[Wiki link]] and a line@@
broken by two spaces.

* star bullet
    * nested four spaces
* another

3) numbered from three
4) next

| Left | Centre | Right |
|:-----|:------:|------:|
| a    |   b    |     c |

<div class="note">raw HTML</div>

Last paragraph to edit.

[^1]: The footnote text.
""".replace("@@", "  ")  # a hard line break: two spaces at the end of the line


def test_an_edit_in_one_paragraph_leaves_tricky_markdown_elsewhere_untouched(live: LiveWiki, page: Page) -> None:
    from wiki.store import Author

    store = live.app.extensions["wiki_store"]
    store.save_page("Tricky", TRICKY, base=store.head(), summary="tricky",
                    author=Author(name="Eda Editor", email="e@example.org", username="editor", group="civil-society"))
    login(page, live.url)
    open_visual(page, f"{live.url}/Tricky/-/edit")
    assert page.locator("#text").input_value() == TRICKY
    page.locator(".visual-surface p", has_text="Last paragraph to edit").click()
    page.keyboard.press("End")
    page.keyboard.type(" Done")
    expect(page.locator("#text")).to_have_value(TRICKY.replace("to edit.", "to edit. Done"))
    assert not page.console_errors


def test_wiki_links_are_completed_and_attachments_inserted(live: LiveWiki, page: Page) -> None:
    store = live.app.extensions["wiki_store"]
    author = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")
    store.save_attachment("Mandate", "chart.png", PNG, author=author, summary="chart")
    store.save_attachment("Mandate", "notes.txt", b"notes\n", author=author, summary="notes")
    original = store.read_page("Mandate").text
    login(page, live.url)
    open_visual(page, f"{live.url}/Mandate/-/edit")
    page.locator(".visual-surface p", has_text="Back to").click()
    page.keyboard.press("End")
    page.keyboard.type(" See [[")  # typing [[ opens the page-name form
    form = page.locator("[data-visual-insert]")
    expect(form).to_be_visible()
    expect(page.get_by_label("Page name")).to_be_focused()
    page.keyboard.type("mand")
    expect(page.locator("#visual-insert-options option[value='Mandate']")).to_have_count(1)  # completed
    page.get_by_label("Page name").fill("Mandate")
    assert_accessible(page)
    screenshot(page, "visual-editor-wikilink")
    page.keyboard.press("Enter")  # inserts; never submits the page
    expect(form).to_be_hidden()
    page.keyboard.type(". ")
    page.get_by_role("button", name="Image").click()
    expect(page.locator("#visual-insert-options option")).to_have_count(1)  # images only
    page.get_by_label("Attached image").fill("chart.png")
    page.get_by_label("Description of the image").fill("A chart")
    page.get_by_role("button", name="Insert").click()
    page.get_by_role("button", name="Attachment").click()
    expect(page.locator("#visual-insert-options option")).to_have_count(2)
    page.get_by_label("Attached file").fill("notes.txt")
    page.get_by_label("Text shown").fill("the notes")
    page.keyboard.press("Enter")
    expected = original.replace(
        "Back to [[Home]].", "Back to [[Home]]. See [[Mandate]]. ![A chart](/Mandate/-/attachments/chart.png)"
        "[the notes](/Mandate/-/attachments/notes.txt)", 1)
    expect(page.locator("#text")).to_have_value(expected)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{live.url}/Mandate*")
    assert store.read_page("Mandate").text == expected
    assert not page.console_errors
