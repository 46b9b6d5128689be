"""The search index is built off the request path: a query during a build answers at once from what
is indexed and says so (on /-/search and in the API), and later queries see the complete index."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient

import wiki.search.index
from wiki.search import SearchIndex
from wiki.store import Author, Store

AUTHOR = Author(name="Script", email="script@example.org", username="script", group="governments")
NOTICE = "The search index is being brought up to date"


@contextmanager
def another_process_building(index: SearchIndex) -> Iterator[None]:
    """Hold the build lock as a worker process building the index would."""
    with open(index.lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def test_a_query_during_a_build_answers_from_what_is_indexed_and_says_so(app: Flask, client: FlaskClient,
                                                                         store: Store) -> None:
    index: SearchIndex = app.extensions["wiki_search"]
    index.sync()
    store.save_page("Numbat", "The numbat eats termites.\n", base=store.head(), author=AUTHOR, summary="")
    with another_process_building(index):
        assert index.building()
        response = client.get("/-/search?q=numbat")
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and NOTICE in page and 'href="/Numbat"' not in page
        assert response.headers["Cache-Control"] == "private, no-cache" and "ETag" not in response.headers
        answer = client.get("/-/api/v1/search?q=numbat")
        assert answer.status_code == 200 and answer.json["indexing"] is True and answer.json["items"] == []
        assert "ETag" not in answer.headers
    assert index.wait_for_build(timeout=30)  # the query started the build, which waited for the lock
    assert index.indexed_commit() == store.head() and not index.building()
    page = client.get("/-/search?q=numbat").get_data(as_text=True)
    assert 'href="/Numbat"' in page and NOTICE not in page
    answer = client.get("/-/api/v1/search?q=numbat")
    assert answer.json["indexing"] is False and [item["page"] for item in answer.json["items"]] == ["Numbat"]
    assert "ETag" in answer.headers


def test_a_large_change_is_indexed_in_the_background(app: Flask, store: Store,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    index: SearchIndex = app.extensions["wiki_search"]
    index.sync()
    monkeypatch.setattr(wiki.search.index, "INLINE_PAGES", 1)
    for number in range(3):
        store.save_page(f"Quoll_{number}", f"The quoll number {number}.\n", base=store.head(), author=AUTHOR,
                        summary="")
    assert index.search("quoll").indexing  # three pages to index: left to the builder, the query did not wait
    assert index.wait_for_build(timeout=30)
    results = index.search("quoll")
    assert not results.indexing and results.total == 3


def test_a_small_change_is_indexed_by_the_query_itself(app: Flask, store: Store) -> None:
    index: SearchIndex = app.extensions["wiki_search"]
    index.sync()
    store.save_page("Dunnart", "The dunnart hunts.\n", base=store.head(), author=AUTHOR, summary="")
    results = index.search("dunnart")
    assert not results.indexing and [hit.page for hit in results.hits] == ["Dunnart"]
