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

from ..office_docs import convert_all, png, redline_document
from ..support.app import PASSWORD
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


@pytest.fixture(scope="module")
def redline_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_all({"redline": redline_document()}, tmp_path_factory.mktemp("redline"))["redline.docx"]


@pytest.mark.parametrize("language", ["en", "ar", "zh"])
def test_the_secretariat_leaves_an_authors_changes_out_in_the_browser(
        live: LiveWiki, new_context: Callable[..., BrowserContext], redline_docx: Path, language: str) -> None:
    live.app.extensions["wiki_users"].create("sec", PASSWORD, group="secretariat", role="editor",
                                             display_name="Sam Secretariat", email="sec@example.org")
    page = watched_page(new_context(viewport=WIDE, locale=language, extra_http_headers={"Accept-Language": language}))
    page.goto(f"{live.url}/-/login")  # by the form's fields, whatever the language of their labels
    page.locator("input[name=username]").fill("sec")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action$='/-/login'] button[type=submit]").click()
    page.wait_for_url(f"{live.url}/")
    page.goto(f"{live.url}/-/import")
    page.locator("#import-file").set_input_files(str(redline_docx))
    page.locator("#import-page").fill("Inputs/Redline")
    page.locator("form.stacked-form button[type=submit]").click()
    expect(page.locator("#tracked-author-2")).to_be_checked()
    assert_accessible(page)
    page.locator("#tracked-author-2").uncheck()  # Pat Second's changes out
    page.locator("button[name=action][value=choose]").click()
    expect(page.locator("#tracked-author-2")).not_to_be_checked()
    expect(page.locator("pre.import-source")).to_contain_text("The group welcomed the report of May.")
    assert_accessible(page)
    screenshot(page, f"import-choice-{language}")
    page.locator("form.stacked-form button.primary").click()
    page.wait_for_url(re.compile(r"proposal=\d+"))
    store = live.app.extensions["wiki_store"]
    proposal = store.proposals.get(int(page.url.rsplit("proposal=", 1)[1]))
    assert "The group welcomed the report of May." in store.read_page("Inputs/Redline", proposal.head).text
    assert page.console_errors == []  # type: ignore[attr-defined]
