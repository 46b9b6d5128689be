"""After a worker starts: the derived state a first reader would otherwise pay for, built off the
request path in one daemon thread, bounded in time.

A moment after start (so the first page views have the processor), the search index is brought
up to date in the background (``SearchIndex.build_in_background``: one process of several builds),
then the page history and blame of the busiest pages are computed into this process's caches:
the pages changed most often in the last :data:`RECENT_COMMITS` commits, whose first history or
blame is also the slowest (a page with 1,000 revisions: ~0.4-0.6 s each). Pages are warmed one
after the other until :data:`WARM_SECONDS` have passed; a failure only logs. At exit both threads
are stopped between two git reads (see ``stop_at_exit``).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from flask import Flask

from .store import Store

START_DELAY_SECONDS = 1.0
RECENT_COMMITS = 1_000
WARM_PAGES = 5
WARM_SECONDS = 10.0
NICENESS = 10
STOP_SECONDS = 5.0  # at exit, how long each thread may take to finish the git read under way

logger = logging.getLogger(__name__)


def busiest_pages(store: Store, head: str, *, commits: int = RECENT_COMMITS, count: int = WARM_PAGES) -> list[str]:
    """The pages changed most often in the last ``commits`` commits up to ``head``, busiest first."""
    return store.most_changed(head, commits=commits, count=count)


def warm_caches(store: Store, *, seconds: float = WARM_SECONDS, stop: threading.Event | None = None) -> list[str]:
    """Compute the history and blame of the busiest pages into the store's caches, until
    ``seconds`` have passed or ``stop`` is set; returns the pages warmed."""
    deadline = time.monotonic() + seconds
    stop = stop or threading.Event()
    head = store.head()
    if head is None:
        return []
    warmed = []
    for page in busiest_pages(store, head):
        if time.monotonic() >= deadline or stop.is_set():
            break
        store.page_history(page, head)
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
            warmed = warm_caches(store, stop=stop)
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
