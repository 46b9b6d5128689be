"""Indexing takes linear time whatever a page holds, and a page is indexed once, never per request.

Growth is measured from n to 4n characters in one run (CPU time of this process), for each kind
of text that made a pattern backtrack; then 1 MB of each, and the pages through the web.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki import search
from wiki.search import SearchIndex, indexed_parts
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
def test_one_megabyte_indexes_in_under_two_seconds(make: Callable[[int], str]) -> None:
    text = make(MB)
    assert len(text) >= 0.95 * MB
    start = time.process_time()
    headings, body, _links = indexed_parts(text + "\nzebra")
    search.fold(body)
    assert time.process_time() - start < 2.0
    assert "zebra" in body


def test_the_text_after_a_pathological_part_is_found(app: Flask, client: FlaskClient, store: Store) -> None:
    store.save_page("Spaces", "# a" + " " * 150_000 + "bandicoot", base=store.head(), author=AUTHOR, summary="")
    store.save_page("Links", "[a](" * 50_000 + " wallaby [[Spaces]] " + "[[a" * 50_000, base=store.head(),
                    author=AUTHOR, summary="")
    start = time.process_time()
    assert [hit.page for hit in app.extensions["wiki_search"].search("bandicoot").hits] == ["Spaces"]
    assert [hit.page for hit in app.extensions["wiki_search"].search("wallaby").hits] == ["Links"]
    assert app.extensions["wiki_search"].backlinks("Spaces") == ["Links"]
    for url in ("/-/search?q=bandicoot", "/-/pages", "/-/wanted", "/Spaces"):
        assert client.get(url).status_code == 200
    assert time.process_time() - start < 10


def test_a_page_that_fails_to_index_is_indexed_as_plain_text_once(app: Flask, store: Store,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    index: SearchIndex = app.extensions["wiki_search"]
    index.sync()
    calls = []

    def failing(text: str) -> tuple[str, str]:
        calls.append(text)
        raise RuntimeError("scanner failed")

    monkeypatch.setattr(search, "split_text", failing)
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
    monkeypatch.setattr(search, "INDEX_CHUNK_SECONDS", 0.0)  # commit after every page
    split_text = search.split_text
    indexed: list[str] = []

    class Timeout(BaseException):
        """Stands for the worker being stopped."""

    def stop_after_three(text: str) -> tuple[str, str]:
        if len(indexed) == 3:
            raise Timeout
        indexed.append(text)
        return split_text(text)

    monkeypatch.setattr(search, "split_text", stop_after_three)
    with pytest.raises(Timeout):
        index.sync()
    assert index.indexed_commit() != store.head()
    monkeypatch.setattr(search, "split_text", lambda text: (indexed.append(text), split_text(text))[1])
    assert len(index.search("numbat").hits) == 6
    assert len(indexed) == 6 and len(set(indexed)) == 6  # the last three only, not all six again
    assert index.indexed_commit() == store.head()
