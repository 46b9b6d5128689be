"""The harness of tools/walk_calls.py: a throwaway wiki served by gunicorn on 127.0.0.1 only, its
people, and a browser page per person whose every step is kept (two screenshots and a report line).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "walk the call, walk it"
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PEOPLE = {  # user name: (group, role, display name)
    "sec": ("secretariat", "editor", "Sue Secretariat"),
    "amina": ("civil-society", "editor", "Amina El-Sayed"),
    "gov": ("governments", "editor", "Gonzalo Ortega"),
    "biz": ("private-sector", "editor", "Bea Business"),
}


# --------------------------------------------------------------------------- the wiki


def make_instance(instance: Path) -> None:
    """A new instance with the walk's people (the secretariat, three delegates, an admin)."""
    from wiki import create_app

    instance.mkdir(parents=True)
    (instance / "config.py").write_text("SECRET_KEY = 'walk-the-calls'\nPASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\n"
                                        "SCHEDULER_SECONDS = 0\n", encoding="utf-8")
    app = create_app(instance_path=str(instance))
    users = app.extensions["wiki_users"]
    for name, (group, role, display) in PEOPLE.items():
        users.create(name, PASSWORD, group=group, role=role, display_name=display, email=f"{name}@example.org")
    app.extensions["wiki_store"].close()


@contextmanager
def gunicorn(instance: Path, log: Path) -> Iterator[str]:
    """gunicorn serving ``instance`` on 127.0.0.1 (two workers), as the tests start it; yields its address."""
    from tests.support.servers import gunicorn as served_by

    with served_by(instance, log=log, args=("--timeout", "60"), ready="/-/calls") as served:
        yield served.base


def let_time_pass(instance: Path, slug: str) -> None:
    """The deadline passes: moved a minute into the past in the repository, as time would move it."""
    from wiki import create_app
    from wiki.store import Author

    app = create_app(instance_path=str(instance))
    store = app.extensions["wiki_store"]
    author = Author(name="Clock", email="clock@example.org", username="sec", group="secretariat")
    store.calls.update(slug, lambda call: replace(call, deadline=int(time.time()) - 60), "Time passes",
                       author=author)
    store.close()


# --------------------------------------------------------------------------- the browser


@dataclass
class Walk:
    """The browser, the people's pages and what each step showed."""

    base: str
    out: Path
    language: str
    browser: object
    pages: dict[str, object] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    number: int = 0

    def person(self, name: str, *, login: bool = True) -> object:
        """``name``'s page in a browser context of their own (their own cookies), logged in."""
        if name in self.pages:
            return self.pages[name]
        context = self.browser.new_context(viewport=WIDE, accept_downloads=True)
        context.set_default_timeout(20_000)
        context.add_cookies([{"name": "lang", "value": self.language, "url": self.base}])
        page = context.new_page()
        page.script_errors = []
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        if login:
            page.goto(f"{self.base}/-/login")
            page.locator("#username").fill(name)
            page.locator("#password").fill(PASSWORD)
            page.locator("form button[type=submit]").last.click()
            page.wait_for_load_state()
        self.pages[name] = page
        return page

    def step(self, who: str, what: str) -> None:
        """Keep what ``who``'s page shows now: two screenshots and a line of findings."""
        page = self.pages[who]
        page.wait_for_load_state()
        self.number += 1
        stem = f"{self.language}-{self.number:02d}-{who}-{what.split(':')[0].replace(' ', '-')[:40]}"
        status = page.evaluate("() => (performance.getEntriesByType('navigation')[0] || {}).responseStatus || 0")
        flashes = [text.strip() for text in page.locator(".flash").all_inner_texts()]
        banners = [text.strip() for text in page.locator("main .banner").all_inner_texts()]
        findings = axe(page)
        page.set_viewport_size(PHONE)
        wide_by = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        page.screenshot(path=str(self.out / f"{stem}-phone.png"), full_page=True, timeout=60_000)
        page.set_viewport_size(WIDE)
        page.screenshot(path=str(self.out / f"{stem}-wide.png"), full_page=True, timeout=60_000)
        self.lines.append(f"### {self.number:02d}. {who}: {what}\n")
        self.lines.append(f"- `{page.url.replace(self.base, '')}` → HTTP {status}; screenshots `{stem}-*.png`")
        for text in flashes:
            self.lines.append(f"- message: {text}")
        for text in banners:
            self.lines.append(f"- banner: {text[:300]}")
        if status >= 400 and not flashes:
            self.lines.append(f"- **an error page**: {' '.join(page.locator('main').inner_text().split())[:300]}")
        if wide_by > 0:
            self.lines.append(f"- **the phone page scrolls sideways by {wide_by}px**")
        for finding in findings:
            self.lines.append(f"- **axe {finding['impact']}: {finding['id']}** {finding['nodes']}")
        if page.script_errors:
            self.lines.append(f"- **script errors: {page.script_errors}**")
            page.script_errors.clear()
        self.lines.append("")
        print(f"{stem}: {status} {flashes[:2]}", flush=True)

    def note(self, text: str) -> None:
        self.lines.append(f"- {text}\n")
        print("  " + text, flush=True)


def axe(page: object) -> list[dict[str, object]]:
    import axe_playwright_python

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate((Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8"))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 3)}))""")
    return [item for item in found if item["impact"] in ("serious", "critical")]
