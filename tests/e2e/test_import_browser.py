"""Importing a Word file in Chromium: the form, the preview (its staged image really shows), the
save, and the redline links of the diff page; every step axe-clean, in light and dark mode."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from wiki.office import convert
from wiki.store import Author

from ..office_docs import png
from .conftest import WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page

GOVERNMENT = Author(name="Gov Writer", email="gov@example.org", username="editor", group="governments")
LOADED = "() => { const img = document.querySelector('.page-body img'); return img && img.complete && " \
         "img.naturalWidth === 120; }"
MARKDOWN = """# Delegations input

The **working group** received *written* input.

- First point
    - A detail
- Second point

| Group | Inputs |
|---|---|
| Governments | 12 |

![A chart](chart.png)

A claim.[^1]

[^1]: Its source.
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_editor_imports_a_word_file_after_seeing_it(live: LiveWiki, new_context: Callable[..., BrowserContext],
                                                        tmp_path: Path, scheme: str) -> None:
    docx = tmp_path / "input.docx"
    docx.write_bytes(convert.pandoc(MARKDOWN, from_format="markdown", to_format="docx",
                                    files={"chart.png": png(120, 80)}, sandbox=False))
    store = live.app.extensions["wiki_store"]
    before = store.head()
    store.save_page("Mandate", store.read_page("Mandate").text + "\nOne more sentence.\n", base=store.head(),
                    author=GOVERNMENT, summary="a sentence")
    page = watched_page(new_context(viewport=WIDE, color_scheme=scheme))
    login(page, live.url, "editor")
    page.goto(f"{live.url}/-/import")
    assert_accessible(page)
    page.get_by_label("Document", exact=False).set_input_files(str(docx))
    page.get_by_label("Page name").fill("Inputs/Delegations")
    page.get_by_role("button", name="Preview the import").click()
    expect(page.locator("main > h1")).to_contain_text("Import into Delegations")
    preview = page.locator("article.page-body")
    expect(preview.locator("h1")).to_have_text("Delegations input")
    expect(preview.locator("li li")).to_have_text("A detail")
    expect(preview.locator("th").first).to_have_text("Group")
    image = preview.locator("img")
    expect(image).to_have_attribute("src", re.compile(r"^/-/import/[0-9a-f]{64}/image-"))
    page.wait_for_function(LOADED)  # the staged image really shows
    assert_accessible(page)
    if scheme == "light":
        screenshot(page, "import-preview")
    assert store.page_exists("Inputs/Delegations") is False
    page.get_by_role("button", name="Create the page").click()
    expect(page.locator(".page-body h1")).to_have_text("Delegations input")
    page.wait_for_function(LOADED)  # the attachment shows
    assert_accessible(page)
    page.goto(f"{live.url}/Mandate/-/diff?from={before}")
    word = page.get_by_role("link", name="Word (tracked changes)")
    expect(word).to_have_attribute("href", re.compile(r"/Mandate/-/diff/export\?"))
    assert_accessible(page)
    assert page.console_errors == []  # type: ignore[attr-defined]
