"""Comment threads on passages: start one on what the reader read, reply, resolve, reopen; and
the threads a list's filters select. The web views and the API call these, so the rules (a
thread quotes a revision that exists, the kinds, who may resolve) are written once."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g

from .. import limits, names
from ..budget import Budget
from ..discussion import Discussion, Discussions, Placed
from ..errors import N_, InvalidContent, NotPermitted, PageNotFound
from ..store.comment_model import KINDS, Thread
from ..users import can_moderate
from . import notices
from .context import Actor, groups, store
from .proposals import get as get_proposal

STATES = ("open", "resolved", "outdated", "all")
MAX_REASON_CHARS = 500
FILTERS = ("group", "kind", "page", "section", "state")


def discussions() -> Discussions:
    return current_app.extensions["wiki_discussions"]


def budget() -> Budget:
    """The request's one budget for placing threads, however many lists it shows
    (``ANCHOR_BUDGET_SECONDS``, ``ANCHOR_BUDGET_WORK``); the rest is placed in the background."""
    if "anchor_budget" not in g:
        config = current_app.config
        g.anchor_budget = Budget(float(config["ANCHOR_BUDGET_SECONDS"]), int(config["ANCHOR_BUDGET_WORK"]))
    return g.anchor_budget


def discussion(actor: Actor, page: str, proposal: int | None, blob: str | None,
               html: str | None = None) -> Discussion:
    """The page's threads ``actor`` sees, placed on its text ``blob`` (shown as ``html``), within
    the budget."""
    threads = visible(actor, store().comments.of_page(page, proposal))
    commit = get_proposal(proposal).head if proposal is not None else store().head()
    return discussions().discussion(threads, blob, html, budget(), previous_text(page, commit))


def previous_text(page: str, commit: str | None) -> Callable[[], str | None]:
    """The page's blob before its last change up to ``commit``, found when asked: threads placed
    there are followed through that change (see :meth:`Discussions.place_all`)."""
    def find() -> str | None:
        change = store().last_change(page, commit) if commit else None
        if change is None or not change.parents:
            return None
        return store().page_blob_id(page, change.parents[0])

    return find


def visible(actor: Actor, threads: list[Thread]) -> list[Thread]:
    """The threads ``actor`` may see: all for moderators, else those not hidden as spam."""
    return threads if can_moderate(actor) else [thread for thread in threads if not thread.hidden]


def set_hidden(actor: Actor, number: int, hidden: bool, reason: str = "") -> bool:
    """Hide thread ``number`` as spam (``hidden``) or show it again; moderators only. The event
    stays in the thread's history. Whether anything changed."""
    if not can_moderate(actor):
        raise NotPermitted(N_("Only the secretariat and admins may hide a thread as spam or show it again."))
    get(number)
    return store().comments.set_hidden(number, hidden, author=actor.author,
                                       reason=" ".join(reason.split())[:MAX_REASON_CHARS])


def start(actor: Actor, page: str, *, rev: str, text: str, kind: str = "comment", quote: str = "",
          occurrence: int | None = None, position: int | None = None, paragraph: int | None = None,
          proposal: int | None = None) -> int:
    """Start a thread on the passage ``quote`` (or paragraph number ``paragraph``) of ``page`` as it
    was at ``rev``, the revision the actor read; return its number."""
    wiki = store()
    if proposal is not None:
        get_proposal(proposal)
    if not rev.strip():
        raise InvalidContent(N_("Say which revision you read (rev)."))
    commit = wiki.resolve(rev.strip())
    blob = wiki.page_blob_id(page, commit)
    if blob is None:
        raise PageNotFound(N_("The page %(page)s does not exist in that revision."), page=repr(page))
    if kind not in KINDS:
        raise InvalidContent(N_("The kind of comment must be one of: %(kinds)s."), kinds=", ".join(KINDS))
    limits.check("threads", actor)
    anchor = discussions().anchor(blob, commit, quote=quote, occurrence=occurrence, position=position,
                                  paragraph=paragraph)
    number = wiki.comments.start(page, anchor, kind, text, proposal=proposal, author=actor.author)
    notices.thread(actor, number, "thread", text=text)
    return number


def get(number: int, page: str | None = None, actor: Actor | None = None) -> Thread:
    """Thread ``number`` (on ``page`` when given, and one ``actor`` may see when given); a 404
    otherwise."""
    thread = store().comments.get(number)
    if (page is not None and thread.page != page) or (actor is not None and not visible(actor, [thread])):
        raise PageNotFound(N_("There is no comment thread %(number)s."), number=number)
    return thread


def reply(actor: Actor, number: int, text: str) -> None:
    get(number, actor=actor)
    limits.check("replies", actor)
    store().comments.reply(number, text, author=actor.author)
    notices.thread(actor, number, "replied", text=text)


def may_resolve(actor: Actor, thread: Thread) -> bool:
    """Whether ``actor`` may resolve or reopen ``thread``: its author, or a reviewer."""
    return actor.logged_in and (actor.username == thread.author or actor.can("reviewer"))


def set_state(actor: Actor, number: int, state: str) -> None:
    """Resolve (``resolved``) or reopen (``open``) thread ``number``."""
    get(number, actor=actor)
    store().comments.set_state(number, state, author=actor.author, may_resolve_any=actor.can("reviewer"))
    notices.thread(actor, number, "resolved" if state == "resolved" else "reopened_thread")


def page_threads(page: str, proposal: int | None) -> tuple[list[Thread], str | None, str]:
    """The page's threads, and the blob and commit of the text they are placed on (the agreed
    text, or the proposal's)."""
    wiki = store()
    commit = get_proposal(proposal).head if proposal is not None else wiki.head()
    blob = wiki.page_blob_id(page, commit) if commit else None
    return wiki.comments.of_page(page, proposal), blob, commit or ""


def check_filters(filters: dict[str, str]) -> dict[str, str]:
    """The list's filters, checked (a 400 naming what is wrong) and page names normalized."""
    if "group" in filters and filters["group"] not in groups():
        raise InvalidContent(N_("There is no stakeholder group %(group)s; the groups are: %(known)s."),
                             group=repr(filters["group"]), known=", ".join(groups()))
    if "kind" in filters and filters["kind"] not in KINDS:
        raise InvalidContent(N_("The kind of comment must be one of: %(kinds)s."), kinds=", ".join(KINDS))
    if "state" in filters and filters["state"] not in STATES:
        raise InvalidContent(N_("The state must be one of: %(states)s."), states=", ".join(STATES))
    for name in ("page", "section"):
        if name in filters:
            filters[name] = names.normalize_page_name(filters[name])
    return filters


def open_questions(actor: Actor, proposals: set[int]) -> list[Thread]:
    """The open objections and questions ``actor`` may see on the text of ``proposals``, most
    recently active first (``/-/awaiting``: what a group's own proposals wait for)."""
    if not proposals:
        return []
    found = [thread for thread in visible(actor, store().comments.all())
             if thread.state == "open" and thread.kind in ("objection", "question") and thread.proposal in proposals]
    return sorted(found, key=lambda thread: thread.updated, reverse=True)


def matching(actor: Actor, filters: dict[str, str], limit: int | None = None,
             skip: int = 0) -> tuple[list[Placed], bool]:
    """The threads the filters select that ``actor`` may see, most recently active first, placed
    on the agreed text; and whether there are more after ``limit``."""
    wiki = store()
    state = filters.get("state", "open")
    section = filters.get("section")
    chosen = []
    head = wiki.head()
    for thread in visible(actor, wiki.comments.all()):
        if ("group" in filters and thread.group != filters["group"]) or \
                ("kind" in filters and thread.kind != filters["kind"]) or \
                ("page" in filters and thread.page != filters["page"]) or \
                (section and not (thread.page == section or thread.page.startswith(section + "/"))):
            continue
        if state in ("open", "resolved") and thread.state != state:
            continue
        chosen.append(thread)
    found: list[Placed] = []
    skipped = 0
    for thread in chosen:  # placing costs a page's text: only for the threads shown
        item = place(thread, head)
        if state == "outdated" and not item.outdated:
            continue  # a thread not placed yet is not known to be outdated
        if skipped < skip:
            skipped += 1
            continue
        if limit is not None and len(found) == limit:
            return found, True
        found.append(item)
    return found, False


def placed(number: int, actor: Actor) -> Placed:
    """Thread ``number`` (one ``actor`` may see) placed on the text it belongs to now."""
    thread = get(number, actor=actor)
    return place(thread, store().head())


def place(thread: Thread, head: str | None) -> Placed:
    """``thread`` placed on its text (its proposal's head, or the agreed text at ``head``), within the budget."""
    commit = thread_commit(thread, head)
    blob = store().page_blob_id(thread.page, commit) if commit else None
    return discussions().place_all([thread], blob, budget(), previous_text(thread.page, commit))[0]


def thread_commit(thread: Thread, head: str | None) -> str | None:
    """The commit whose page text a thread is placed on: its proposal's head, or ``head``."""
    if thread.proposal is None:
        return head
    try:
        return store().proposals.get(thread.proposal, with_drafters=False).head
    except PageNotFound:
        return None

