"""Full-text search: ranking, snippets, phrases and prefixes, scripts, catch-up, safety, paging."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.search import SearchIndex, match_expression
from wiki.store import Author, Store

from .conftest import git, make_app

AUTHOR = Author(name="Script", email="script@example.org", username="script", group="governments")


def put(store: Store, page: str, text: str) -> str:
    result = store.save_page(page, text, base=store.head(), author=AUTHOR, summary=f"Write {page}")
    assert result.commit
    return result.commit


def index(app: Flask) -> SearchIndex:
    return app.extensions["wiki_search"]


def found(app: Flask, query: str, **kwargs: object) -> list[str]:
    return [hit.page for hit in index(app).search(query, **kwargs).hits]


def test_titles_and_headings_rank_above_body_text(app: Flask, store: Store) -> None:
    put(store, "Notes/Body_only", "# Notes\n\n" + "The albatross flies. " * 5 + "\n")
    put(store, "Notes/Heading", "# Birds\n\n## Albatross\n\nLarge sea birds.\n")
    put(store, "Notes/Albatross", "# About\n\nSea birds once.\n")
    assert found(app, "albatross") == ["Notes/Albatross", "Notes/Heading", "Notes/Body_only"]


def test_snippet_highlights_the_match_and_escapes_page_html(client: FlaskClient, store: Store) -> None:
    put(store, "Snip", "# Snip\n\nBefore <script>alert(1)</script> the quokka smiles at visitors.\n")
    html = client.get("/-/search?q=quokka").get_data(as_text=True)
    assert "<mark>quokka</mark> smiles" in html
    assert "<script>alert" not in html
    assert 'href="/Snip"' in html


def test_phrase_query_needs_the_words_together(app: Flask, store: Store) -> None:
    put(store, "Together", "Closing the digital divide matters.\n")
    put(store, "Apart", "A divide that is not digital at all.\n")
    assert found(app, '"digital divide"') == ["Together"]
    assert sorted(found(app, "digital divide")) == ["Apart", "Together"]


def test_prefix_query(app: Flask, store: Store) -> None:
    put(store, "Prefix", "Cyberattacks and cybernetics.\n")
    assert "Prefix" in found(app, "cyberatt*")
    assert "Prefix" not in found(app, "cyberatt")


@pytest.mark.parametrize(("text", "query"), [
    ("تعزيز الشفافية في حوكمة الإنترنت\n", "الشفافية"),  # Arabic
    ("تعزيز الشَّفَافِيَة في الحوكمة\n", "الشفافية"),  # Arabic with vowel marks in the text
    ("تعزيز الشفافية في الحوكمة\n", "الشَّفَافِيَة"),  # ... and in the query
    ("我们讨论互联网治理的未来。\n", "治理"),  # Chinese: a two-character word inside a sentence
    ("我们讨论互联网治理的未来。\n", "互联网治理"),  # a longer word spanning two
    ("Кибербезопасность и Управление Интернетом.\n", "управление"),  # Russian, case folded
    ("Новая ёлка у дома.\n", "елка"),  # Russian ё found as е
])
def test_non_latin_scripts(app: Flask, store: Store, text: str, query: str) -> None:
    put(store, "Scripts", text)
    put(store, "Other", "Nothing related here.\n")
    assert found(app, query) == ["Scripts"]


def test_chinese_snippet_reads_without_inserted_spaces(client: FlaskClient, store: Store) -> None:
    put(store, "中文", "我们讨论互联网治理的未来。\n")
    html = client.get("/-/search?q=治理").get_data(as_text=True)
    assert "互联网<mark>治理</mark>的未来" in html or "互联网<mark>治</mark><mark>理</mark>的未来" in html
    assert "\u2063" not in html


def test_chinese_does_not_match_characters_out_of_order(app: Flask, store: Store) -> None:
    put(store, "Order", "理论与治疗。\n")  # has 理 and 治, but not the word 治理
    assert found(app, "治理") == []


def test_index_catches_up_with_a_commit_made_with_the_store(app: Flask, store: Store) -> None:
    assert found(app, "wombat") == []
    assert index(app).indexed_commit() == store.head()
    put(store, "Marsupials", "The wombat digs.\n")  # not through the web editor
    assert found(app, "wombat") == ["Marsupials"]
    assert index(app).indexed_commit() == store.head()


def test_index_catches_up_with_a_push_and_a_delete_by_git(app: Flask, store: Store, tmp_path: Path) -> None:
    found(app, "anything")  # index the seed
    work = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(store.path), str(work)], check=True)
    (work / "Pushed.md").write_text("# Pushed\n\nThe platypus lays eggs.\n", encoding="utf-8")
    ident = ["-c", "user.name=Git User", "-c", "user.email=git@example.org"]
    subprocess.run(["git", "-C", str(work), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(work), *ident, "commit", "-qm", "Push a page"], check=True)
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "main"], check=True)
    assert found(app, "platypus") == ["Pushed"]
    subprocess.run(["git", "-C", str(work), "rm", "-q", "Pushed.md"], check=True)
    subprocess.run(["git", "-C", str(work), *ident, "commit", "-qm", "Remove it"], check=True)
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "main"], check=True)
    assert found(app, "platypus") == []
    assert git(store.path, "rev-parse", "main").strip() == index(app).indexed_commit()


def test_index_is_rebuilt_when_missing_or_pointing_at_an_unknown_commit(app: Flask, store: Store) -> None:
    put(store, "Kept", "The quetzal sings.\n")
    assert found(app, "quetzal") == ["Kept"]
    search = index(app)
    connection = search.connection()
    connection.execute("UPDATE meta SET value = ? WHERE key = 'commit'", ("f" * 40,))
    connection.execute("DELETE FROM docs")
    assert found(app, "quetzal") == ["Kept"]
    search.close()
    Path(app.config["SEARCH_DATABASE"]).unlink()
    assert found(app, "quetzal") == ["Kept"]


def test_section_filter(client: FlaskClient, store: Store, app: Flask) -> None:
    put(store, "Zoo/Lemur", "Lemurs live on Madagascar.\n")
    put(store, "Zoo_two/Lemur", "Lemurs elsewhere, Madagascar.\n")
    put(store, "Lemur", "Madagascar again.\n")
    assert found(app, "madagascar", section="Zoo") == ["Zoo/Lemur"]
    html = client.get("/-/search?q=madagascar&section=Zoo").get_data(as_text=True)
    assert 'href="/Zoo/Lemur"' in html and 'href="/Zoo_two/Lemur"' not in html


def test_paging(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", SEARCH_PAGE_SIZE=2)
    store: Store = app.extensions["wiki_store"]
    for number in range(5):
        put(store, f"Paged_{number}", "The narwhal swims.\n")
    client = app.test_client()
    first = client.get("/-/search?q=narwhal").get_data(as_text=True)
    third = client.get("/-/search?q=narwhal&p=3").get_data(as_text=True)
    assert "5 pages match; showing 1–2" in first and "p=2" in first
    assert "showing 5–5" in third and "Next" not in third
    assert client.get("/-/search?q=narwhal&p=4").status_code == 404
    assert client.get("/-/search?q=narwhal&p=0").status_code == 400
    store.close()


@pytest.mark.parametrize("query", [
    '"', '""', "*", "***", "NEAR(a b)", "title:x", "AND OR NOT", "a OR", "^start", ")", "(", "-",
    "'; DROP TABLE pages; --", "x" * 5000, "a\x00b", "{title body}: x", "\"unclosed phrase", "col:*",
    "a" * 40 + "*", " ".join(["word"] * 100), "\u2063", "😀", "NOT", "+", ":",
])
def test_hostile_queries_never_fail(client: FlaskClient, query: str) -> None:
    response = client.get("/-/search", query_string={"q": query})
    assert response.status_code == 200


@pytest.mark.parametrize(("query", "expression"), [
    ("cyber*", '"cyber" *'),
    ('"digital divide" now', '"digital divide" "now"'),
    ('say "hi', '"say" "hi"'),
    ('a"b', '"a""b"'),
    ("NEAR(x)", '"NEAR(x)"'),
    ("--- ***", None),
    ("网络", '"\u2063网\u2063\u2063络\u2063"'),
])
def test_match_expression_quotes_every_term(query: str, expression: str | None) -> None:
    assert match_expression(query) == expression


def test_results_follow_read_permission(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", PUBLIC_READ=False)
    put(app.extensions["wiki_store"], "Secret", "The okapi hides.\n")
    client = app.test_client()
    response = client.get("/-/search?q=okapi")
    assert response.status_code == 302 and "/-/login" in response.headers["Location"]
    from .conftest import Auth

    Auth(client).login("reader")
    assert 'href="/Secret"' in client.get("/-/search?q=okapi").get_data(as_text=True)
    app.extensions["wiki_store"].close()


def test_search_box_in_every_page_header(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'action="/-/search"' in html and 'name="q"' in html


def test_empty_query_shows_the_form(client: FlaskClient) -> None:
    response = client.get("/-/search")
    assert response.status_code == 200 and 'name="q"' in response.get_data(as_text=True)


def test_snippets_show_text_not_markdown_markup(app: Flask, store: Store) -> None:
    store.save_page("Markup", "> **Starting draft.** A *quoted* zebra line.\n\n- zebra item\n\n| zebra | cell |\n"
                    "|---|---|\n", base=store.head(), author=AUTHOR, summary="")
    results = app.extensions["wiki_search"].search("zebra")
    snippet = "".join(text for text, _ in results.hits[0].snippet)
    assert "Starting draft. A quoted zebra line." in snippet
    assert "**" not in snippet and "|" not in snippet and ">" not in snippet and "---" not in snippet


def snippet_of(app: Flask, query: str) -> str:
    """The first hit's snippet with its marked pieces in brackets."""
    return "".join(f"[{text}]" if marked else text for text, marked in index(app).search(query).hits[0].snippet)


def test_snippet_centres_the_matches_and_marks_what_is_left_out(app: Flask, store: Store) -> None:
    words = " ".join(f"w{number}" for number in range(100))
    put(store, "Words", words + "\n")
    assert snippet_of(app, "w50") == "…" + " ".join(f"w{number}" for number in range(39, 50)) + " [w50] " + " ".join(
        f"w{number}" for number in range(51, 63)) + "…"  # as FTS5's snippet() cut it
    assert snippet_of(app, "w1").startswith("w0 [w1] w2 ") and snippet_of(app, "w1").endswith(" w23…")
    assert snippet_of(app, "w98").startswith("…w76 ") and snippet_of(app, "w98").endswith(" [w98] w99\n")
    assert snippet_of(app, "w40 w55").startswith("…w36 w37 w38 w39 [w40] w41")  # both, centred
    assert "[w55] w56 w57 w58 w59…" in snippet_of(app, "w40 w55")


def test_snippet_marks_phrases_prefixes_and_folded_spellings(app: Flask, store: Store) -> None:
    put(store, "Marks", "One two three four five six seven; two three four five six eight. L'Élan du café.\n")
    assert "[two three four five six eight]." in snippet_of(app, '"two three four five six eight"')
    assert "[Élan] du [café]" in snippet_of(app, "elan CAFÉ")
    assert "[seven]" in snippet_of(app, "seve*")


def test_snippet_of_a_page_found_by_its_title_starts_the_page(app: Flask, store: Store) -> None:
    put(store, "Aardvark", "Nothing about it here.\n")
    assert snippet_of(app, "aardvark") == "Nothing about it here.\n"


def test_snippet_of_very_long_words_stays_short(app: Flask, store: Store) -> None:
    put(store, "Long", "x" * 50_000 + " wombat " + "y" * 50_000 + "\n")
    snippet = snippet_of(app, "wombat")
    assert "[wombat]" in snippet and len(snippet) < 500 and snippet.startswith("…") and snippet.endswith("…")
