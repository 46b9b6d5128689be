"""The review pages in the browser: a reviewer tags a version, endorses a page, and every review
page (blame, changes, contributions, versions, compare, endorsements) passes axe-core."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from wiki.store import Author

from .conftest import WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page

GOVERNMENT = Author(name="Gov Writer", email="gov@example.org", username="editor", group="governments")
CIVIL = Author(name="Civ Writer", email="civ@example.org", username="editor2", group="civil-society")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reviewer_tags_endorses_and_review_pages_pass_axe(
        live: LiveWiki, new_context: Callable[..., BrowserContext], scheme: str) -> None:
    store = live.app.extensions["wiki_store"]
    first = store.head()
    store.save_page("Mandate", store.read_page("Mandate").text + "\nA sentence from governments.\n",
                    base=store.head(), author=GOVERNMENT, summary="Governments add a sentence")
    store.save_page("Mapping/Cybersecurity", "# Cybersecurity\n\nRewritten by civil society.\n",
                    base=store.head(), author=CIVIL, summary="Civil society rewrites")
    page = watched_page(new_context(viewport=WIDE, color_scheme=scheme))
    login(page, live.url, "reviewer")

    page.goto(f"{live.url}/-/versions")
    assert_accessible(page)
    page.get_by_label("Title", exact=True).fill("Second draft")
    page.get_by_role("button", name="Mark this version").click()
    expect(page.locator("main")).to_contain_text("second-draft")

    page.goto(f"{live.url}/Mandate")
    page.get_by_role("button", name="Endorse", exact=False).first.click()
    expect(page.locator(".endorsements")).to_contain_text("Technical and academic community")
    assert_accessible(page)

    for path in ["/Mandate/-/blame", "/-/changes", "/-/changes?group=civil-society", "/-/contributions",
                 f"/-/compare?from={first}&to=second-draft", "/-/endorsements"]:
        page.goto(live.url + path)
        assert_accessible(page)
        if scheme == "light" and path in {"/Mandate/-/blame", "/-/contributions"}:
            screenshot(page, path.strip("/").replace("/", "_").replace("-_", ""))
    assert "Governments" in page.goto(f"{live.url}/Mandate/-/blame").text()
    assert page.console_errors == []  # type: ignore[attr-defined]
