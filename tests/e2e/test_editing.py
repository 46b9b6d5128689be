"""Writing in the browser: create a page with the toolbar and live preview, save with Ctrl+S,
the warning before leaving unsaved text, a conflict where nothing is lost, and the plain form."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from .conftest import LiveWiki, assert_accessible, login, screenshot, watched_page

TEXTAREA = "Page text (Markdown)"


def test_create_page_with_toolbar_live_preview_and_ctrl_s(live: LiveWiki, page: Page) -> None:
    login(page, live.url)
    page.goto(f"{live.url}/-/new")
    assert_accessible(page)
    page.get_by_label("Page name").fill("Mapping/Data protection")
    page.get_by_role("button", name="Open the editor").click()
    page.wait_for_url(f"{live.url}/Mapping/Data_protection/-/edit")

    area = page.get_by_label(TEXTAREA)
    area.fill("# Data protection\n\nPersonal data ")
    area.press("End")
    area.press("Control+End")
    page.get_by_role("button", name="Bold").click()  # inserts **bold text** with the words selected
    page.keyboard.type("must be protected")
    page.keyboard.press("End")  # past the closing **
    page.keyboard.type(". See ")
    page.get_by_role("button", name="[[Wiki link]]").click()
    page.keyboard.type("Mapping")
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\nOpen questions\n")
    page.keyboard.press("ArrowUp")
    page.get_by_role("button", name="Heading").click()
    page.keyboard.press("Control+End")
    page.get_by_role("button", name="Table").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nFirst step\nSecond step")
    page.keyboard.press("Shift+ArrowUp")
    page.get_by_role("button", name="1. List").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\n<script>document.title = 'owned'</script>")

    preview = page.locator("[data-preview]")
    expect(preview.locator("strong")).to_have_text("must be protected")
    expect(preview.locator("a.wikilink")).to_have_attribute("href", "/Mapping")
    expect(preview.locator("h2")).to_have_text("Open questions")
    expect(preview.locator("table th").first).to_have_text("Column 1")
    expect(preview.locator("ol li")).to_have_text(["First step", "Second step"])
    assert preview.locator("script").count() == 0  # stripped by the sanitizer, never run
    assert page.title() != "owned"
    page.get_by_label("Edit summary").fill("Start the page on data protection")
    assert_accessible(page)
    screenshot(page, "edit-preview")

    area.press("Control+s")
    page.wait_for_url(f"{live.url}/Mapping/Data_protection")
    expect(page.get_by_text("Your changes were saved.")).to_be_visible()
    expect(page.locator(".page-body strong")).to_have_text("must be protected")
    assert page.title() != "owned"
    assert_accessible(page)
    screenshot(page, "view-new-page")

    saved = live.app.extensions["wiki_store"].read_page("Mapping/Data_protection")
    assert "**must be protected**" in saved.text and "[[Mapping]]" in saved.text
    assert "## Open questions" in saved.text and "1. First step\n2. Second step" in saved.text
    info = live.app.extensions["wiki_store"].last_change("Mapping/Data_protection")
    assert info.subject == "Start the page on data protection"
    assert info.group == "civil-society"
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_leaving_with_unsaved_text_asks_first(live: LiveWiki, page: Page) -> None:
    login(page, live.url)
    page.goto(f"{live.url}/Mandate/-/edit")
    dialogs: list[str] = []

    def stay(dialog) -> None:  # noqa: ANN001
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.get_by_label(TEXTAREA).press("Control+End")
    page.keyboard.type("\nA sentence not saved yet.")
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/Mandate/-/edit")
    assert page.get_by_label(TEXTAREA).input_value().endswith("A sentence not saved yet.")

    page.remove_listener("dialog", stay)
    page.reload()  # nothing typed on the fresh page: leaving it asks nothing
    page.on("dialog", stay)
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(f"{live.url}/Mandate")
    assert dialogs == ["beforeunload"]


def test_conflict_between_two_browsers_loses_nothing(
        live: LiveWiki, new_context: Callable[..., BrowserContext]) -> None:
    permissions = ["clipboard-read", "clipboard-write"]
    eda = watched_page(new_context(viewport={"width": 1440, "height": 900}, permissions=permissions))
    pat = watched_page(new_context(viewport={"width": 1440, "height": 900}, permissions=permissions))
    login(eda, live.url, "editor")
    login(pat, live.url, "editor2")
    for person in (eda, pat):
        person.goto(f"{live.url}/Mandate/-/edit")
    original = eda.get_by_label(TEXTAREA).input_value()
    first_line = original.splitlines()[0]

    eda_text = original.replace(first_line, first_line + " (as agreed in Geneva)", 1)
    eda.get_by_label(TEXTAREA).fill(eda_text)
    eda.get_by_label(TEXTAREA).press("Control+s")
    eda.wait_for_url(f"{live.url}/Mandate")

    pat_text = original.replace(first_line, first_line + " (draft of the private sector)", 1)
    pat_text += "\nPat's new paragraph.\n"
    pat.get_by_label(TEXTAREA).fill(pat_text)
    pat.get_by_label("Edit summary").fill("Pat's wording")
    pat.get_by_label(TEXTAREA).press("Control+s")
    expect(pat.get_by_role("heading", name="Edit conflict: your changes are not saved yet")).to_be_visible()
    assert pat.url.endswith("/Mandate/-/edit")
    merged = pat.get_by_label(TEXTAREA).input_value()
    assert "<<<<<<< your version" in merged and ">>>>>>> their version" in merged
    assert "(draft of the private sector)" in merged and "(as agreed in Geneva)" in merged
    expect(pat.get_by_label("Your text, as you submitted it")).to_have_value(pat_text)
    expect(pat.get_by_label("The version now saved (theirs)")).to_have_value(eda_text)
    expect(pat.get_by_label("Edit summary")).to_have_value("Pat's wording")
    assert_accessible(pat)
    screenshot(pat, "conflict")

    pat.get_by_role("button", name="Copy your text").click()
    expect(pat.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert pat.evaluate("navigator.clipboard.readText()") == pat_text

    pat.get_by_role("button", name="Save").click()  # markers still in: refused, everything kept
    expect(pat.get_by_role("alert")).to_contain_text("still contains conflict markers")
    assert pat.get_by_label(TEXTAREA).input_value() == merged
    expect(pat.get_by_label("Your text, as you submitted it")).to_have_value(pat_text)

    pat.get_by_role("button", name="Start again from your text").click()
    expect(pat.get_by_label(TEXTAREA)).to_have_value(pat_text)
    resolved = eda_text.replace("(as agreed in Geneva)", "(as agreed in Geneva, with the private sector)", 1)
    resolved += "\nPat's new paragraph.\n"
    pat.get_by_label(TEXTAREA).fill(resolved)
    pat.get_by_label(TEXTAREA).press("Control+s")
    pat.wait_for_url(f"{live.url}/Mandate")
    expect(pat.get_by_text("Your changes were saved.")).to_be_visible()

    store = live.app.extensions["wiki_store"]
    assert store.read_page("Mandate").text == resolved
    authors = [change.author_name for change in store.page_history("Mandate")[:2]]
    assert authors == ["Pat Second", "Eda Editor"]
    assert eda.console_errors == [] and pat.console_errors == []  # type: ignore[attr-defined]


def test_editing_and_saving_work_without_javascript(
        live: LiveWiki, new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False).new_page()
    login(page, live.url)
    page.goto(f"{live.url}/Mandate/-/edit")
    expect(page.get_by_role("toolbar")).to_be_hidden()
    expect(page.locator(".editor-preview")).to_be_hidden()
    page.get_by_label(TEXTAREA).fill("# Mandate\n\nSaved with the plain form.\n")
    page.get_by_label("Edit summary").fill("Plain form")
    screenshot(page, "edit-no-javascript")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live.url}/Mandate")
    expect(page.locator(".page-body p")).to_have_text("Saved with the plain form.")
