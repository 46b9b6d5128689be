"""A proposal in Chromium (issue 14): drafted by an editor, five groups' reviewers decide (one
objects, then withdraws and endorses), and a reviewer merges; every proposal page passes axe."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, expect

from tests.conftest import PASSWORD

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
    editor.locator("form.edit-form button.primary").click()
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
