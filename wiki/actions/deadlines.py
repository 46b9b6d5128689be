"""What happens at a proposal's or a call's deadline, run by the scheduler (``flask --app wiki
scheduled`` and each serving process's thread, one at a time): a reminder to the groups a proposal
still awaits a day before, and under the silence procedure its adoption by a merge commit with a
``Silence-Procedure: <deadline>`` trailer when no group objected before the deadline; a day before
a call for input closes, a reminder to everyone in the stakeholder groups who has not answered it.

Each is done once per (proposal or call, deadline), recorded in ``jobs_done``, so a restart or a
second process never repeats one and a late run still does it; a moved deadline is a new one.
"""

from __future__ import annotations

import logging
import time

from flask import Flask

from ..errors import WikiError
from ..notify.scheduler import done, mark_done, register
from ..store import Author
from . import notices
from .context import Actor, groups, setting, store
from .proposals import awaited, consensus, get

logger = logging.getLogger(__name__)
REMIND_BEFORE = 24 * 3600  # reminders go out a day before the deadline


def init_app(app: Flask) -> None:
    register(app, "deadlines", run)
    register(app, "call_deadlines", remind_calls)


def wiki_actor() -> Actor:
    """The wiki itself, acting at a deadline (recorded as its committer, for the secretariat)."""
    return Actor(username="", display_name=str(setting("COMMITTER_NAME")), email=str(setting("COMMITTER_EMAIL")),
                 group=str(setting("SECRETARIAT_GROUP")), role="")


def run(app: Flask, now: float | None = None) -> dict[str, int]:
    """Send due reminders and adopt proposals whose silence held; what was done."""
    database = app.extensions["wiki_users"].database
    now = time.time() if now is None else now
    report = {"reminders": 0, "adopted": 0}
    for proposal in store().proposals.list():
        deadline = proposal.deadline_time
        if proposal.state != "open" or deadline is None or now < deadline - REMIND_BEFORE:
            continue
        if now < deadline:
            if not done(database, f"remind:{proposal.number}:{proposal.deadline}"):
                waiting = awaited(consensus(proposal))
                if waiting:
                    notices.proposal(wiki_actor(), proposal, "deadline", groups=waiting)
                mark_done(database, f"remind:{proposal.number}:{proposal.deadline}")
                report["reminders"] += 1
            continue
        job = f"deadline:{proposal.number}:{proposal.deadline}"
        if proposal.procedure != "silence" or done(database, job):
            continue
        if proposal.silence_broken() is None:
            try:
                adopt(proposal.number)
                report["adopted"] += 1
            except WikiError as error:  # conflicts with the agreed text: the secretariat merges by hand
                logger.warning("silence procedure: proposal %s not adopted: %s", proposal.number, error.message)
        mark_done(database, job)
    return report


def remind_calls(app: Flask, now: float | None = None) -> dict[str, int]:
    """Tell everyone who has not answered an open call that its deadline is less than a day away;
    how many calls were reminded of."""
    database = app.extensions["wiki_users"].database
    now = time.time() if now is None else now
    reminded = 0
    for call in store().calls.all():
        if call.state != "open" or not call.deadline - REMIND_BEFORE <= now < call.deadline:
            continue
        if not mark_done(database, f"call-remind:{call.slug}:{call.deadline}"):
            continue  # told before (by this process or another)
        answered = [response.respondent for response in store().calls.responses(call.slug)]
        notices.call_deadline(call, groups(), answered)
        reminded += 1
    return {"reminders": reminded}


def adopt(number: int) -> str:
    """Merge proposal ``number`` under the silence procedure; the merge commit."""
    actor = wiki_actor()
    author = Author(name=actor.display_name, email=actor.email, username="", group=actor.group)
    commit = store().merge_proposal(number, groups=groups(), author=author, display_name=actor.display_name,
                                    admin=False, silence=True)
    adopted = get(number)
    notices.proposal(actor, adopted, "adopted", groups=groups(), pages=store().proposals.changed_pages(adopted))
    return commit
