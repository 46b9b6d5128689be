"""Indexing and searching take linear time whatever a page holds, and a page is indexed once.

Growth is measured from n to 4n characters in one run (CPU time of this process), for each kind
of text that made a pattern backtrack, and for searches of pages with very many matches (issue
12: FTS5's snippet() took time quadratic in them); then 1 MB of each, and the pages through the web.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki import search
from wiki.search import SNIPPET_MAX_CHARS, SearchIndex, indexed_parts
from wiki.store import Author, Store

AUTHOR = Author(name="Script", email="script@example.org", username="script", group="governments")
MB = 1_000_000

KINDS: dict[str, Callable[[int], str]] = {
    "heading_then_spaces": lambda n: "# a" + " " * n + "b",  # issue 12
    "heading_then_hashes": lambda n: "# " + "#" * n + " b",
    "many_heading_lines": lambda n: "## h #\n" * (n // 7),
    "open_links": lambda n: "[a](" * (n // 4),
    "open_images": lambda n: "![" * (n // 2),
    "open_wiki_links": lambda n: "[[a" * (n // 3),
    "open_wiki_links_with_labels": lambda n: "[[a|" * (n // 4),
    "brackets": lambda n: "[" * n,
    "nested_brackets": lambda n: "[" * (n // 2) + "](" * (n // 4),
    "open_footnotes": lambda n: "[^" * (n // 2),
    "open_tags": lambda n: "<" * n,
    "table_rule_then_text": lambda n: "-" * n + "x",
    "table_cells": lambda n: "|-" * (n // 2) + "x",
    "quote_markers": lambda n: "> " * (n // 2) + "x",
    "list_markers": lambda n: "- " * (n // 2) + "x",
    "emphasis": lambda n: "*_~" * (n // 3),
    "unclosed_fences": lambda n: "```\n" + "~~~x\n" * (n // 5),
    "fences": lambda n: "```\n" * (n // 4),
    "inline_code": lambda n: "`a" * (n // 2),
    "blank_lines": lambda n: "\n" * n,
    "words": lambda n: "word " * (n // 5),
}


def cpu_time(text: str) -> float:
    start = time.process_time()
    indexed_parts(text)
    return time.process_time() - start


@pytest.mark.parametrize("make", KINDS.values(), ids=KINDS.keys())
def test_indexing_time_grows_linearly(make: Callable[[int], str]) -> None:
    small, large = make(50_000), make(200_000)
    cpu_time(small)  # warm up
    at_n, at_4n = min(cpu_time(small) for _ in range(2)), cpu_time(large)
    assert at_4n < 8 * at_n + 0.05, (at_n, at_4n)


@pytest.mark.parametrize("make", KINDS.values(), ids=KINDS.keys())
def test_one_megabyte_is_indexed_with_what_follows_it(make: Callable[[int], str]) -> None:
    """The text after a megabyte of any class is indexed (the time is a figure of make bench)."""
    text = make(MB)
    assert len(text) >= 0.95 * MB
    headings, body, _links = indexed_parts(text + "\nzebra")
    search.fold(body)
    assert "zebra" in body


# Pages (n bytes at most) with very many matches of their query, and near misses of it.
SEARCHES: dict[str, tuple[Callable[[int], str], str]] = {
    "open_wiki_links": (lambda n: "[[a" * (n // 3), "a"),  # issue 12
    "open_links": (lambda n: "[a](" * (n // 4), "a"),  # issue 12
    "words": (lambda n: "a " * (n // 2), "a"),
    "two_words": (lambda n: "a b " * (n // 4), "b a"),
    "phrase": (lambda n: "a b " * (n // 4), '"a b a"'),
    "prefix": (lambda n: "ab " * (n // 3), "a*"),
    "a_word_at_the_end": (lambda n: "a " * (n // 2 - 4) + "zebra", "a zebra"),
    "near_misses_of_a_long_phrase": (lambda n: "a " * (n // 2 - 1) + "c", '"' + "a " * 40 + 'c"'),
    "long_token": (lambda n: "a" * (n - 2) + " a", "a"),
    "separators": (lambda n: "a" + "[" * (n - 2) + "a", "a"),
    "chinese": (lambda n: "治理" * (n // 6), "治理"),
    "russian": (lambda n: "ёлка " * (n // 9), "елка"),
    "accents": (lambda n: "Élan " * (n // 6), "elan"),
}


def search_time(index: SearchIndex, query: str) -> float:
    start = time.process_time()
    results = index.search(query, section="Bounds")  # not the seed pages, which have "a" too
    elapsed = time.process_time() - start
    assert [hit.page for hit in results.hits] == ["Bounds/Many"]
    snippet = results.hits[0].snippet
    assert sum(len(text) for text, _ in snippet) <= SNIPPET_MAX_CHARS + 2  # and the ellipses
    return elapsed


@pytest.mark.parametrize(("make", "query"), SEARCHES.values(), ids=SEARCHES.keys())
def test_search_time_grows_linearly(app: Flask, store: Store, make: Callable[[int], str], query: str) -> None:
    index: SearchIndex = app.extensions["wiki_search"]
    times = []
    for size in (30_000, 120_000):  # FTS5's snippet() took 0.7 s and 14 s for open_wiki_links
        store.save_page("Bounds/Many", make(size), base=store.head(), author=AUTHOR, summary="")
        index.sync()
        search_time(index, query)  # warm up
        times.append(min(search_time(index, query) for _ in range(2)))
    at_n, at_4n = times
    assert at_4n < 8 * at_n + 0.05, (at_n, at_4n)


@pytest.mark.parametrize(("make", "query"), SEARCHES.values(), ids=SEARCHES.keys())
def test_one_megabyte_page_is_found_with_a_snippet(app: Flask, store: Store, make: Callable[[int], str],
                                                  query: str) -> None:
    text = make(MB)
    assert 0.95 * MB <= len(text.encode()) <= MB
    store.save_page("Bounds/Many", text, base=store.head(), author=AUTHOR, summary="")
    index: SearchIndex = app.extensions["wiki_search"]
    index.sync()
    search_time(index, query)  # finds the page with a marked snippet; its time is a figure of make bench


def test_many_large_pages_with_many_matches_search_in_bounded_time(app: Flask, store: Store) -> None:
    for number in range(5):
        store.save_page(f"Bounds/Large_{number}", "[[a" * (MB // 3), base=store.head(), author=AUTHOR, summary="")
    index: SearchIndex = app.extensions["wiki_search"]
    index.sync()
    results = index.search("a", section="Bounds")
    assert results.total == 5 and all(any(marked for _, marked in hit.snippet) for hit in results.hits)


def test_the_text_after_a_pathological_part_is_found(app: Flask, client: FlaskClient, store: Store) -> None:
    store.save_page("Spaces", "# a" + " " * 150_000 + "bandicoot", base=store.head(), author=AUTHOR, summary="")
    store.save_page("Links", "[a](" * 50_000 + " wallaby [[Spaces]] " + "[[a" * 50_000, base=store.head(),
                    author=AUTHOR, summary="")
    assert [hit.page for hit in app.extensions["wiki_search"].search("bandicoot").hits] == ["Spaces"]
    assert [hit.page for hit in app.extensions["wiki_search"].search("wallaby").hits] == ["Links"]
    assert app.extensions["wiki_search"].backlinks("Spaces") == ["Links"]
    for url in ("/-/search?q=bandicoot", "/-/pages", "/-/wanted", "/Spaces"):
        assert client.get(url).status_code == 200


def test_a_page_that_fails_to_index_is_indexed_as_plain_text_once(app: Flask, store: Store,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    index: SearchIndex = app.extensions["wiki_search"]
    index.sync()
    calls = []

    def failing(text: str) -> tuple[str, str]:
        calls.append(text)
        raise RuntimeError("scanner failed")

    monkeypatch.setattr(search.parts, "split_text", failing)
    store.save_page("Odd", "# Heading\n\nThe [[Elsewhere]] echidna.\n", base=store.head(), author=AUTHOR, summary="")
    assert [hit.page for hit in index.search("echidna").hits] == ["Odd"]
    assert index.indexed_commit() == store.head()
    index.search("echidna")
    index.backlinks("Elsewhere")
    assert len(calls) == 1


def test_a_sync_stopped_midway_keeps_the_pages_it_indexed(app: Flask, store: Store,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    index: SearchIndex = app.extensions["wiki_search"]
    index.sync()
    for number in range(6):
        store.save_page(f"Many_{number}", f"The numbat number {number}.\n", base=store.head(), author=AUTHOR,
                        summary="")
    monkeypatch.setattr(search.index, "INDEX_CHUNK_SECONDS", 0.0)  # commit after every page
    split_text = search.split_text
    indexed: list[str] = []

    class Timeout(BaseException):
        """Stands for the worker being stopped."""

    def stop_after_three(text: str) -> tuple[str, str]:
        if len(indexed) == 3:
            raise Timeout
        indexed.append(text)
        return split_text(text)

    monkeypatch.setattr(search.parts, "split_text", stop_after_three)
    with pytest.raises(Timeout):
        index.sync()
    assert index.indexed_commit() != store.head()
    monkeypatch.setattr(search.parts, "split_text", lambda text: (indexed.append(text), split_text(text))[1])
    assert len(index.search("numbat").hits) == 6
    assert len(indexed) == 6 and len(set(indexed)) == 6  # the last three only, not all six again
    assert index.indexed_commit() == store.head()
