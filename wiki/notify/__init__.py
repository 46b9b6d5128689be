"""Notifications, watchlists and e-mail (issue 27): who is told what, in the accounts database.

- ``activity``: what happened (an :class:`Activity`) and the rule that gives each recipient a reason;
- ``inbox``: the tables (inbox rows, watches, settings) and telling everyone concerned at once;
- ``outbox``: mail queued in the same transaction, sent later with retries; ``mail``: writing and
  sending it (``MAIL_*`` settings, ``smtplib``), signed unsubscribe and confirmation links.

The actions describe what they did (see :mod:`wiki.actions.notices`) and call :func:`tell`; views
read the inbox through :func:`inbox`. A failure here never undoes or fails the write that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import click
from flask import Flask, current_app, g
from flask_login import current_user

from . import texts
from .activity import (
    FREQUENCIES,
    REASONS,
    Activity,
    frequency,
    page_subjects,
    subject_of_call,
    subject_of_page,
    subject_of_proposal,
    subject_of_section,
    subject_of_thread,
)
from .inbox import Inbox, Notification, Settings
from .mail import MailSettings
from .outbox import Outbox
from .scheduler import Scheduler, run_due

__all__ = ["FREQUENCIES", "REASONS", "Activity", "Inbox", "MailSettings", "Notification", "Outbox", "Settings",
           "inbox", "init_app", "mail_settings", "outbox", "page_subjects", "subject_of_call", "subject_of_page",
           "subject_of_proposal",
           "subject_of_section", "subject_of_thread", "tell", "texts", "unread_count", "watching"]
logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    database = app.extensions["wiki_users"].database
    app.extensions["wiki_inbox"] = Inbox(database)
    settings = MailSettings.from_config(app.config)
    outbox = Outbox(database, retry_seconds=float(app.config["MAIL_RETRY_SECONDS"]),
                    max_attempts=int(app.config["MAIL_MAX_ATTEMPTS"]))
    app.extensions["wiki_mail"] = settings
    app.extensions["wiki_outbox"] = outbox
    if settings.enabled:  # no mail is queued when MAIL_SERVER is unset
        app.extensions["wiki_mail_queue"] = outbox.queue_activity
    scheduler = Scheduler(app, float(app.config["SCHEDULER_SECONDS"]))
    app.extensions["wiki_scheduler"] = scheduler
    if not app.config.get("PRIMARY_URL"):  # a read replica leaves the jobs to its primary
        app.before_request(scheduler.ensure_running)

    @app.cli.command("scheduled")
    def scheduled_command() -> None:
        """Run every due job once: queued mail, digests of periods that ended, reminders, deadlines."""
        report = run_due(app)
        if report is None:
            click.echo("Another process is running the scheduled jobs; nothing done.")
            return
        for name, result in report.items():
            click.echo(f"{name}: {result}")
    app.add_template_global(settings.enabled, "sends_mail")  # the login page's "Forgot your password?"
    app.add_template_global(unread_count, "unread_notifications")
    app.add_template_global(watching, "watching")
    app.add_template_global(settings_of_user, "notification_settings")
    app.add_template_global(frequency, "notify_frequency")
    app.add_template_global(texts.KINDS, "notify_kinds")
    app.add_template_global(texts.FREQUENCIES, "notify_frequencies")


def outbox() -> Outbox:
    return current_app.extensions["wiki_outbox"]


def mail_settings() -> MailSettings:
    return current_app.extensions["wiki_mail"]


def inbox() -> Inbox:
    return current_app.extensions["wiki_inbox"]


def tell(activity: Activity, *, autowatch: Sequence[str] = ()) -> None:
    """Tell everyone concerned by ``activity``; the actor watches ``autowatch`` if they chose to.
    The write that caused it has landed: a failure here is logged, never raised."""
    try:
        inbox().deliver(activity, autowatch=autowatch, queue=current_app.extensions.get("wiki_mail_queue"))
    except Exception:  # noqa: BLE001 - the write stands; its notification is lost, and logged
        logger.exception("notifications: cannot record %s on %s", activity.activity, activity.subject)


def unread_count() -> int:
    """The logged-in user's unread notifications, once per request (the header shows it)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = inbox().unread(current_user.id)
        except Exception:  # noqa: BLE001 - a page must not fail for its header's counter
            logger.exception("notifications: cannot count")
            g.unread_notifications = 0
    return g.unread_notifications


def watching(subject: str) -> bool:
    """Whether the logged-in user watches ``subject`` (the Watch buttons)."""
    return bool(current_user.is_authenticated and inbox().watching(current_user.id, subject))


def settings_of_user() -> Settings:
    """The logged-in user's notification settings (the form on /-/account)."""
    return inbox().settings(current_user.id)
