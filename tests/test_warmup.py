"""After start, off the request path: the search index is built and the history and blame of the
busiest pages are in the caches, so their first readers run no git."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask

from wiki import warmup
from wiki.store import Author, LRUCache, Store

AUTHOR = Author(name="Script", email="script@example.org", username="script", group="governments")


def edit(store: Store, page: str, times: int) -> None:
    for number in range(times):
        store.save_page(page, f"# {page}\n\nRevision {number}.\n", base=store.head(), author=AUTHOR, summary="")


def test_the_busiest_pages_come_first(store: Store) -> None:
    edit(store, "Busy", 5)
    edit(store, "Quiet", 2)
    assert warmup.busiest_pages(store, store.head(), count=2) == ["Busy", "Quiet"]


def test_warmed_history_and_blame_need_no_git(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(store, "Busy", 4)
    assert warmup.warm_caches(store)[0] == "Busy"

    def no_git(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"git ran: {args}")

    monkeypatch.setattr(store.reader, "run", no_git)
    assert len(store.page_history("Busy")) == 4
    assert store.blame("Busy").blocks


def test_start_builds_the_search_index_in_the_background(app: Flask, store: Store) -> None:
    edit(store, "Busy", 2)
    index = app.extensions["wiki_search"]
    assert index.indexed_commit() is None
    warmup.start(app, delay=0).join(timeout=60)
    assert index.wait_for_build(timeout=60)
    assert index.indexed_commit() == store.head()


def test_background_work_waits_while_a_request_is_served(app: Flask) -> None:
    activity: warmup.Activity = app.extensions["wiki_activity"]
    seen: list[bool] = []

    @app.get("/-/test-activity")
    def probe() -> str:
        seen.append(activity.busy())
        return "ok"

    assert app.test_client().get("/-/test-activity").status_code == 200
    assert seen == [True] and not activity.busy()
    activity.begin()
    started = time.monotonic()
    activity.pause(limit=0.2)  # a request stays: the pause ends at its limit, never later
    assert 0.2 <= time.monotonic() - started < 2
    activity.end()
    started = time.monotonic()
    activity.pause(limit=5)
    assert time.monotonic() - started < 1


def test_a_reader_arriving_during_the_warm_up_waits_for_its_value_instead_of_computing_it_again() -> None:
    cache: LRUCache[str, int] = LRUCache(4)
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow() -> int:  # the warm-up's history of a busy page
        calls.append("warm-up")
        started.set()
        release.wait(10)
        return 42

    warming = threading.Thread(target=lambda: cache.get_or_compute("history", slow))
    warming.start()
    assert started.wait(10)
    answers: list[int] = []
    reader = threading.Thread(target=lambda: answers.append(cache.get_or_compute("history", lambda: calls.append(
        "reader") or 0)))
    reader.start()
    time.sleep(0.2)  # the reader arrives while the value is being computed
    release.set()
    warming.join(10)
    reader.join(10)
    assert answers == [42] and calls == ["warm-up"]
