"""Sending one webhook request: the signature, and a POST to an address checked just before.

The body is signed with HMAC-SHA256 keyed by the endpoint's secret and sent as
``X-Wiki-Signature-256: sha256=<hex>``. The connection goes to one of the addresses
:func:`wiki.webhooks.addresses.check` allowed a moment earlier (the host name is not looked up a
second time, so DNS rebinding cannot slip in a private address), with TLS verified against the
URL's host name. Redirects are never followed: a 3xx counts as a failed delivery. Short timeouts:
a slow receiver costs the sender thread, never a save.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from .addresses import Resolver, Target, UnsafeWebhookURL, check, system_resolver

SIGNATURE_HEADER = "X-Wiki-Signature-256"
USER_AGENT = "Living-Wiki-Webhooks/1"
MAX_ANSWER_BYTES = 64 * 1024  # read of the answer, then the connection is closed
MAX_ERROR_CHARS = 500


def signature(secret: str, body: bytes) -> str:
    """The header value: ``sha256=`` and the hex HMAC-SHA256 of ``body`` keyed by ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status (``None`` when no answer came) and an error to log."""

    status: int | None
    error: str
    duration: float

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to ``address`` that says ``Host: host``."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to ``address``, its certificate checked against the URL's host name."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def send(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool,
         resolve: Resolver = system_resolver) -> Outcome:
    """POST ``body`` to ``url`` once (the URL checked again first); never raises for network trouble."""
    started = time.monotonic()
    try:
        target = check(url, allow_private=allow_private, resolve=resolve)
    except UnsafeWebhookURL as error:
        return Outcome(None, f"refused: {error}", time.monotonic() - started)
    connection_type = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = connection_type(target, target.addresses[0], timeout)
    try:
        for address in target.addresses:  # the first checked address that takes the connection
            connection.close()
            connection = connection_type(target, address, timeout)
            try:
                connection.connect()
                break
            except OSError:
                if address == target.addresses[-1]:
                    raise
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **headers})
        answer = connection.getresponse()
        answer.read(MAX_ANSWER_BYTES)
        status = answer.status
        error = ""
        if 300 <= status < 400:
            error = f"redirect to {answer.getheader('Location', '')[:200]!r} not followed"
        elif not 200 <= status < 300:
            error = f"HTTP {status} {answer.reason}"
        return Outcome(status, error[:MAX_ERROR_CHARS], time.monotonic() - started)
    except (OSError, http.client.HTTPException, ValueError) as error:
        kind = "timed out" if isinstance(error, (TimeoutError, socket.timeout)) else type(error).__name__
        return Outcome(None, f"{kind}: {error}"[:MAX_ERROR_CHARS], time.monotonic() - started)
    finally:
        connection.close()
