"""What the actions tell people: each write describes itself as a :class:`wiki.notify.Activity`
(on a proposal, a thread, a page or a call for input) and :func:`wiki.notify.tell` finds who is
concerned.

The actor watches what they propose, comment on or edit when their setting says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..notify import (
    Activity,
    page_subjects,
    subject_of_call,
    subject_of_page,
    subject_of_proposal,
    subject_of_thread,
    tell,
)
from ..store.call_model import Call, Response
from ..store.proposals import Proposal
from .context import Actor, store

POSITION_ACTIVITIES = {"endorse": "endorsed", "object": "objected", "withdraw": "withdrew"}


def proposal(actor: Actor, proposal: Proposal, activity: str, *, groups: Iterable[str] = (), text: str = "",
             pages: Iterable[str] = ()) -> None:
    """``activity`` on ``proposal``: its author, the ``groups`` it awaits, people mentioned in
    ``text`` and the watchers of the proposal and of ``pages`` are told."""
    subject = subject_of_proposal(proposal.number)
    tell(Activity(subject, activity, actor.username, proposal.title, proposal=proposal.number,
                  owners=(proposal.author,), groups=tuple(sorted(groups)), text=text,
                  watched=(subject, *(watched for page in pages for watched in page_subjects(page)))),
         autowatch=(subject,) if actor.logged_in else ())


def thread(actor: Actor, number: int, activity: str, *, text: str = "") -> None:
    """``activity`` on comment thread ``number``: its author, people mentioned and the watchers of
    the thread, of its page (or a section it is in) and of its proposal are told."""
    found = store().comments.get(number)
    subject = subject_of_thread(number)
    watched = [subject, *page_subjects(found.page)]
    if found.proposal is not None:
        watched.append(subject_of_proposal(found.proposal))
    tell(Activity(subject, activity, actor.username, found.page, page=found.page, proposal=found.proposal,
                  owners=(found.author,), text=text, watched=tuple(watched)),
         autowatch=(subject,) if actor.logged_in else ())


def page(actor: Actor, page: str, activity: str = "edited") -> None:
    """A change of ``page`` on the agreed text: the watchers of the page and of its sections are told."""
    subject = subject_of_page(page)
    tell(Activity(subject, activity, actor.username, page, page=page, watched=page_subjects(page)),
         autowatch=(subject,) if actor.logged_in else ())


def call_opened(actor: Actor, call: Call) -> None:
    """A new call: whoever opened it watches it (their setting permitting), so they hear of its
    responses; nobody else is told yet."""
    subject = subject_of_call(call.slug)
    tell(Activity(subject, "call_opened", actor.username, call.title, watched=(subject,)),
         autowatch=(subject,) if actor.logged_in else ())


def response(call: Call, saved: Response) -> None:
    """A new response: the call's watchers are told, by the respondent's name only when they
    consented to be cited (the respondent is not told of their own response)."""
    activity = "responded" if saved.consent == "cite" else "responded_unnamed"
    subject = subject_of_call(call.slug)
    tell(Activity(subject, activity, saved.respondent, call.title, watched=(subject,)))


def call_deadline(call: Call, groups: Iterable[str], answered: Iterable[str]) -> None:
    """A call's deadline nears: everyone in ``groups`` who has not answered yet, and its
    watchers, are told."""
    subject = subject_of_call(call.slug)
    tell(Activity(subject, "call_deadline", "", call.title, groups=tuple(sorted(groups)), watched=(subject,),
                  spared=tuple(sorted(answered))))
