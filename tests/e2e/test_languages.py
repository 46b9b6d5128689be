"""The interface in Arabic and Chinese in Chromium, at phone and wide widths: right to left where it
should be, nothing wider than the screen, axe-clean; and a translator's round trip in the browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from wiki.store import Author

from .conftest import PHONE, WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page

ANN = Author(name="آن مثال", email="ann@example.org", username="editor", group="governments")
PAGES = ("/", "/Mandate", "/Mandate?lang=ar", "/Mandate/-/history", "/Mandate/-/diff", "/Mandate/-/blame",
         "/Mandate/-/translations", "/Mandate/-/attachments", "/Mandate/-/backlinks", "/Mandate/-/endorse",
         "/Mandate/-/rename", "/Mandate/-/edit", "/Mandate/-/edit?lang=ar", "/-/translations", "/-/pages",
         "/-/wanted", "/-/changes", "/-/contributions", "/-/versions", "/-/endorsements", "/-/document",
         "/-/search?q=mandate", "/-/new", "/-/account", "/No_such_page", "/-/proposals", "/-/proposals/new",
         "/-/proposals/1", "/Mandate?proposal=1")


def overflow(page) -> int:  # noqa: ANN001
    """How many pixels the document is wider than the window (0 when nothing spills over)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("zh", "ltr")])
def test_every_page_in_arabic_and_chinese_fits_and_passes_axe(
        live: LiveWiki, new_context: Callable[..., BrowserContext], language: str, direction: str) -> None:
    store = live.app.extensions["wiki_store"]
    store.save_version("Mandate", "ar", "# الولاية\n\nنص الولاية باللغة العربية.\n", follows_original=True,
                       base=None, author=ANN, summary="ترجمة")
    proposal = store.proposals.create("توضيح الولاية", "لأن النص *غامض*.", author=ANN).number
    store.proposals.pages_of(proposal).save_page("Mandate", store.read_page("Mandate").text + "\nجملة مقترحة.\n",
                                                 base=store.head(), author=ANN, summary="اقتراح")
    store.proposals.comment(proposal, "تعليق في المناقشة.", author=ANN)
    page = watched_page(new_context(viewport=WIDE))  # English until logged in: the cookie chooses after
    login(page, live.url, "editor")
    page.context.add_cookies([{"name": "lang", "value": language, "url": live.url}])
    for path in PAGES:
        for size in (PHONE, WIDE):
            page.set_viewport_size(size)
            page.goto(f"{live.url}{path}")
            html = page.locator("html")
            expect(html).to_have_attribute("lang", language)
            expect(html).to_have_attribute("dir", direction)
            assert overflow(page) <= 1, f"{path} at {size['width']} px is {overflow(page)} px too wide"
        assert_accessible(page)
        screenshot(page, f"lang-{language}-{path.strip('/').replace('/', '_').replace('?', '_') or 'home'}")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_translator_creates_a_version_and_readers_get_it(
        live: LiveWiki, new_context: Callable[..., BrowserContext]) -> None:
    page = watched_page(new_context(viewport=WIDE))
    login(page, live.url, "editor")
    page.goto(f"{live.url}/Mandate/-/edit?lang=fr")
    page.locator("#text").fill("# Mandat\n\nLe mandat du groupe de travail.\n")
    page.locator("#follows").check()
    page.locator("form.edit-form button[type=submit]").first.click()
    expect(page.locator(".page-body")).to_contain_text("Le mandat du groupe de travail.")
    reader = watched_page(new_context(viewport=PHONE, locale="fr-FR", extra_http_headers={"Accept-Language": "fr"}))
    reader.goto(f"{live.url}/Mandate")
    expect(reader.locator(".page-body")).to_contain_text("Le mandat du groupe de travail.")
    expect(reader.locator("html")).to_have_attribute("lang", "fr")
    assert_accessible(reader)
    screenshot(reader, "lang-fr-version")
