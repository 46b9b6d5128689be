"""The XSS corpus in Chromium: every sink's pages load with no dialog and no script run.

A listener fails the test on any dialog (alert, confirm, prompt), on any call of those functions
(they are wrapped before the page's own scripts run, so even a call that would not open a
dialog is recorded), and on a console message from the wrapper. The DOM is then searched for
event-handler attributes and script URLs that survived parsing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Dialog, Page

from tests.e2e.conftest import LiveWiki, login
from tests.xss import MARKDOWN_WRAPPERS, fill_wiki, make_xss_app, payloads

TRAP = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  const original = window[name];
  window[name] = function (...args) {
    window.__xss.push(name + "(" + args.join(",") + ")");
    console.log("XSS-EXECUTED " + name + "(" + args.join(",") + ")");
    return original.apply(window, args);
  };
}
"""
LEFTOVERS = """() => {
  const found = [];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\\x00-\\x20\\x7f]+/g, "").toLowerCase();
      if (name.startsWith("on")) found.push(`${element.tagName} ${name}`);
      if (["href", "src", "action", "formaction", "xlink:href", "data"].includes(name)
          && /^(javascript|vbscript|data):/.test(value)) found.push(`${element.tagName} ${name}=${value}`);
    }
  }
  for (const script of document.scripts) {
    if (!script.src || !new URL(script.src).pathname.startsWith("/-/static/")) found.push("script " + script.src);
  }
  return found;
}"""


def trapped_page(context: BrowserContext, executed: list[str]) -> Page:
    context.add_init_script(TRAP)
    page = context.new_page()

    def on_dialog(dialog: Dialog) -> None:
        executed.append(f"dialog {dialog.type}: {dialog.message} on {page.url}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda message: executed.append(f"{message.text} on {page.url}")
            if "XSS-EXECUTED" in message.text else None)
    return page


def browser_urls(sinks: dict[str, list[str]]) -> list[str]:
    """Each sink's pages, once; page names beyond the first few are only viewed."""
    seen: dict[str, None] = {}
    for sink, urls in sinks.items():
        for url in urls[:40] if sink == "page names" else urls[:30]:
            seen.setdefault(url, None)
    return list(seen)


def test_the_trap_catches_script_that_runs(new_context: Callable[..., BrowserContext]) -> None:
    """A control: without the wiki's escaping and CSP, the same listener sees the payload run."""
    executed: list[str] = []
    page = trapped_page(new_context(), executed)
    page.set_content('<img src="x" onerror="alert(1)">')
    page.wait_for_timeout(200)
    assert executed and "alert(1)" in " ".join(executed)


def test_payloads_do_not_run_in_chromium(tmp_path: Path, new_context: Callable[..., BrowserContext]) -> None:
    app = make_xss_app(tmp_path / "instance")
    sinks = fill_wiki(app)
    executed: list[str] = []
    leftovers: list[str] = []
    with LiveWiki(app) as wiki:
        page = trapped_page(new_context(), executed)
        login(page, wiki.url, "admin")
        for url in browser_urls(sinks):
            page.goto(wiki.url + url, wait_until="load")
            leftovers += [f"{url}: {item}" for item in page.evaluate(LEFTOVERS)]
            executed += [f"{call} on {url}" for call in page.evaluate("() => window.__xss")]
        # The editor's live preview puts server-sanitized HTML into the page with innerHTML.
        page.goto(wiki.url + "/Xss/Preview/-/edit")
        text = "\n\n".join(wrapper.format(p) for p in payloads() for wrapper in MARKDOWN_WRAPPERS[:4])
        page.locator("#text").fill(text.replace("\x00", ""))
        page.locator("#text").press("End")
        page.wait_for_selector(".editor-preview[data-preview-state=ready]", timeout=15_000)
        leftovers += [f"preview: {item}" for item in page.evaluate(LEFTOVERS)]
        executed += [f"{call} in the preview" for call in page.evaluate("() => window.__xss")]
    assert executed == []
    assert leftovers == []
