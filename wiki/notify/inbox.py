"""The notification tables in the accounts database (SQLite or PostgreSQL, see wiki/database/):
each user's inbox (one row per subject), what they watch, and their settings.

Telling everyone concerned by one activity costs a handful of statements in one transaction,
whatever the number of recipients: the people named by group, ownership or mention in one
``SELECT``, the watchers in another, and every inbox row in one ``INSERT ... ON CONFLICT DO
UPDATE`` (new activity on a subject makes its row unread again). Mail to send at once is queued in
the same transaction (see :mod:`wiki.notify.outbox`), so a write never waits for a mail server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..database import Connection, Database
from .activity import FREQUENCIES, REASONS, Activity, Person, mentions, reasons

PAGE_SIZE = 50
# Queues the mail of one activity in the inbox's transaction: (connection, activity, user id -> (person, reason)).
MailQueue = Callable[[Connection, Activity, dict[int, tuple[Person, str]]], None]
SETTING_COLUMNS = REASONS  # a column per kind of notification in notify_settings


@dataclass(frozen=True)
class Notification:
    id: int
    subject: str
    reason: str
    activity: str
    actor: str
    title: str
    page: str
    proposal: int | None
    updated_at: float
    unread: bool

    @property
    def kind(self) -> str:
        """``proposal``, ``thread``, ``page`` or ``call``."""
        return self.subject.split("/", 1)[0]

    @property
    def number(self) -> int:
        """The proposal's or the thread's number (0 for a page)."""
        tail = self.subject.split("/", 1)[1]
        return int(tail) if tail.isdigit() else 0


@dataclass(frozen=True)
class Settings:
    """One user's notification settings: auto-watching, a mail frequency per kind, and an address
    they typed that waits for confirmation."""

    autowatch: bool = True
    frequencies: tuple[tuple[str, str], ...] = ()
    pending_email: str = ""

    def as_dict(self) -> dict[str, str]:
        return dict(self.frequencies)


def placeholders(count: int, width: int = 1) -> str:
    row = "(" + ", ".join("?" * width) + ")" if width > 1 else "?"
    return ", ".join([row] * count)


class Inbox:
    """Notifications, watches and settings in ``database``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # ------------------------------------------------------------------ telling

    def deliver(self, activity: Activity, *, autowatch: Sequence[str] = (),
                queue: MailQueue | None = None) -> dict[int, tuple[Person, str]]:
        """Record ``activity`` in the inbox of everyone concerned; the actor also watches the
        subjects ``autowatch`` when their setting says so. ``queue(connection, activity,
        recipients)`` may queue mail in the same transaction. Returns user id -> (person, reason)."""
        now = time.time()
        mentioned = mentions(activity.text)
        names = sorted({activity.actor.lower(), *(owner.lower() for owner in activity.owners), *mentioned} - {""})
        groups = sorted({*activity.groups, *mentioned})
        with self.database.connect(durable=False) as db:  # derived rows: no wait for the disk on SQLite
            people = self._people(db, names, groups)
            watched = tuple(dict.fromkeys(activity.watched))
            watchers = [row["user_id"] for row in db.execute(
                f"SELECT DISTINCT user_id FROM watches WHERE subject IN ({placeholders(len(watched))})", watched)
            ] if watched else []
            found = reasons(activity, people.values(), watchers)
            missing = [user_id for user_id in found if user_id not in people]
            if missing:
                people.update(self._people_by_id(db, missing))
            if found:
                values: list[object] = []
                for user_id, reason in found.items():
                    values += [user_id, activity.subject, reason, activity.activity, activity.actor, activity.title,
                               activity.page, activity.proposal, now, now]
                db.execute(
                    "INSERT INTO notifications (user_id, subject, reason, activity, actor, title, page, proposal,"
                    f" created_at, updated_at) VALUES {placeholders(len(found), 10)}"
                    " ON CONFLICT (user_id, subject) DO UPDATE SET reason = excluded.reason,"
                    " activity = excluded.activity, actor = excluded.actor, title = excluded.title,"
                    " page = excluded.page, proposal = excluded.proposal, updated_at = excluded.updated_at,"
                    " read_at = NULL", values)
            actor = next((p for p in people.values() if p.username.lower() == activity.actor.lower()), None)
            if actor is not None and autowatch and self._settings(db, actor.id).autowatch:
                db.execute(f"INSERT INTO watches (subject, user_id, created_at) VALUES"
                           f" {placeholders(len(autowatch), 3)} ON CONFLICT (subject, user_id) DO NOTHING",
                           [value for subject in autowatch for value in (subject, actor.id, int(now))])
            told = {user_id: (people[user_id], reason) for user_id, reason in found.items() if user_id in people}
            if queue is not None and told:
                queue(db, activity, told)
        return told

    @staticmethod
    def _people(db: Connection, names: Sequence[str], groups: Sequence[str]) -> dict[int, Person]:
        clauses, params = [], []
        if names:
            clauses.append(f"lower(username) IN ({placeholders(len(names))})")
            params += names
        if groups:
            clauses.append(f"group_slug IN ({placeholders(len(groups))})")
            params += groups
        if not clauses:
            return {}
        rows = db.execute("SELECT id, username, group_slug, role, email, language FROM users WHERE "
                          + " OR ".join(clauses), params)
        return {row["id"]: _person(row) for row in rows}

    @staticmethod
    def _people_by_id(db: Connection, ids: Sequence[int]) -> dict[int, Person]:
        rows = db.execute("SELECT id, username, group_slug, role, email, language FROM users"
                          f" WHERE id IN ({placeholders(len(ids))})", list(ids))
        return {row["id"]: _person(row) for row in rows}

    # ------------------------------------------------------------------ reading

    def page(self, user_id: int, *, offset: int = 0, limit: int = PAGE_SIZE) -> list[Notification]:
        """The user's notifications, the latest activity first."""
        with self.database.reader() as db:
            rows = db.execute("SELECT * FROM notifications WHERE user_id = ? ORDER BY updated_at DESC, id DESC"
                              " LIMIT ? OFFSET ?", (user_id, limit, offset)).fetchall()
        return [Notification(id=row["id"], subject=row["subject"], reason=row["reason"], activity=row["activity"],
                             actor=row["actor"], title=row["title"], page=row["page"], proposal=row["proposal"],
                             updated_at=row["updated_at"], unread=row["read_at"] is None) for row in rows]

    def unread(self, user_id: int) -> int:
        with self.database.reader() as db:
            return db.execute("SELECT COUNT(*) AS n FROM notifications WHERE user_id = ? AND read_at IS NULL",
                              (user_id,)).fetchone()["n"]

    def mark_read(self, user_id: int, notification: int | None = None) -> int:
        """Mark one notification (or, with ``None``, all) read; how many changed."""
        with self.database.connect() as db:
            if notification is None:
                cursor = db.execute("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
                                    (time.time(), user_id))
            else:
                cursor = db.execute("UPDATE notifications SET read_at = ? WHERE user_id = ? AND id = ?"
                                    " AND read_at IS NULL", (time.time(), user_id, notification))
            return cursor.rowcount

    # ------------------------------------------------------------------ watching

    def watching(self, user_id: int, subject: str) -> bool:
        with self.database.reader() as db:
            return db.execute("SELECT 1 FROM watches WHERE subject = ? AND user_id = ?",
                              (subject, user_id)).fetchone() is not None

    def watch(self, user_id: int, subject: str, on: bool = True) -> None:
        with self.database.connect() as db:
            if on:
                db.execute("INSERT INTO watches (subject, user_id, created_at) VALUES (?, ?, ?)"
                           " ON CONFLICT (subject, user_id) DO NOTHING", (subject, user_id, int(time.time())))
            else:
                db.execute("DELETE FROM watches WHERE subject = ? AND user_id = ?", (subject, user_id))

    # ------------------------------------------------------------------ settings

    def settings(self, user_id: int) -> Settings:
        with self.database.reader() as db:
            return self._settings(db, user_id)

    @staticmethod
    def _settings(db: Connection, user_id: int) -> Settings:
        row = db.execute("SELECT * FROM notify_settings WHERE user_id = ?", (user_id,)).fetchone()
        if row is None:
            return Settings()
        return Settings(autowatch=bool(row["autowatch"]),
                        frequencies=tuple((kind, row[kind]) for kind in SETTING_COLUMNS if row[kind]),
                        pending_email=row["pending_email"])

    def save_settings(self, user_id: int, *, autowatch: bool | None = None,
                      frequencies: dict[str, str] | None = None, pending_email: str | None = None) -> None:
        """Change what is given; the rest stays."""
        changes: dict[str, object] = {}
        if autowatch is not None:
            changes["autowatch"] = int(autowatch)
        for kind, value in (frequencies or {}).items():
            if kind in SETTING_COLUMNS and value in FREQUENCIES:
                changes[kind] = value
        if pending_email is not None:
            changes["pending_email"] = pending_email
        if not changes:
            return
        columns = list(changes)
        with self.database.connect() as db:
            db.execute(f"INSERT INTO notify_settings (user_id, {', '.join(columns)}) VALUES"
                       f" ({placeholders(len(columns) + 1)}) ON CONFLICT (user_id) DO UPDATE SET "
                       + ", ".join(f"{column} = excluded.{column}" for column in columns),
                       [user_id, *changes.values()])


def _person(row: Mapping[str, Any]) -> Person:
    return Person(id=row["id"], username=row["username"], group=row["group_slug"], role=row["role"],
                  email=row["email"], language=row["language"])
