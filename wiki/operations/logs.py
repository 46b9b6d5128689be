"""The wiki's log lines: one handler on the ``wiki`` logger, in text or JSON (``LOG_FORMAT``), and
one line per security event.

A security event (``login_failed``, ``login_locked``, ``push_accepted``, ``push_refused``,
``permission_denied``, ``token_created``, ``token_revoked``, ``settings_warning``) names the
user, the client's address (after ``TRUSTED_PROXIES``) and the request id that the answer also
carries as ``X-Request-Id``, so one failed login is one line an operator can find and follow.
Outside a request (the CLI, a background thread) the request's fields are left out.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from flask import Flask, has_request_context, request

SECURITY = logging.getLogger("wiki.security")
EVENTS = frozenset({"login_failed", "login_locked", "push_accepted", "push_refused", "permission_denied",
                    "token_created", "token_revoked", "settings_warning", "account_changed",
                    "password_reset_throttled", "password_reset_ignored"})
FORMATS = ("text", "json")
REQUEST_ID_KEY = "wiki.request_id"  # where the request-id middleware puts the id in the WSGI environ
_FIELDS = "wiki_fields"  # the LogRecord attribute that carries an event's fields
_HANDLER = "wiki_handler"  # marks the handler this module installed (apps are made many times in tests)


def request_id() -> str:
    """The current request's id, or "" outside a request."""
    return str(request.environ.get(REQUEST_ID_KEY, "")) if has_request_context() else ""


def security_event(event: str, *, user: str | None = None, level: int = logging.WARNING, **fields: Any) -> None:
    """Log one security event. ``client`` and ``request_id`` come from the current request unless
    given (a streamed answer ends after its request context is gone)."""
    assert event in EVENTS, event
    if has_request_context():
        fields.setdefault("client", request.remote_addr or "")
        fields.setdefault("request_id", request_id())
        if user is None:
            from flask_login import current_user

            user = current_user.username if current_user and current_user.is_authenticated else ""
    record_fields = {"event": event, "user": user or "", **{k: v for k, v in fields.items() if v is not None}}
    SECURITY.log(level, event, extra={_FIELDS: record_fields})
    from .metrics import count_security_event

    count_security_event(event)


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": _timestamp(record), "level": record.levelname.lower(),
                                "logger": record.name, "message": record.getMessage()}
        fields = getattr(record, _FIELDS, None)
        if fields:
            line.update(fields)
        elif request_id():
            line["request_id"] = request_id()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value …``; values with spaces, quotes or control characters
    are written as JSON strings, so a user name cannot forge a second line."""

    def format(self, record: logging.LogRecord) -> str:
        fields = dict(getattr(record, _FIELDS, None) or {})
        message = fields.pop("event", None) or record.getMessage().replace("\r", "\\r").replace("\n", "\\n")
        if not fields and request_id():
            fields["request_id"] = request_id()
        text = f"{_timestamp(record)} {record.levelname} {record.name}: {message}"
        text += "".join(f" {key}={_value(value)}" for key, value in fields.items())
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _value(value: Any) -> str:
    text = str(value)
    if text and all(character.isprintable() and character not in ' "=' for character in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def configure(app: Flask) -> None:
    """Send the ``wiki`` loggers' lines to standard error (gunicorn's error log) in ``LOG_FORMAT``."""
    from flask.logging import default_handler

    logger = logging.getLogger("wiki")
    logger.removeHandler(default_handler)  # Flask's own, if app.logger was read before
    handler = next((h for h in logger.handlers if getattr(h, _HANDLER, False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        setattr(handler, _HANDLER, True)
        logger.addHandler(handler)
    handler.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json" else TextFormatter())
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
