"""The webhook tables in the accounts database (SQLite or PostgreSQL, see wiki/database/):
endpoints, the persistent delivery queue with its leases, the attempt log, and the refs last seen.

Several processes (gunicorn workers, other machines on one PostgreSQL) share these tables:

- a ref's events are queued in the same transaction that moves its ``webhook_refs`` row from the
  id they were computed from (a compare-and-swap: ``UPDATE ... WHERE target = old``), so two
  processes that notice one movement queue its events once;
- a sender claims a due delivery by setting a lease (``UPDATE ... WHERE lease expired``, one row,
  checked by its row count), so no two senders post it at once; a sender that dies leaves a lease
  that expires, and the delivery is taken up again.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..database import Connection, Database, IntegrityError

EVENTS = ("commit", "proposal", "endorsement", "comment", "version", "call", "response")
TAGS_MARKER = "refs/tags/*"  # a webhook_refs row that says the tags have been listed once


@dataclass(frozen=True)
class Endpoint:
    id: int
    url: str
    events: tuple[str, ...]
    secret: str
    site_url: str
    created_by: str
    created_at: int


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook_id: int
    delivery: str
    event: str
    body: str
    attempts: int
    lease_owner: str


@dataclass(frozen=True)
class Attempt:
    """One line of an endpoint's delivery log."""

    delivery: str
    event: str
    attempt: int
    at: float
    status: int | None
    error: str
    duration: float
    state: str  # the delivery's state now: pending (retried later), delivered, failed


@dataclass(frozen=True)
class QueuedEvent:
    """An event to queue for every endpoint that takes its type; ``payload`` lacks only the links."""

    event: str
    payload: dict[str, object]
    path: str  # the wiki path of the thing, made absolute per endpoint


class WebhookQueue:
    """Endpoints, deliveries and their log in ``database``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # ------------------------------------------------------------------ endpoints

    def endpoints(self) -> list[Endpoint]:
        with self.database.connect() as db:
            rows = db.execute("SELECT * FROM webhooks ORDER BY id").fetchall()
        return [_endpoint(row) for row in rows]

    def endpoint(self, webhook_id: int) -> Endpoint | None:
        with self.database.connect() as db:
            row = db.execute("SELECT * FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
        return _endpoint(row) if row else None

    def has_endpoints(self) -> bool:
        with self.database.connect() as db:
            return db.execute("SELECT id FROM webhooks LIMIT 1").fetchone() is not None

    def add_endpoint(self, url: str, events: Sequence[str], secret: str, *, site_url: str, created_by: str) -> int:
        with self.database.connect() as db:
            row = db.execute("INSERT INTO webhooks (url, events, secret, site_url, created_by, created_at)"
                             " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                             (url, ",".join(events), secret, site_url, created_by, int(time.time()))).fetchone()
        return int(row["id"])

    def delete_endpoint(self, webhook_id: int) -> bool:
        with self.database.connect() as db:
            db.execute("DELETE FROM webhook_attempts WHERE webhook_id = ?", (webhook_id,))
            db.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ?", (webhook_id,))
            return db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0

    def log(self, webhook_id: int, limit: int = 50) -> list[Attempt]:
        """The endpoint's latest attempts, newest first."""
        with self.database.connect() as db:
            rows = db.execute(
                "SELECT a.attempt, a.at, a.status, a.error, a.duration, a.event, d.delivery, d.state"
                " FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id"
                " WHERE a.webhook_id = ? ORDER BY a.id DESC LIMIT ?", (webhook_id, limit)).fetchall()
        return [Attempt(delivery=row["delivery"], event=row["event"], attempt=row["attempt"], at=row["at"],
                        status=row["status"], error=row["error"], duration=row["duration"], state=row["state"])
                for row in rows]

    def counts(self, webhook_id: int) -> dict[str, int]:
        """Deliveries of the endpoint by state."""
        with self.database.connect() as db:
            rows = db.execute("SELECT state, COUNT(*) AS n FROM webhook_deliveries WHERE webhook_id = ?"
                              " GROUP BY state", (webhook_id,)).fetchall()
        return {row["state"]: int(row["n"]) for row in rows}

    def waiting_counts(self) -> dict[str, int]:
        """Deliveries of every endpoint still to be made (``pending``) or given up (``failed``)."""
        counts = {"pending": 0, "failed": 0}
        with self.database.connect() as db:
            for row in db.execute("SELECT state, COUNT(*) AS n FROM webhook_deliveries"
                                  " WHERE state IN ('pending', 'failed') GROUP BY state").fetchall():
                counts[row["state"]] = int(row["n"])
        return counts

    # ------------------------------------------------------------------ refs seen, events queued

    def seen_refs(self) -> dict[str, str]:
        with self.database.connect() as db:
            return {row["ref"]: row["target"] for row in db.execute("SELECT ref, target FROM webhook_refs")}

    def advance(self, ref: str, old: str | None, new: str | None, events: Sequence[QueuedEvent]) -> bool:
        """Move ``ref``'s row from ``old`` to ``new`` (``None``: no row) and queue ``events`` for the
        endpoints that take them, in one transaction; ``False`` (nothing queued) when another
        process moved the row first."""
        now = time.time()
        try:
            with self.database.connect() as db:
                if old is None:
                    moved = db.execute("INSERT INTO webhook_refs (ref, target) VALUES (?, ?) ON CONFLICT (ref)"
                                       " DO NOTHING", (ref, new)).rowcount == 1
                elif new is None:
                    moved = db.execute("DELETE FROM webhook_refs WHERE ref = ? AND target = ?",
                                       (ref, old)).rowcount == 1
                else:
                    moved = db.execute("UPDATE webhook_refs SET target = ? WHERE ref = ? AND target = ?",
                                       (new, ref, old)).rowcount == 1
                if not moved:
                    return False
                if events:
                    self._queue(db, events, now)
        except IntegrityError:
            return False
        return True

    def _queue(self, db: Connection, events: Sequence[QueuedEvent], now: float) -> None:
        endpoints = [_endpoint(row) for row in db.execute("SELECT * FROM webhooks ORDER BY id").fetchall()]
        for item in events:
            for endpoint in endpoints:
                if item.event not in endpoint.events:
                    continue
                delivery = str(uuid.uuid4())
                site = endpoint.site_url.rstrip("/")
                payload = {**item.payload, "delivery": delivery,
                           "url": f"{site}{item.path}" if site else item.path}
                body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
                db.execute("INSERT INTO webhook_deliveries (webhook_id, delivery, event, body, created_at,"
                           " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
                           (endpoint.id, delivery, item.event, body, now, now))

    # ------------------------------------------------------------------ delivering

    def claim(self, *, lease_seconds: float, limit: int = 10) -> list[Delivery]:
        """Up to ``limit`` due deliveries, each leased to this caller for ``lease_seconds``."""
        now = time.time()
        owner = secrets.token_hex(8)
        with self.database.connect() as db:
            candidates = [row["id"] for row in db.execute(
                "SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?"
                " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?",
                (now, now, limit)).fetchall()]
        claimed = []
        for delivery_id in candidates:
            with self.database.connect() as db:
                taken = db.execute("UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?"
                                   " WHERE id = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until < ?)",
                                   (owner, now + lease_seconds, delivery_id, now)).rowcount == 1
                if taken:
                    row = db.execute("SELECT * FROM webhook_deliveries WHERE id = ?", (delivery_id,)).fetchone()
                    claimed.append(Delivery(id=row["id"], webhook_id=row["webhook_id"], delivery=row["delivery"],
                                            event=row["event"], body=row["body"], attempts=row["attempts"],
                                            lease_owner=owner))
        return claimed

    def record(self, delivery: Delivery, *, status: int | None, error: str, duration: float, delivered: bool,
               retry_at: float | None) -> None:
        """Log one attempt and settle the delivery: delivered, retried at ``retry_at``, or failed
        (``retry_at`` ``None``). Only the lease's holder may settle it."""
        now = time.time()
        attempt = delivery.attempts + 1
        state = "delivered" if delivered else ("pending" if retry_at is not None else "failed")
        with self.database.connect() as db:
            settled = db.execute(
                "UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?,"
                " next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, finished_at = ?"
                " WHERE id = ? AND lease_owner = ?",
                (state, attempt, status, error, retry_at if retry_at is not None else now,
                 None if state == "pending" else now, delivery.id, delivery.lease_owner)).rowcount == 1
            if settled:
                db.execute("INSERT INTO webhook_attempts (webhook_id, delivery_id, event, attempt, at, status, error,"
                           " duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (delivery.webhook_id, delivery.id, delivery.event, attempt, now, status, error, duration))

    def next_due(self) -> float | None:
        """When the next pending delivery is due (a time.time() value), or ``None``."""
        with self.database.connect() as db:
            row = db.execute("SELECT MIN(next_attempt_at) AS due FROM webhook_deliveries"
                             " WHERE state = 'pending'").fetchone()
        return row["due"] if row and row["due"] is not None else None


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(id=row["id"], url=row["url"], events=tuple(e for e in row["events"].split(",") if e),
                    secret=row["secret"], site_url=row["site_url"], created_by=row["created_by"],
                    created_at=row["created_at"])
