"""The webhooks admin page in the browser: an admin adds an endpoint, an edit is delivered to a
receiver on 127.0.0.1, the delivery log shows it; the page passes axe-core in English and Arabic."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.conftest import make_app
from tests.support.servers import free_port
from tests.support.webhooks import FAST, Receiver, wait_for
from wiki.store import Author

from .conftest import WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page

WRITER = Author(name="Writer", email="writer@example.org", username="editor", group="governments")


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[LiveWiki]:
    with LiveWiki(make_app(tmp_path / "instance", **FAST)) as wiki:
        yield wiki
        wiki.app.extensions["wiki_webhooks"].stop()


def test_an_admin_adds_a_webhook_and_reads_its_log(hooked: LiveWiki,
                                                   new_context: Callable[..., BrowserContext]) -> None:
    receiver = Receiver(free_port()).start()
    try:
        page = watched_page(new_context(viewport=WIDE))
        login(page, hooked.url, "admin")
        page.goto(f"{hooked.url}/-/admin/webhooks")
        assert_accessible(page)
        page.get_by_label("Address (http:// or https://)").fill(receiver.url)
        page.get_by_role("button", name="Add the webhook").click()
        expect(page.locator(".flash")).to_contain_text("shown only this once")
        store = hooked.app.extensions["wiki_store"]
        store.save_page("Mandate", "# Mandate\n\nChanged.\n", base=store.head(), author=WRITER, summary="hooked")
        wait_for(lambda: receiver.events("commit"), "the commit event")
        page.goto(f"{hooked.url}/-/admin/webhooks")
        expect(page.locator(".webhook-log")).to_contain_text("204")
        assert_accessible(page)
        screenshot(page, "admin_webhooks")
        page.context.add_cookies([{"name": "lang", "value": "ar", "url": hooked.url}])
        page.goto(f"{hooked.url}/-/admin/webhooks")
        assert_accessible(page)
        assert page.console_errors == []  # type: ignore[attr-defined]
    finally:
        receiver.stop()
