"""Webhooks under test: settings that deliver and retry fast, and a receiving HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask

WAIT = 30.0  # seconds to wait for a delivery before the test fails (not a timing assertion)
FAST = {"WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOKS_POLL_SECONDS": 0.1, "WEBHOOKS_RETRY_SECONDS": 0.2,
        "WEBHOOKS_TIMEOUT": 2}


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST; ``hold`` makes it wait before answering."""

    port: int
    requests: list[Received] = field(default_factory=list)
    status: int = 204
    hold: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?x=1"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.entered.set()
                if receiver.hold is not None:
                    receiver.hold.wait(WAIT)
                receiver.requests.append(Received(dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def events(self, kind: str) -> list[dict]:
        return [item.payload for item in list(self.requests) if item.headers.get("X-Wiki-Event") == kind]


def wait_for(condition: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def hooked_app(tmp_path: Path) -> Iterator[Flask]:
    """A wiki whose webhook sender retries fast, stopped with its store after the test."""
    from .app import make_app

    app = make_app(tmp_path / "instance", **FAST)
    yield app
    app.extensions["wiki_webhooks"].stop()
    app.extensions["wiki_store"].close()
