"""How often one person may write: threads, replies, proposals, responses, uploads and export jobs per hour.

One sliding window of an hour per (action, user), counted in a database every worker shares (the
``DATABASE_URL`` PostgreSQL database when set, so several hosts share it; else
``<instance>/limits.sqlite3``). A refused attempt is answered 429 with ``Retry-After`` (the web's
error page, the API's ``too-many-requests`` problem) and is not counted. Moderators
(:func:`wiki.users.can_moderate`) are not limited. A setting of 0 turns that limit off.

Call it from where the rule lives, in one line, before any work: ``limits.check("threads")``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app
from flask_login import current_user

from .database import Database
from .errors import N_, WikiError
from .users import can_moderate

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Action:
    setting: str
    default: int
    message: str  # %(limit)s and %(time)s (HH:MM, UTC) are filled in


ACTIONS: dict[str, Action] = {
    "threads": Action("LIMIT_THREADS_PER_HOUR", 30, N_(
        "You have started %(limit)s comment threads in the last hour, the most this wiki allows one person. "
        "You can start the next one at %(time)s UTC.")),
    "replies": Action("LIMIT_REPLIES_PER_HOUR", 120, N_(
        "You have written %(limit)s replies in the last hour, the most this wiki allows one person. "
        "You can write the next one at %(time)s UTC.")),
    "proposals": Action("LIMIT_PROPOSALS_PER_HOUR", 10, N_(
        "You have started %(limit)s proposals in the last hour, the most this wiki allows one person. "
        "You can start the next one at %(time)s UTC.")),
    "uploads": Action("LIMIT_UPLOADS_PER_HOUR", 60, N_(
        "You have uploaded %(limit)s files in the last hour, the most this wiki allows one person. "
        "You can upload the next one at %(time)s UTC.")),
    "responses": Action("LIMIT_RESPONSES_PER_HOUR", 60, N_(
        "You have sent %(limit)s responses to calls for input in the last hour, the most this wiki allows one "
        "person. You can send the next one at %(time)s UTC.")),
    "exports": Action("LIMIT_EXPORTS_PER_HOUR", 60, N_(
        "You have asked for %(limit)s exports in the last hour, the most this wiki allows one person. "
        "You can ask for the next one at %(time)s UTC.")),
}

SCHEMA = ("CREATE TABLE IF NOT EXISTS limit_events (action TEXT NOT NULL, username TEXT NOT NULL,"
          " at {float} NOT NULL)",
          "CREATE INDEX IF NOT EXISTS limit_events_by_user ON limit_events (action, username, at)")


class RateLimited(WikiError):
    """Too many writes of one kind by one person within the window: try again after ``retry_after`` s."""

    code = 429

    def __init__(self, message: str, *, retry_after: int, **params: object) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Limiter:
    """The counters of one wiki; ``limits`` maps an action of :data:`ACTIONS` to its hourly limit."""

    def __init__(self, target: str | Path, limits: dict[str, int]) -> None:
        self.database = Database(target, create=True)  # derived counters: made on first use
        self.limits = limits
        if self.database.path is not None:
            self.database.path.parent.mkdir(parents=True, exist_ok=True)
        with self.database.connect() as connection:
            for statement in SCHEMA:
                connection.execute(statement)

    def hit(self, action: str, username: str, *, now: float | None = None) -> None:
        """Count one ``action`` by ``username``, or raise :class:`RateLimited` (and count nothing)."""
        limit = self.limits[action]
        if not limit:
            return
        now = time.time() if now is None else now
        since = now - WINDOW_SECONDS
        with self.database.connect() as connection:
            # Counted after inserting, so two workers racing on SQLite cannot both take the last place.
            connection.execute("DELETE FROM limit_events WHERE action = ? AND username = ? AND at <= ?",
                               (action, username, since))
            connection.execute("INSERT INTO limit_events (action, username, at) VALUES (?, ?, ?)",
                               (action, username, now))
            rows = connection.execute("SELECT at FROM limit_events WHERE action = ? AND username = ? AND at > ?"
                                      " ORDER BY at", (action, username, since)).fetchall()
            if len(rows) <= limit:
                return
            connection.execute("DELETE FROM limit_events WHERE action = ? AND username = ? AND at = ?",
                               (action, username, now))
        # The place frees when the oldest counted attempt leaves the window.
        frees = float(rows[len(rows) - 1 - limit]["at"]) + WINDOW_SECONDS
        wait = max(1, math.ceil(frees - now))
        raise RateLimited(ACTIONS[action].message, retry_after=wait, limit=limit,
                          time=datetime.fromtimestamp(now + wait, UTC).strftime("%H:%M"))


def limits_from_config(config: dict[str, object]) -> dict[str, int]:
    """Each action's hourly limit from its setting (checked with the others, in :mod:`wiki.settings`)."""
    found = {}
    for name, action in ACTIONS.items():
        value = config.get(action.setting, action.default)
        found[name] = value if isinstance(value, int) else action.default
    return found


def init_app(app: Flask) -> None:
    for action in ACTIONS.values():
        app.config.setdefault(action.setting, action.default)
    target = app.config.get("DATABASE_URL") or app.config.get("LIMITS_DATABASE") or \
        str(Path(app.instance_path) / "limits.sqlite3")
    app.extensions["wiki_limits"] = Limiter(target, limits_from_config(app.config))


def check(action: str, actor: object | None = None) -> None:
    """Count one ``action`` by ``actor`` (default: the current user), or raise :class:`RateLimited`;
    moderators and anonymous callers (the CLI) are free."""
    who = current_user if actor is None else actor
    if not getattr(who, "username", "") or can_moderate(who):
        return
    current_app.extensions["wiki_limits"].hit(action, who.username)
