"""The one cache the storage layer (and views) use: values keyed by Git object ids.

An object id never changes meaning, so an entry is never stale; keys that depend on a ref (a
branch tip, a notes tip) simply become new keys when the ref moves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

PENDING_WAIT_SECONDS = 60.0  # then a waiting thread computes the value itself

K = TypeVar("K")
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """A small thread-safe least-recently-used cache for immutable values."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()
        self._pending: dict[K, tuple[int, threading.Event]] = {}  # keys being computed, by whom
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The cached value for ``key``, computing and keeping it when missing.

        One computation per key at a time: a thread that finds another computing the same key
        waits for its value (a first reader arriving while the warm-up computes the page's history
        gets that history, instead of computing it a second time beside it).
        """
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            pending = self._pending.get(key)
            if pending is None:
                pending = self._pending[key] = (threading.get_ident(), threading.Event())
        owner, done = pending
        if owner != threading.get_ident():
            done.wait(PENDING_WAIT_SECONDS)
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
            return compute()  # the other computation failed, or took too long
        try:
            value = compute()
            self.put(key, value)
            return value
        finally:
            with self._lock:
                self._pending.pop(key, None)
            done.set()

    def lookup(self, key: K) -> V | None:
        """The cached value (now the most recently used), or ``None``."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
