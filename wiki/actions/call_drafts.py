"""Drafts of responses to calls for input, in the accounts database: private to their author until
submitted, so never in the content repository. :mod:`.calls` decides who may keep one and counts
it against the limits; this module keeps, reads, drops and expires them.

A user has one draft per call. Every new browser of an invited guest is a new guest with a draft
of its own (up to ``MAX_DRAFT_BYTES``, ``LIMIT_RESPONSES_PER_HOUR`` of them an hour from one
address), so the scheduler removes guests' drafts nobody touched for ``GUEST_DRAFT_DAYS``: the
database does not grow for ever with drafts whose browser is gone.
"""

from __future__ import annotations

import json
import time

from flask import Flask, current_app

from ..database import Database
from ..errors import N_, Count, InvalidContent
from ..notify.scheduler import register

MAX_DRAFT_BYTES = 2_000_000  # a draft's JSON (answers are checked when submitted)
GUEST_DRAFT_DAYS = 30  # a guest's draft untouched this long is removed


def init_app(app: Flask) -> None:
    register(app, "call_drafts", lambda app: prune(_database(app)))


def _database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["wiki_users"].database


def save(slug: str, respondent: str, form: dict[str, object]) -> None:
    """Keep ``form`` as ``respondent``'s draft of call ``slug``, replacing theirs."""
    data = json.dumps(form, ensure_ascii=False)
    if len(data.encode("utf-8")) > MAX_DRAFT_BYTES:
        raise InvalidContent(N_("The draft is longer than %(limit)s bytes."), limit=Count(MAX_DRAFT_BYTES))
    with _database().connect() as db:
        db.execute("DELETE FROM call_drafts WHERE call = ? AND respondent = ?", (slug, respondent))
        db.execute("INSERT INTO call_drafts (call, respondent, data, updated_at) VALUES (?, ?, ?, ?)",
                   (slug, respondent, data, int(time.time())))


def read(slug: str, respondent: str) -> dict[str, object] | None:
    """``respondent``'s draft of call ``slug``, or ``None``."""
    with _database().connect() as db:
        row = db.execute("SELECT data FROM call_drafts WHERE call = ? AND respondent = ?",
                         (slug, respondent)).fetchone()
    if row is None:
        return None
    try:
        value = json.loads(row["data"])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def discard(slug: str, respondent: str) -> None:
    with _database().connect() as db:
        db.execute("DELETE FROM call_drafts WHERE call = ? AND respondent = ?", (slug, respondent))


def prune(database: Database, now: float | None = None) -> int:
    """Remove the guests' drafts untouched for ``GUEST_DRAFT_DAYS``; how many went."""
    before = int(now if now is not None else time.time()) - GUEST_DRAFT_DAYS * 86400
    with database.connect() as db:
        return db.execute("DELETE FROM call_drafts WHERE respondent LIKE 'guest-%' AND updated_at < ?",
                          (before,)).rowcount
