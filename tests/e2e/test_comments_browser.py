"""Comments in the browser (issue 15): select a passage, comment, reply, resolve, see it contested."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from wiki.store import Author

from .conftest import WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page

TEXT = ("# Roadmap\n\nThe free flow of information is **essential** to development.\n\n"
        "Governments should protect privacy online.\n\nA closing paragraph.\n")
EDITOR = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")


def select(page: Page, text: str) -> None:
    """Select ``text`` inside the page's paragraphs as a reader would with the mouse."""
    page.evaluate("""(wanted) => {
        const walker = document.createTreeWalker(document.querySelector('.passages'), NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const at = walker.currentNode.data.indexOf(wanted);
            if (at >= 0) {
                const range = document.createRange();
                range.setStart(walker.currentNode, at);
                range.setEnd(walker.currentNode, at + wanted.length);
                const selection = document.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                return;
            }
        }
        throw new Error('text not found: ' + wanted);
    }""", text)
    page.locator(".passages").dispatch_event("mouseup")


def test_select_comment_reply_resolve_and_see_the_contested_mark(live: LiveWiki, page: Page,
                                                                 new_context: Callable[..., BrowserContext]) -> None:
    store = live.app.extensions["wiki_store"]
    store.save_page("Roadmap", TEXT, base=store.head(), author=EDITOR, summary="Start")
    login(page, live.url)
    page.goto(f"{live.url}/Roadmap")
    panel = page.locator("#comment-on-selection")
    expect(panel).to_be_hidden()
    select(page, "protect privacy online")
    expect(panel).to_be_visible()
    expect(panel.locator("textarea[name=quote]")).to_have_value("protect privacy online")
    panel.get_by_label("Kind").select_option("objection")
    panel.get_by_label("Your comment (Markdown)").fill("Our group cannot accept *should* here.")
    panel.get_by_role("button", name="Add the comment").click()
    page.wait_for_url("**/Roadmap#thread-1")
    contested = page.locator("#passage-3")
    expect(contested).to_have_class("passage contested")
    expect(contested.locator(".contested-mark")).to_have_text("Contested by Civil society")
    expect(contested.locator("mark.comment-mark")).to_have_text("protect privacy online")
    expect(contested.locator("#thread-1 .comment-body em")).to_have_text("should")
    assert_accessible(page)
    screenshot(page, "comments")

    # Another person replies; the author resolves.
    other = watched_page(new_context(viewport=WIDE))
    login(other, live.url, "editor2")
    other.goto(f"{live.url}/Roadmap")
    thread = other.locator("#thread-1")
    thread.locator("summary").click()
    thread.get_by_label("Your reply (Markdown)").fill("What wording would you accept?")
    thread.get_by_role("button", name="Reply").click()
    other.wait_for_url("**/Roadmap#thread-1")
    expect(other.locator("#thread-1 .thread-comment")).to_have_count(2)
    expect(other.locator("#thread-1").get_by_role("button", name="Resolve")).to_have_count(0)

    page.goto(f"{live.url}/Roadmap")
    page.locator("#thread-1").get_by_role("button", name="Resolve").click()
    page.wait_for_url("**/Roadmap#thread-1")
    expect(page.locator(".passage.contested")).to_have_count(0)
    expect(page.locator("mark.comment-mark")).to_have_count(0)
    page.goto(f"{live.url}/Roadmap/-/comments")
    expect(page.locator("#resolved-heading")).to_contain_text("(1)")
    expect(page.locator("#thread-1")).to_contain_text("What wording would you accept?")
    assert_accessible(page)
    assert page.console_errors == [] and other.console_errors == []  # type: ignore[attr-defined]


def test_commenting_on_a_paragraph_without_javascript(live: LiveWiki, new_context: Callable[..., BrowserContext]
                                                      ) -> None:
    store = live.app.extensions["wiki_store"]
    store.save_page("Roadmap", TEXT, base=store.head(), author=EDITOR, summary="Start")
    page = watched_page(new_context(viewport=WIDE, java_script_enabled=False))
    login(page, live.url)
    page.goto(f"{live.url}/Roadmap")
    page.get_by_role("link", name="Comment on paragraph 2").click()
    page.get_by_label("Your comment (Markdown)").fill("A question without scripts.")
    page.get_by_label("Kind").select_option("question")
    page.get_by_role("button", name="Add the comment").click()
    expect(page.locator("#passage-2 mark.comment-mark")).to_have_text(  # the passage, split at the <strong>
        ["The free flow of information is", "essential", "to development."])
    expect(page.locator("#thread-1")).to_contain_text("A question without scripts.")


def test_the_comments_list_reads_in_arabic_and_chinese(live: LiveWiki, new_context: Callable[..., BrowserContext]
                                                       ) -> None:
    store = live.app.extensions["wiki_store"]
    store.save_page("Roadmap", TEXT, base=store.head(), author=EDITOR, summary="Start")
    discussions = live.app.extensions["wiki_discussions"]
    blob = store.page_blob_id("Roadmap")
    store.comments.start("Roadmap", discussions.anchor(blob, store.head(), paragraph=3), "objection",
                         "اعتراض على هذه الفقرة. 我们反对。", proposal=None, author=EDITOR)
    for language in ("ar", "zh"):
        page = watched_page(new_context(viewport=WIDE, locale=language, extra_http_headers={
            "Accept-Language": language}))
        page.goto(f"{live.url}/Roadmap")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator(".contested-mark")).to_be_visible()
        assert_accessible(page)
        screenshot(page, f"comments-{language}")
        page.goto(f"{live.url}/-/comments")
        expect(page.locator("table.comment-table tbody tr")).to_have_count(1)
        assert_accessible(page)
        screenshot(page, f"comments-list-{language}")
