"""The webhook sender of one process: a background thread that queues events for what moved on the
watched refs and delivers due requests, off every request.

Each process that serves the wiki (every gunicorn worker) runs one such thread once the database
has an endpoint. It wakes when this process moves a ref (the store's listener), when a push
through /content.git ends, and every ``WEBHOOKS_POLL_SECONDS`` anyway, so writes made by other
processes and pushes are noticed too. Queueing and claiming are safe across processes (see
:mod:`wiki.webhooks.queue`); a save only sets an event flag.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from ..store import Store
from ..store.types import TAGS_PREFIX
from .events import EventMaker, PathBuilder
from .queue import TAGS_MARKER, WebhookQueue
from .sender import SIGNATURE_HEADER, send, signature

logger = logging.getLogger(__name__)
MAX_ROUNDS = 20  # claim-and-send rounds per wake-up before looking at the refs again


@dataclass(frozen=True)
class Settings:
    allow_private: bool = False
    timeout: float = 5.0  # seconds, per connection step
    max_attempts: int = 8
    retry_seconds: float = 30.0  # the first retry; each next one waits twice as long
    max_retry_seconds: float = 3600.0
    poll_seconds: float = 2.0

    @classmethod
    def from_config(cls, config: dict) -> Settings:
        return cls(allow_private=bool(config["WEBHOOKS_ALLOW_PRIVATE"]), timeout=float(config["WEBHOOKS_TIMEOUT"]),
                   max_attempts=int(config["WEBHOOKS_MAX_ATTEMPTS"]),
                   retry_seconds=float(config["WEBHOOKS_RETRY_SECONDS"]),
                   max_retry_seconds=float(config["WEBHOOKS_MAX_RETRY_SECONDS"]),
                   poll_seconds=float(config["WEBHOOKS_POLL_SECONDS"]))

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (1, 2, ...): exponential, capped, ±10 %."""
        delay = min(self.retry_seconds * 2 ** (attempt - 1), self.max_retry_seconds)
        return delay * random.uniform(0.9, 1.1)


class WebhookService:
    """Scanning the refs, queueing events and delivering them for one app."""

    def __init__(self, store: Store, queue: WebhookQueue, settings: Settings, path_for: PathBuilder) -> None:
        self.store = store
        self.queue = queue
        self.settings = settings
        self.events = EventMaker(store, path_for)
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._checked_at = 0.0
        self._stopped = False
        self.serving = False  # set by the first request this process serves
        store.on_ref_moved(lambda ref: self.poke())

    # ------------------------------------------------------------------ the thread

    def poke(self) -> None:
        """Something moved: have the thread look now (starting it if this process serves requests
        and there are endpoints; a command such as import-repo leaves the sending to the servers)."""
        self._wake.set()
        if self.serving:
            self.ensure_running()

    def ensure_running(self) -> None:
        """Start this process's thread when the database has endpoints (checked once per poll)."""
        if self._stopped or (self._thread is not None and self._pid == os.getpid() and self._thread.is_alive()):
            return
        now = time.monotonic()
        if now - self._checked_at < self.settings.poll_seconds:
            return
        self._checked_at = now
        try:
            if not self.queue.has_endpoints():
                return
        except Exception:  # noqa: BLE001 - the database may be briefly away; try again later
            logger.exception("webhooks: cannot read the endpoints")
            return
        self.start()

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._stopped = False
            self._pid = os.getpid()
            self._thread = threading.Thread(target=_run, args=(weakref.ref(self), self._wake),
                                            name="wiki-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread (tests, shutdown); a pending delivery stays queued for later."""
        self._stopped = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.settings.timeout * 3 + 5)
        self._thread = None

    def work(self) -> None:
        """One round: queue events for what moved, then send what is due."""
        if not self.queue.has_endpoints():
            return
        self.scan()
        self.deliver_due()

    # ------------------------------------------------------------------ refs -> events

    def scan(self) -> int:
        """Queue the events of every watched ref that moved since last seen; how many were queued.

        The first scan of a database records where the refs are without events (history from
        before the first endpoint is not announced).
        """
        current = self.store.watched_refs(self.events.single_refs, tags=True)
        seen = self.queue.seen_refs()
        if TAGS_MARKER not in seen:
            for ref, target in current.items():
                self.queue.advance(ref, None, target, [])
            self.queue.advance(TAGS_MARKER, None, "listed", [])
            return 0
        queued = 0
        listening = self.queue.has_endpoints()
        watched = set(current) | {ref for ref in seen if ref != TAGS_MARKER}
        for ref in sorted(watched, key=lambda name: name.startswith(TAGS_PREFIX)):  # commits before versions
            old, new = seen.get(ref), current.get(ref)
            if old == new:
                continue
            if new is None:
                self.queue.advance(ref, old, None, [])
                continue
            events = self.events.for_ref(ref, old, new) if listening else []
            if self.queue.advance(ref, old, new, events):
                queued += len(events)
        return queued

    # ------------------------------------------------------------------ delivering

    def deliver_due(self) -> int:
        """Send every due delivery this process can claim; how many were attempted."""
        attempted = 0
        lease = self.settings.timeout * 4 + 10
        for _ in range(MAX_ROUNDS):
            claimed = self.queue.claim(lease_seconds=lease)
            if not claimed:
                break
            endpoints = {endpoint.id: endpoint for endpoint in self.queue.endpoints()}
            for delivery in claimed:
                endpoint = endpoints.get(delivery.webhook_id)
                if endpoint is None:
                    continue  # deleted meanwhile: its rows went with it
                body = delivery.body.encode("utf-8")
                outcome = send(endpoint.url, body, {
                    SIGNATURE_HEADER: signature(endpoint.secret, body),
                    "X-Wiki-Event": delivery.event, "X-Wiki-Delivery": delivery.delivery,
                }, timeout=self.settings.timeout, allow_private=self.settings.allow_private)
                attempt = delivery.attempts + 1
                retry_at = None
                if not outcome.delivered and attempt < self.settings.max_attempts:
                    retry_at = time.time() + self.settings.backoff(attempt)
                self.queue.record(delivery, status=outcome.status, error=outcome.error, duration=outcome.duration,
                                  delivered=outcome.delivered, retry_at=retry_at)
                attempted += 1
        return attempted

    def seconds_to_next_due(self) -> float:
        due = self.queue.next_due()
        if due is None:
            return self.settings.poll_seconds
        return max(0.0, min(self.settings.poll_seconds, due - time.time()))


def _run(service_ref: Callable[[], WebhookService | None], wake: threading.Event) -> None:
    """The thread: work, then sleep until poked, the next poll or the next due retry.

    It holds the service only while working, so an app that is dropped (tests) ends its thread.
    """
    while True:
        service = service_ref()
        if service is None or service._stopped or service._pid != os.getpid():
            return
        try:
            service.work()
            delay = service.seconds_to_next_due()
        except Exception:  # noqa: BLE001 - a broken round must not end the sender
            logger.exception("webhooks: a round failed")
            delay = service.settings.poll_seconds
        del service
        wake.wait(delay)
        wake.clear()
