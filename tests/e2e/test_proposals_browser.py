"""A proposal in Chromium (issue 14): drafted by an editor, five groups' reviewers decide (one
objects, then withdraws and endorses), and a reviewer merges; every proposal page passes axe."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import PASSWORD
from wiki.store import Author

from .conftest import WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page

REVIEWERS = {"gov": "governments", "civ": "civil-society", "priv": "private-sector"}


def test_five_groups_reach_consensus_and_a_reviewer_merges(
        live: LiveWiki, new_context: Callable[..., BrowserContext]) -> None:
    users = live.app.extensions["wiki_users"]
    for name, group in REVIEWERS.items():
        users.create(name, PASSWORD, group=group, role="reviewer", display_name=f"{name.title()} Reviewer")
    store = live.app.extensions["wiki_store"]

    editor = watched_page(new_context(viewport=WIDE))
    login(editor, live.url, "editor")
    editor.goto(f"{live.url}/Mandate")
    editor.get_by_role("link", name="Propose a change").click()
    editor.get_by_label("Title").fill("Clarify the mandate")
    editor.get_by_label("Rationale (Markdown)").fill("The second paragraph is *vague*.")
    editor.get_by_role("button", name="Start the proposal").click()
    editor.locator("#text").fill(store.read_page("Mandate").text + "\nA sentence all groups agreed.\n")
    editor.locator("form.edit-form button[type=submit].primary").click()
    expect(editor.locator(".page-body")).to_contain_text("A sentence all groups agreed.")
    number = store.proposals.numbers()[-1]
    assert "A sentence all groups agreed." not in store.read_page("Mandate").text

    for name in ("gov", "civ", "priv", "reviewer", "admin"):
        page = watched_page(new_context(viewport=WIDE))
        login(page, live.url, name)
        page.goto(f"{live.url}/-/proposals/{number}")
        if name == "civ":
            page.get_by_label("Reason (required to object)").fill("The sentence needs a source.")
            page.get_by_role("button", name="Object for my group").click()
            expect(page.locator(".objection")).to_contain_text("The sentence needs a source.")
            assert_accessible(page)
            page.get_by_role("button", name="Withdraw my group's position").click()
        page.get_by_role("button", name="Endorse for my group").click()
        expect(page.locator(".flash")).to_contain_text("Your group endorses this proposal.")
        assert page.console_errors == []  # type: ignore[attr-defined]

    page = watched_page(new_context(viewport=WIDE))
    login(page, live.url, "reviewer")
    page.goto(f"{live.url}/-/proposals/{number}")
    expect(page.locator(".proposal-state")).to_contain_text("Consensus")
    assert_accessible(page)
    screenshot(page, "proposal-consensus")
    page.get_by_role("button", name="Merge into the agreed text").click()
    expect(page.locator(".proposal-state")).to_contain_text("Merged into the agreed text.")
    assert "A sentence all groups agreed." in store.read_page("Mandate").text
    # The record (issue 23): every position stays, the objection's reason too; the page's history
    # lists the adoption once, linked to the proposal; the page reports the consensus.
    expect(page.locator(".proposal-positions")).to_contain_text("The sentence needs a source.")
    expect(page.locator(".proposal-positions")).to_contain_text("withdrew its position")
    page.goto(f"{live.url}/Mandate/-/history")
    expect(page.get_by_role("link", name=f"proposal {number}")).to_have_attribute("href", f"/-/proposals/{number}")
    assert_accessible(page)
    page.goto(f"{live.url}/Mandate")
    expect(page.locator("main")).to_contain_text("Consensus")
    for language in ("ar", "en"):  # the whole record in Arabic, right to left, and axe-clean
        reader = watched_page(new_context(viewport=WIDE, locale=language,
                                          extra_http_headers={"Accept-Language": language}))
        for url in (f"/-/proposals/{number}", "/Mandate/-/history", "/-/proposals", "/Mandate"):
            reader.goto(f"{live.url}{url}")
            expect(reader.locator("html")).to_have_attribute("lang", language)
            assert_accessible(reader)
            if url.startswith("/-/proposals/"):
                screenshot(reader, f"proposal-record-{language}")
    page.goto(f"{live.url}/-/proposals")
    assert_accessible(page)
    page.goto(f"{live.url}/Mandate/-/blame")
    expect(page.locator("main")).to_contain_text("A sentence all groups agreed.")


def _login_by_form(page: Page, base_url: str, username: str) -> None:
    """Log in whatever the interface language (by the form's fields, not their translated labels)."""
    page.goto(f"{base_url}/-/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action$='/-/login'] button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def test_the_whole_decision_in_arabic(live: LiveWiki, new_context: Callable[..., BrowserContext]) -> None:
    """Issue 23 in Arabic: five groups decide (one objects, then withdraws), a reviewer merges, and
    the record shows it; every page on the way is right to left and axe-clean."""
    users = live.app.extensions["wiki_users"]
    for name, group in REVIEWERS.items():
        users.create(name, PASSWORD, group=group, role="reviewer", display_name=f"{name.title()} مراجع")
    store = live.app.extensions["wiki_store"]
    drafter = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")
    proposal = store.proposals.create("توضيح الولاية", "الفقرة الثانية *غامضة*.", author=drafter)
    store.proposals.pages_of(proposal.number).save_page(
        "Mandate", store.read_page("Mandate").text + "\nجملة اتفقت عليها كل المجموعات.\n", base=store.head(),
        summary="مسودة", author=drafter)
    url = f"{live.url}/-/proposals/{proposal.number}"
    for name in ("gov", "civ", "priv", "reviewer", "admin"):
        page = watched_page(new_context(viewport=WIDE, locale="ar", extra_http_headers={"Accept-Language": "ar"}))
        _login_by_form(page, live.url, name)
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        if name == "civ":
            page.locator("#reason").fill("الجملة تحتاج إلى مصدر.")
            page.locator("button[name=action][value=object]").click()
            expect(page.locator(".proposal-positions")).to_contain_text("الجملة تحتاج إلى مصدر.")
            assert_accessible(page)
            page.locator("button[name=action][value=withdraw]").click()
        page.locator("button[name=action][value=endorse]").click()
        expect(page.locator(".flash")).to_be_visible()
        assert_accessible(page)
    page = watched_page(new_context(viewport=WIDE, locale="ar", extra_http_headers={"Accept-Language": "ar"}))
    _login_by_form(page, live.url, "reviewer")
    page.goto(url)
    page.locator("form[action$='/merge'] button[type=submit]").click()
    expect(page.locator(".proposal-state.state-merged")).to_be_visible()
    assert "جملة اتفقت عليها كل المجموعات." in store.read_page("Mandate").text
    expect(page.locator(".proposal-positions")).to_contain_text("الجملة تحتاج إلى مصدر.")
    assert_accessible(page)
    screenshot(page, "proposal-merged-ar")
    page.goto(f"{live.url}/Mandate/-/history")
    expect(page.locator(f"a[href='/-/proposals/{proposal.number}']").first).to_be_visible()
    assert_accessible(page)
