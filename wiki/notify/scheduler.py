"""The scheduled jobs: send queued mail, write the digests of periods that ended, and the
deadline jobs the app registers (reminders, the silence procedure). ``flask --app wiki
scheduled`` runs them once; each serving process also runs them every ``SCHEDULER_SECONDS``.

Exactly one process runs them at a time: a lease row in the accounts database
(``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` the lease expired or is ours), renewed per run.
What a job did is keyed by what it is for, never by when it last ran: a digest by (user, period)
in the outbox's unique key, a period as done in ``jobs_done``, a reminder by (proposal, deadline);
so two processes, a restart or a late run neither repeat nor skip one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask

from ..database import Database
from .activity import REASONS, frequency
from .inbox import SETTING_COLUMNS, placeholders
from .mail import MailSettings, send_due
from .outbox import Outbox

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
LEASE_SECONDS = 300  # a run that dies leaves the lease to the next process after this
DAILY_BACK = 7  # daily periods looked at (a week of downtime loses no digest)
WEEKLY_BACK = 2
DIGEST_ITEMS = 200  # the most notifications one digest lists

Job = Callable[[Flask], object]  # a job registered with :func:`register` (the deadlines, by the actions layer)
JOBS = "wiki_scheduled_jobs"  # app.extensions: the registered jobs, (name, job) in order


def register(app: Flask, name: str, job: Job) -> None:
    """Add a job that each run calls (in an app context) before the mail is sent."""
    app.extensions.setdefault(JOBS, []).append((name, job))


class Lease:
    """The scheduler's lease in ``database``: taken when free, expired or ours; given back after a run."""

    def __init__(self, database: Database, name: str = LEASE_NAME) -> None:
        self.database = database
        self.name = name
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    def take(self, seconds: float = LEASE_SECONDS) -> bool:
        now = time.time()
        with self.database.connect() as db:
            return db.execute("INSERT INTO leases (name, owner, until) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
                              " SET owner = excluded.owner, until = excluded.until"
                              " WHERE leases.until < ? OR leases.owner = excluded.owner",
                              (self.name, self.owner, now + seconds, now)).rowcount == 1

    def give_back(self) -> None:
        with self.database.connect() as db:
            db.execute("UPDATE leases SET until = 0 WHERE name = ? AND owner = ?", (self.name, self.owner))


def done(database: Database, job: str) -> bool:
    with database.connect() as db:
        return db.execute("SELECT 1 FROM jobs_done WHERE job = ?", (job,)).fetchone() is not None


def mark_done(database: Database, job: str) -> bool:
    """Record ``job`` as done; ``False`` when it already was."""
    with database.connect() as db:
        return db.execute("INSERT INTO jobs_done (job, done_at) VALUES (?, ?) ON CONFLICT (job) DO NOTHING",
                          (job, time.time())).rowcount == 1


# --------------------------------------------------------------------------- digests


def periods(now: datetime) -> list[tuple[str, str, float, float]]:
    """The digest periods that ended by ``now``, oldest first: ``(name, kind, start, end)``."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    found = []
    for back in range(WEEKLY_BACK, 0, -1):
        start = today - timedelta(days=today.weekday() + 7 * back)  # weeks start on Monday, UTC
        found.append((f"weekly:{start:%G-W%V}", "weekly", start.timestamp(), (start + timedelta(days=7)).timestamp()))
    for back in range(DAILY_BACK, 0, -1):
        start = today - timedelta(days=back)
        found.append((f"daily:{start:%Y-%m-%d}", "daily", start.timestamp(), (start + timedelta(days=1)).timestamp()))
    return found


def write_digests(database: Database, outbox: Outbox, now: datetime) -> int:
    """Queue the digest of every period that ended and is not done yet; how many were queued."""
    queued = 0
    for name, kind, start, end in periods(now):
        if done(database, f"digest:{name}"):
            continue
        with database.connect() as db:
            people = db.execute("SELECT u.id, u.role, s.* FROM users u LEFT JOIN notify_settings s"
                                " ON s.user_id = u.id WHERE u.email <> ''").fetchall()
            for person in people:
                settings = {column: person[column] or "" for column in SETTING_COLUMNS}
                kinds = [reason for reason in REASONS if frequency(settings, reason, person["role"]) == kind]
                if not kinds:
                    continue
                rows = db.execute(
                    "SELECT subject, reason, activity, actor, title, page, proposal FROM notifications"
                    " WHERE user_id = ? AND updated_at >= ? AND updated_at < ?"
                    f" AND reason IN ({placeholders(len(kinds))}) ORDER BY updated_at LIMIT ?",
                    (person["id"], start, end, *kinds, DIGEST_ITEMS)).fetchall()
                if not rows:
                    continue
                items = [{key: row[key] for key in ("subject", "reason", "activity", "actor", "title", "page",
                                                     "proposal")} for row in rows]
                if outbox.add(person["id"], f"digest:{person['id']}:{name}",
                              {"type": "digest", "period": name, "kinds": kinds, "items": items}, db=db):
                    queued += 1
        mark_done(database, f"digest:{name}")
    return queued


# --------------------------------------------------------------------------- running


def run_due(app: Flask, *, now: datetime | None = None) -> dict[str, object] | None:
    """Run every due job once (inside an app context), holding the lease; ``None`` when another
    process holds it. Returns what each job did."""
    database = app.extensions["wiki_users"].database
    lease = Lease(database)
    if not lease.take():
        return None
    report: dict[str, object] = {}
    try:
        moment = now or datetime.now(UTC)
        for name, job in app.extensions.get(JOBS, []):
            report[name] = _safely(name, lambda job=job: job(app))
        outbox: Outbox = app.extensions["wiki_outbox"]
        settings: MailSettings = app.extensions["wiki_mail"]
        if settings.enabled:
            report["digests"] = _safely("digests", lambda: write_digests(database, outbox, moment))
        report["mail"] = _safely("mail", lambda: send_due(app, outbox, settings))
    finally:
        lease.give_back()
    return report


def _safely(name: str, job: Callable[[], object]) -> object:
    try:
        return job()
    except Exception:  # noqa: BLE001 - one broken job must not stop the others
        logger.exception("scheduled job %s failed", name)
        return "failed"


class Scheduler:
    """The in-process scheduler: a daemon thread per serving process that calls :func:`run_due`
    every ``seconds`` (the lease lets one process at a time do the work)."""

    def __init__(self, app: Flask, seconds: float) -> None:
        self.app = weakref.ref(app)
        self.seconds = seconds
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.lock = threading.Lock()

    def ensure_running(self) -> None:
        if self.seconds <= 0 or (self.thread is not None and self.pid == os.getpid() and self.thread.is_alive()):
            return
        with self.lock:
            if self.thread is not None and self.pid == os.getpid() and self.thread.is_alive():
                return
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._run, name="wiki-scheduler", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        while not self.wake.wait(self.seconds):
            app = self.app()
            if app is None or self.pid != os.getpid():
                return
            with app.app_context():
                try:
                    run_due(app)
                except Exception:  # noqa: BLE001 - the next minute tries again
                    logger.exception("scheduler: a run failed")
            del app

    def stop(self) -> None:
        self.wake.set()
