"""The persistent mail outbox in the accounts database: mail is queued in the transaction of what
caused it and sent later by the scheduler, so a write never waits for a mail server, a mail server
that is down only delays mail (retried with backoff), and a restart loses nothing.

Each row has a unique ``message_key`` (one activity for one user, one digest period for one user,
one confirmation), so queueing the same mail twice queues it once; a sender claims a row with a
lease (``UPDATE ... WHERE lease expired``, checked by its row count), so two processes never send
one row at once, and it is marked sent as soon as the server accepted it.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from dataclasses import dataclass

from ..database import Connection, Database
from .activity import Activity, Person, frequency
from .inbox import SETTING_COLUMNS, placeholders

CLAIM_BATCH = 20


@dataclass(frozen=True)
class Mail:
    id: int
    user_id: int
    message_key: str
    payload: dict[str, object]
    attempts: int


class Outbox:
    """Queued mail in ``database``, retried with exponential backoff up to ``max_attempts``."""

    def __init__(self, database: Database, *, retry_seconds: float = 60.0, max_retry_seconds: float = 3600.0,
                 max_attempts: int = 10) -> None:
        self.database = database
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self.max_attempts = max_attempts

    # ------------------------------------------------------------------ queueing

    def queue_activity(self, db: Connection, activity: Activity, told: dict[int, tuple[Person, str]]) -> None:
        """Queue a mail for each recipient who wants this kind of notification immediately and
        has an address (called by the inbox inside its transaction)."""
        with_mail = [user_id for user_id, (person, _) in told.items() if person.email]
        if not with_mail:
            return
        chosen = {row["user_id"]: {kind: row[kind] for kind in SETTING_COLUMNS} for row in db.execute(
            f"SELECT * FROM notify_settings WHERE user_id IN ({placeholders(len(with_mail))})", with_mail)}
        now = time.time()
        rows: list[object] = []
        count = 0
        for user_id in with_mail:
            person, reason = told[user_id]
            if frequency(chosen.get(user_id, {}), reason, person.role) != "immediately":
                continue
            payload = {"type": "activity", "subject": activity.subject, "activity": activity.activity,
                       "actor": activity.actor, "title": activity.title, "page": activity.page,
                       "proposal": activity.proposal, "reason": reason}
            key = f"{activity.subject}:{activity.activity}:{user_id}:{secrets.token_hex(8)}"
            rows += [user_id, key, json.dumps(payload, ensure_ascii=False), now, now]
            count += 1
        if count:
            db.execute("INSERT INTO mail_outbox (user_id, message_key, payload, created_at, next_attempt_at)"
                       f" VALUES {placeholders(count, 5)}", rows)

    def add(self, user_id: int, key: str, payload: dict[str, object], *, db: Connection | None = None) -> bool:
        """Queue one mail under ``key``; ``False`` when a mail with that key was queued before."""
        sql = ("INSERT INTO mail_outbox (user_id, message_key, payload, created_at, next_attempt_at)"
               " VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_key) DO NOTHING")
        values = (user_id, key, json.dumps(payload, ensure_ascii=False), time.time(), time.time())
        if db is not None:
            return db.execute(sql, values).rowcount == 1
        with self.database.connect() as connection:
            return connection.execute(sql, values).rowcount == 1

    # ------------------------------------------------------------------ sending

    def claim(self, owner: str, *, lease_seconds: float = 120.0, limit: int = CLAIM_BATCH) -> list[Mail]:
        """Due mail this sender now holds (a lease of ``lease_seconds``)."""
        now = time.time()
        claimed = []
        with self.database.connect() as db:
            rows = db.execute("SELECT id, user_id, message_key, payload, attempts FROM mail_outbox"
                              " WHERE state = 'pending' AND next_attempt_at <= ?"
                              " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?",
                              (now, now, limit)).fetchall()
            for row in rows:
                taken = db.execute("UPDATE mail_outbox SET lease_owner = ?, lease_until = ? WHERE id = ?"
                                   " AND state = 'pending' AND (lease_until IS NULL OR lease_until < ?)",
                                   (owner, now + lease_seconds, row["id"], now)).rowcount
                if taken:
                    claimed.append(Mail(row["id"], row["user_id"], row["message_key"], json.loads(row["payload"]),
                                        row["attempts"]))
        return claimed

    def sent(self, mail: Mail) -> None:
        with self.database.connect() as db:
            db.execute("UPDATE mail_outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, payload = ?,"
                       " lease_owner = NULL, lease_until = NULL, last_error = '' WHERE id = ?",
                       (time.time(), _kept(mail.payload), mail.id))

    def failed(self, mail: Mail, error: str, *, permanent: bool = False) -> None:
        """Record a failed attempt: retried later with backoff, or given up."""
        attempt = mail.attempts + 1
        give_up = permanent or attempt >= self.max_attempts
        delay = min(self.retry_seconds * 2 ** (attempt - 1), self.max_retry_seconds) * random.uniform(0.9, 1.1)
        with self.database.connect() as db:
            db.execute("UPDATE mail_outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?,"
                       " payload = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
                       ("failed" if give_up else "pending", attempt, time.time() + delay, error[:500],
                        _kept(mail.payload) if give_up else json.dumps(mail.payload, ensure_ascii=False), mail.id))

    def release(self, mails: list[Mail]) -> None:
        """Give back claimed mail untried (the server went away before their turn)."""
        if not mails:
            return
        with self.database.connect() as db:
            db.execute(f"UPDATE mail_outbox SET lease_owner = NULL, lease_until = NULL WHERE id IN"
                       f" ({placeholders(len(mails))})", [mail.id for mail in mails])

    def pending(self) -> int:
        with self.database.connect() as db:
            return db.execute("SELECT COUNT(*) AS n FROM mail_outbox WHERE state = 'pending'").fetchone()["n"]


def password_mail_key(user_id: int) -> str:
    """The key of a mail carrying a password-set link: one per link, all under the account's prefix,
    so that :func:`drop_password_mail` finds them."""
    return f"password:{user_id}:{secrets.token_hex(8)}"


def drop_password_mail(db: Connection, user_id: int) -> int:
    """Drop the account's password-set mails not sent yet (called when their links stop working, in
    that transaction), so a superseded link is never mailed; how many were dropped. A mail a sender
    holds at this very moment is dropped too: it may still leave, but is never retried."""
    return db.execute("DELETE FROM mail_outbox WHERE user_id = ? AND state = 'pending' AND message_key LIKE ?",
                      (user_id, f"password:{user_id}:%")).rowcount


def _kept(payload: dict[str, object]) -> str:
    """What stays of a mail once it is sent or given up: all but a password-set link's secret, which
    must not outlive its one use in the database (only its digest is kept, in ``password_links``)."""
    return json.dumps({key: value for key, value in payload.items() if key != "secret"}, ensure_ascii=False)
