"""Rendered diffs (issue 29): /<page>/-/diff?view=rendered shows the formatted page with the words
inserted and deleted marked, as well formed as the page itself."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

from flask.testing import FlaskClient

from wiki.htmldiff import diff_html
from wiki.store import Author, Store

EDA = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")
VOID = {"br", "hr", "img", "input", "col", "wbr"}


class Balance(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()


def balanced(html: str) -> bool:
    parser = Balance()
    parser.feed(html)
    parser.close()
    return not parser.stack


def test_words_are_marked_inside_the_formatted_page() -> None:
    result = diff_html("<h2>Gaps</h2>\n<p>The free flow of <em>information</em> is essential.</p>",
                       "<h2>Gaps</h2>\n<p>The free flow of <em>data</em> is essential.</p>")
    assert result.html == ("<h2>Gaps</h2>\n<p>The free flow of <em><del>information</del><ins>data</ins></em> is "
                           "essential.</p>")
    assert (result.inserted, result.deleted) == (1, 1)


def test_tables_lists_and_whole_blocks_stay_well_formed() -> None:
    old = ("<table>\n<tbody>\n<tr><td>one</td><td>two</td></tr>\n<tr><td>gone</td><td>row</td></tr>\n</tbody>\n"
           "</table>\n<ul>\n<li>x</li>\n<li>y</li>\n</ul>\n<p>Dropped paragraph.</p>")
    new = ("<table>\n<tbody>\n<tr><td>one</td><td>three</td></tr>\n</tbody>\n</table>\n<ul>\n<li>y</li>\n</ul>\n"
           "<p>New one.</p>")
    result = diff_html(old, new)
    assert balanced(result.html)
    assert "<td><del>two" in result.html and "<ins>three</ins></td>" in result.html  # cell by cell
    assert "<tr><del>" not in result.html and "<tbody><del>" not in result.html  # no text where it may not stand
    assert "<del>Dropped paragraph.</del>" in result.html and "<ins>New one.</ins>" in result.html
    assert diff_html(new, new).html == new and diff_html("", new).inserted == 5


def test_a_large_rewrite_stays_within_its_budget() -> None:
    old = "\n".join(f"<p>{' '.join(f'w{i}x{j}' for j in range(200))}</p>" for i in range(200))
    new = "\n".join(f"<p>{' '.join(f'v{i}y{j}' for j in range(200))}</p>" for i in range(200))
    started = time.monotonic()
    result = diff_html(old, new)
    assert time.monotonic() - started < 10 and balanced(result.html) and result.inserted == 40_000
    assert result.whole_blocks  # past the budget: the reader is told
    assert not diff_html("<p>one two</p>", "<p>one three</p>").whole_blocks


LONG = " ".join(f"word{number}" for number in range(400))  # one paragraph past a block pair's word budget
WHOLE_NOTICE = "some changed paragraphs are shown as wholly deleted and inserted"


def test_a_diff_past_its_word_budget_says_so_wherever_it_is_shown(client: FlaskClient, store: Store) -> None:
    first = store.save_page("Gaps", f"# Gaps\n\n{LONG}\n\nShort one.\n", base=store.head(), author=EDA,
                            summary="v1").commit
    store.save_page("Gaps", f"# Gaps\n\n{LONG.replace('word7 ', 'term7 ')}\n\nShort one.\n", base=store.head(),
                    author=EDA, summary="v2")
    page = client.get("/Gaps/-/diff").get_data(as_text=True)
    assert WHOLE_NOTICE in page and "<del>word0 " in page  # the long paragraph is shown whole, and why
    assert WHOLE_NOTICE in client.get(f"/-/compare?from={first}").get_data(as_text=True)
    proposal = store.proposals.create("Shorter", "Less", author=EDA)
    pages = store.proposals.pages_of(proposal.number)
    pages.save_page("Gaps", f"# Gaps\n\n{LONG.replace('word9 ', '')}\n\nShort.\n", base=store.head(), author=EDA,
                    summary="less")
    assert WHOLE_NOTICE in client.get(f"/-/proposals/{proposal.number}").get_data(as_text=True)
    french = client.get("/Gaps/-/diff", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "certains paragraphes modifiés sont montrés comme entièrement supprimés" in french  # the reader's language
    small = client.get(f"/Gaps/-/diff?from={first}&to={first}").get_data(as_text=True)
    assert "diff-notice" not in small


def test_the_rendered_view_over_http(client: FlaskClient, store: Store) -> None:
    store.save_page("Gaps", "# Gaps\n\n| A | B |\n|---|---|\n| one | two |\n\nKeep this.\n", base=store.head(),
                    author=EDA, summary="v1")
    store.save_page("Gaps", "# Gaps\n\n| A | B |\n|---|---|\n| one | **three** |\n\nKeep this.\n",
                    base=store.head(), author=EDA, summary="v2")
    page = client.get("/Gaps/-/diff")  # formatted by default
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<del>two</del>" in html and "<strong><ins>three</ins></strong>" in html and "<th>A</th>" in html
    assert "|---|" not in html  # formatted, not Markdown
    assert "rendered-diff" in html and "rendered-diff" in client.get("/Gaps/-/diff?view=rendered").text
    assert "view=inline" in html and "Markdown source" in html  # the source diff one click away
    source = client.get("/Gaps/-/diff?view=inline").get_data(as_text=True)
    assert "**" in source and "rendered-diff" not in source
    assert client.get("/Gaps/-/diff?view=fancy").status_code == 400


def test_the_proposal_page_shows_its_changes_formatted(client: FlaskClient, store: Store) -> None:
    store.save_page("Gaps", "# Gaps\n\nThe free flow of information is essential.\n", base=store.head(), author=EDA,
                    summary="v1")
    proposal = store.proposals.create("Say data", "Shorter", author=EDA)
    pages = store.proposals.pages_of(proposal.number)
    pages.save_page("Gaps", "# Gaps\n\nThe free flow of data is essential.\n", base=store.head(), author=EDA,
                    summary="data")
    source = client.get(f"/-/proposals/{proposal.number}?view=source").get_data(as_text=True)
    assert "rendered-diff" not in source and "information" in source
    html = client.get(f"/-/proposals/{proposal.number}").get_data(as_text=True)  # formatted by default
    assert "view=source" in html and "Markdown source" in html
    assert "<p>The free flow of <del>information</del> <ins>data</ins> is essential.</p>" in html.replace(
        "</del><ins>", "</del> <ins>")


def test_compare_shows_each_page_formatted_and_the_source_one_click_away(client: FlaskClient, store: Store) -> None:
    first = store.save_page("Gaps", "# Gaps\n\n- one\n- two\n", base=store.head(), author=EDA, summary="v1").commit
    store.save_page("Gaps", "# Gaps\n\n- one\n- *three*\n", base=store.head(), author=EDA, summary="v2")
    store.save_page("Scope", "Only the **scope**.\n", base=store.head(), author=EDA, summary="new page")
    html = client.get(f"/-/compare?from={first}").get_data(as_text=True)
    assert "<li><em><ins>three</ins></em></li>" in html.replace("<li><del>two</del>", "<li>")
    assert "<strong><ins>scope</ins></strong>" in html or "<ins><strong>scope</strong></ins>" in html
    assert "- *three*" not in html and "view=source" in html
    source = client.get(f"/-/compare?from={first}&view=source").get_data(as_text=True)
    assert "rendered-diff" not in source and "*three*" in source
    assert client.get(f"/-/compare?from={first}&view=fancy").status_code == 400


def test_pages_shown_one_after_another_never_repeat_an_id(client: FlaskClient, store: Store) -> None:
    first = store.head()
    for name in ("One", "Two"):
        store.save_page(name, "# Scope\n\n## Gaps\n\nText.\n", base=store.head(), author=EDA, summary=name)
    html = client.get(f"/-/compare?from={first}").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and any(value.endswith("-gaps") for value in ids)
