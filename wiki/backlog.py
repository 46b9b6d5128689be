"""Work a request had no budget for, done by one background thread of this process.

Requests add keys; the thread takes them oldest first and calls ``work(key)``, which stores its
result where every worker finds it (see :mod:`wiki.places`), so a key lost with a killed process
is simply added again by the next request that misses it. Bounded: past ``capacity`` waiting
keys, new ones are dropped (they too come back with a later request).

The thread works only while its process serves no request (``busy``: the app's count of requests
in flight, :class:`wiki.warmup.Activity`): it shares the interpreter with them, and taking turns
with a busy request would slow that request down (measured: a page view 3.8 s instead of 1.5 s).
It also runs at a lower priority (Linux), so other workers' requests go first, and at exit it is
stopped between two keys (a daemon thread stopped inside a git read makes the interpreter abort).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
log = logging.getLogger(__name__)
NICENESS = 10
BUSY_POLL_SECONDS = 0.005
STOP_SECONDS = 5.0


class Backlog(Generic[K]):
    def __init__(self, work: Callable[[K], None], *, capacity: int = 20_000, pause: float = 0.002,
                 start: bool = True, context: Callable[[], AbstractContextManager[object]] | None = None,
                 busy: Callable[[], bool] = lambda: False) -> None:
        self.work = work
        self.busy = busy  # whether the process is serving a request: then the thread waits
        self.context = context  # entered around each key (the app's, so rendering can build links)
        self.capacity = capacity
        self.pause = pause  # between keys, so the worker's requests get the interpreter often
        self.start = start  # False: nothing runs until run_all() (tests that look at the waiting state)
        self._waiting: OrderedDict[K, None] = OrderedDict()
        self._busy = 0
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False

    def add(self, keys: list[K]) -> None:
        with self._condition:
            for key in keys:
                if key not in self._waiting and len(self._waiting) < self.capacity:
                    self._waiting[key] = None
            self._condition.notify()
        if self.start:
            self._ensure_thread()

    def __len__(self) -> int:
        with self._condition:
            return len(self._waiting) + self._busy

    def _ensure_thread(self) -> None:
        """One thread per process, started after a fork (gunicorn forks workers after loading)."""
        with self._condition:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            if self._pid != os.getpid():
                atexit.register(self.stop)
            self._pid = os.getpid()
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="wiki-backlog", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        """Whether this process's thread is alive."""
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop the thread after the key under way (waiting at most ``timeout`` seconds)."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _take(self) -> K | None:
        while self.busy() and not self._stopping:
            time.sleep(BUSY_POLL_SECONDS)
        with self._condition:
            while not self._waiting and not self._stopping:
                self._condition.wait()
            if self._stopping:
                return None
            key, _ = self._waiting.popitem(last=False)
            self._busy += 1
            return key

    def _do(self, key: K) -> None:
        try:
            if self.context is None:
                self.work(key)
            else:
                with self.context():
                    self.work(key)
        except Exception:  # one bad key must not stop the others; it is logged and dropped
            if not self._stopping:  # at exit, git's children are stopped too
                log.exception("background work on %r failed", key)
        finally:
            with self._condition:
                self._busy -= 1
                self._condition.notify_all()

    def _run(self) -> None:
        try:  # Linux: a lower priority for this thread only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
        except (AttributeError, OSError):
            pass
        while (key := self._take()) is not None:
            self._do(key)
            time.sleep(self.pause)

    def run_all(self) -> None:
        """Do every waiting key now, in this thread."""
        while True:
            with self._condition:
                if not self._waiting:
                    return
                key, _ = self._waiting.popitem(last=False)
                self._busy += 1
            self._do(key)

    def wait(self, timeout: float = 30) -> bool:
        """Whether the backlog emptied within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._waiting or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)
        return True
