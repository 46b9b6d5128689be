"""After a worker starts: the derived state a first reader would otherwise pay for, built off the
request path in one daemon thread, bounded in time.

A moment after start (so the first page views have the processor), the search index is brought
up to date in the background (``SearchIndex.build_in_background``: one process of several builds),
then the page history and blame of the busiest pages are computed into this process's caches:
the pages changed most often in the last :data:`RECENT_COMMITS` commits, whose first history or
blame is also the slowest (a page with 1,000 revisions: ~0.4-0.6 s each). Pages are warmed one
after the other until :data:`WARM_SECONDS` have passed; a failure only logs. At exit both threads
are stopped between two git reads (see ``stop_at_exit``).

Both threads share the interpreter with the requests, so they let requests go first: between two
pages they wait while this process serves a request (:class:`Activity`), for at most
:data:`PAUSE_SECONDS` each time, so that steady traffic slows them down without stopping them.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from flask import Flask, g

from .store import Store

START_DELAY_SECONDS = 1.0
RECENT_COMMITS = 1_000
WARM_PAGES = 5
WARM_SECONDS = 10.0
NICENESS = 10
STOP_SECONDS = 5.0  # at exit, how long each thread may take to finish the git read under way
PAUSE_SECONDS = 0.05  # the longest a background step waits for the requests under way

logger = logging.getLogger(__name__)


class Activity:
    """How many requests this process is serving (answers from the response cache aside: they
    take microseconds), for background work that should wait for them."""

    def __init__(self) -> None:
        self._serving = 0
        self._lock = threading.Lock()

    def begin(self) -> None:
        with self._lock:
            self._serving += 1

    def end(self) -> None:
        with self._lock:
            self._serving = max(0, self._serving - 1)

    def busy(self) -> bool:
        return self._serving > 0

    def pause(self, limit: float = PAUSE_SECONDS) -> None:
        """Wait while a request is served, for at most ``limit`` seconds."""
        deadline = time.monotonic() + limit
        while self._serving and time.monotonic() < deadline:
            time.sleep(0.002)


def init_app(app: Flask) -> None:
    """Count the requests in flight (the first hook, so every request is counted) for the index
    builder and the warm-up to wait for."""
    activity = app.extensions["wiki_activity"] = Activity()

    def begin() -> None:
        g.wiki_counted = True
        activity.begin()

    def end(_error: BaseException | None) -> None:
        if g.pop("wiki_counted", False):
            activity.end()

    app.before_request_funcs.setdefault(None, []).insert(0, begin)
    app.teardown_request(end)
    app.extensions["wiki_search"].pause = activity.pause


def busiest_pages(store: Store, head: str, *, commits: int = RECENT_COMMITS, count: int = WARM_PAGES) -> list[str]:
    """The pages changed most often in the last ``commits`` commits up to ``head``, busiest first."""
    return store.most_changed(head, commits=commits, count=count)


def warm_caches(store: Store, *, seconds: float = WARM_SECONDS, stop: threading.Event | None = None,
                activity: Activity | None = None) -> list[str]:
    """Compute the history and blame of the busiest pages into the store's caches, until
    ``seconds`` have passed or ``stop`` is set, letting ``activity``'s requests go first;
    returns the pages warmed."""
    deadline = time.monotonic() + seconds
    stop = stop or threading.Event()
    activity = activity or Activity()
    head = store.head()
    if head is None:
        return []
    warmed = []
    for page in busiest_pages(store, head):
        activity.pause()
        if time.monotonic() >= deadline or stop.is_set():
            break
        store.page_history(page, head)
        activity.pause()
        if time.monotonic() < deadline and not stop.is_set():
            store.blame(page, head)
        warmed.append(page)
    return warmed


def start(app: Flask, *, delay: float = START_DELAY_SECONDS) -> threading.Thread:
    """Start the warming thread of this serving process (``wsgi.py`` calls this)."""
    store: Store = app.extensions["wiki_store"]
    index = app.extensions["wiki_search"]
    stop = threading.Event()

    def run() -> None:
        try:  # Linux: a lower priority for this thread only, so readers' requests go first
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
        except (AttributeError, OSError):
            pass
        if stop.wait(delay):
            return
        try:
            index.build_in_background()
            warmed = warm_caches(store, stop=stop, activity=app.extensions.get("wiki_activity"))
            logger.info("Warmed the history and blame of %s.", ", ".join(warmed) or "no page")
        except Exception:
            if not stop.is_set():  # at exit, git's children are stopped too: nothing to report
                logger.exception("Warming the caches failed; the first readers compute what they need.")

    thread = threading.Thread(target=run, name="warm-up", daemon=True)

    def stop_at_exit() -> None:
        """Let the threads finish their git reads before the interpreter shuts down: a daemon
        thread frozen inside one makes the shutdown abort (SIGABRT) instead of exiting."""
        stop.set()
        thread.join(STOP_SECONDS)
        index.stop(STOP_SECONDS)

    atexit.register(stop_at_exit)
    thread.start()
    return thread
