"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), keeping every message it accepts."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from .servers import free_port


class Mailbox:
    """What the server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for message in self.messages if message["To"] == address]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on a free port (or ``port``) of 127.0.0.1 while the block runs."""
    mailbox = Mailbox()
    port = port or free_port()  # port=0 would make aiosmtpd's start-up check connect to port 0
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, message
    return part.get_content()


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 for one test: its mailbox and port."""
    with smtp_server() as server:
        yield server
