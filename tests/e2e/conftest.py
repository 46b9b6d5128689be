"""Browser tests: the wiki served from a thread on 127.0.0.1, driven in Debian's Chromium.

Each test gets its own temporary instance and server. Chromium is Debian's ``/usr/bin/chromium``
(``make test`` installs it with apt-get); ``playwright install`` is never used.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, make_app

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.fail("The browser tests need Debian's Chromium at /usr/bin/chromium: run `make test`, "
                    "which installs it with `apt-get install -y chromium`.")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


class LiveWiki:
    """A wiki served over HTTP on 127.0.0.1 from a thread, on a temporary instance."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveWiki:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.app.extensions["wiki_store"].close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveWiki]:
    with LiveWiki(make_app(tmp_path / "instance")) as wiki:
        yield wiki


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Open extra browser contexts (separate cookies: a second person) and close them afterwards."""
    contexts: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A wide-screen page; the JavaScript console must stay free of errors (CSP violations included)."""
    return watched_page(new_context(viewport=WIDE))


def watched_page(context: BrowserContext) -> Page:
    """A new page that records script errors and CSP violations in ``page.console_errors``."""
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A 4xx answer (409 conflict, 404 missing page) is logged too; it is not a script error.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors  # type: ignore[attr-defined]
    return page


def login(page: Page, base_url: str, username: str = "editor") -> None:
    page.goto(f"{base_url}/-/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now (axe injected under the CSP)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    results = page.evaluate("""async () => {
        const results = await axe.run(document, {resultTypes: ["violations"]});
        return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                             nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
    }""")
    return [violation for violation in results if violation["impact"] in BLOCKING_IMPACTS]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {page.url}:\n" + json.dumps(violations, indent=2)


def screenshot(page: Page, name: str) -> None:
    """Save the page at phone and wide-screen widths into tests/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    original = page.viewport_size
    for label, size in (("phone", PHONE), ("wide", WIDE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)
