"""Comment threads on passages: start one, reply, resolve, reopen; a page's threads; all open ones."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .. import limits, names
from ..auth import can, current_author, role_required
from ..budget import Budget
from ..discussion import Discussion, Discussions, Placed
from ..errors import N_, PageNotFound
from ..http_cache import mark_incomplete
from ..i18n import language
from ..store import LRUCache
from ..store.comment_model import KINDS, Thread
from ..store.proposals import Proposal
from .changes import XML_FORBIDDEN
from .common import BadForm, canonical_page, form_field, page_context, page_number, query_arg, store
from .proposals import get as get_proposal

bp = Blueprint("comments", __name__)

STATES = ("open", "resolved", "outdated", "all")
LIST_PAGE_SIZE = 50
FEED_SIZE = 50


def discussions() -> Discussions:
    return current_app.extensions["wiki_discussions"]


def anchor_budget() -> Budget:
    """The request's one budget for placing threads, however many lists it shows."""
    if "anchor_budget" not in g:
        config = current_app.config
        g.anchor_budget = Budget(float(config["ANCHOR_BUDGET_SECONDS"]), int(config["ANCHOR_BUDGET_WORK"]))
    return g.anchor_budget


def placed_with_budget(placed: Placed) -> Placed:
    """``placed``, after noting that an answer showing a thread not placed yet must not be kept."""
    if placed.pending:
        mark_incomplete()
    return placed


CSRF_HOLE = "csrf-" + secrets.token_hex(16)  # where a cached thread's forms take the request's token


@bp.app_template_global("thread_html")
def thread_html(placed: Placed) -> Markup:
    """One thread as HTML, rendered once per state of the thread, language and kind of viewer (a
    page of 300 threads would otherwise spend most of its time formatting the same fragments)."""
    thread = placed.thread
    logged_in = bool(current_user.is_authenticated)
    may_resolve = logged_in and (current_user.username == thread.author or can("reviewer"))
    key = (thread.number, thread.page, thread.state, len(thread.entries), thread.entries[-1].name, placed.passage,
           placed.outdated, placed.pending, language(), request.script_root, logged_in, may_resolve)
    cache: LRUCache[tuple[object, ...], str] = current_app.extensions.setdefault("wiki_thread_html", LRUCache(20_000))
    html = cache.get_or_compute(key, lambda: render_template("comments/_thread.html", placed=placed,
                                                             logged_in=logged_in, may_resolve=may_resolve,
                                                             csrf=CSRF_HOLE))
    return Markup(html.replace(CSRF_HOLE, generate_csrf()) if logged_in else html)


def _number(raw: str | None, what: str) -> int | None:
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 9):
        raise BadForm(N_("%(name)s must be a positive whole number."), name=what)
    return int(raw)


def _proposal(raw: str | None) -> Proposal | None:
    number = _number(raw, "proposal")
    return None if number is None else get_proposal(number)


def page_threads(page: str, proposal: Proposal | None) -> tuple[list[Thread], str | None, str]:
    """The page's threads, and the blob and commit of the text they are placed on (the agreed
    text, or the proposal's)."""
    wiki = store()
    commit = proposal.head if proposal else wiki.head()
    blob = wiki.page_blob_id(page, commit) if commit else None
    return wiki.comments.of_page(page, proposal.number if proposal else None), blob, commit or ""


# --------------------------------------------------------------------------- one page


@bp.post("/<path:page>/-/comments")
@role_required("reader")
def start(page: str) -> Response:
    limits.check("threads")
    page, _redirect = canonical_page(page, "comments.page_comments")
    wiki = store()
    proposal = _proposal(form_field("proposal", required=False))
    rev = form_field("rev").strip()
    if not rev:
        raise BadForm(N_("Say which revision you read (rev)."))
    commit = wiki.resolve(rev)
    blob = wiki.page_blob_id(page, commit)
    if blob is None:
        raise PageNotFound(N_("The page %(page)s does not exist in that revision."), page=repr(page))
    kind = form_field("kind", required=False, default="comment")
    if kind not in KINDS:
        raise BadForm(N_("The kind of comment must be one of: %(kinds)s."), kinds=", ".join(KINDS))
    paragraph = _number(form_field("paragraph", required=False), "paragraph")
    anchor = discussions().anchor(
        blob, commit, quote=form_field("quote", required=paragraph is None),
        occurrence=_number(form_field("occurrence", required=False), "occurrence"),
        position=_number(form_field("position", required=False), "position"), paragraph=paragraph)
    number = wiki.comments.start(page, anchor, kind, form_field("text"),
                                 proposal=proposal.number if proposal else None, author=current_author())
    flash(_("Your comment was added."))
    return redirect(_page_url(page, proposal) + f"#thread-{number}", 303)


@bp.post("/<path:page>/-/comments/<int:number>")
@role_required("reader")
def act(page: str, number: int) -> Response:
    page, _redirect = canonical_page(page, "comments.page_comments")
    wiki = store()
    thread = wiki.comments.get(number)
    if thread.page != page:
        raise PageNotFound(N_("There is no comment thread %(number)s."), number=number)
    action = form_field("action")
    if action == "reply":
        limits.check("replies")
        wiki.comments.reply(number, form_field("text"), author=current_author())
        flash(_("Your reply was added."))
    elif action in ("resolve", "reopen"):
        wiki.comments.set_state(number, "resolved" if action == "resolve" else "open", author=current_author(),
                                may_resolve_any=can("reviewer"))
        flash(_("The thread was resolved.") if action == "resolve" else _("The thread was reopened."))
    else:
        raise BadForm(N_("The action must be reply, resolve or reopen."))
    proposal = get_proposal(thread.proposal) if thread.proposal else None
    return redirect(_page_url(page, proposal) + f"#thread-{number}", 303)


def _page_url(page: str, proposal: Proposal | None) -> str:
    if proposal is not None:
        return url_for("pages.view", page=page, proposal=proposal.number)
    return url_for("pages.view", page=page)


@bp.get("/<path:page>/-/comments")
def page_comments(page: str) -> str | Response:
    page, redirect_to = canonical_page(page, "comments.page_comments")
    if redirect_to:
        return redirect_to
    proposal = _proposal(query_arg("proposal"))
    threads, blob, commit = page_threads(page, proposal)
    if blob is None and not threads:
        abort(404, description=_("There is no page %(page)s.", page=page))
    discussion = discussions().discussion(threads, blob, budget=anchor_budget())
    if discussion.pending:
        mark_incomplete()
    paragraph = _number(query_arg("paragraph"), "paragraph")
    chosen = None
    if paragraph is not None:
        if blob is None or not 1 <= paragraph <= len(discussion.paragraphs):
            abort(404, description=_("There is no paragraph %(number)s on this page.", number=paragraph))
        chosen = discussion.paragraphs[paragraph - 1]
    placed = list(discussion.placed)
    sections = {
        "open": [item for item in placed if item.thread.state == "open" and item.located],
        "pending": [item for item in placed if item.pending],
        "outdated": [item for item in placed if item.outdated],
        "resolved": [item for item in placed if item.thread.state == "resolved" and item.located],
    }
    return render_template("comments/page.html", threads=sections, paragraph=chosen, commit=commit,
                           proposal=proposal, kinds=KINDS, can_comment=current_user.is_authenticated,
                           **page_context(page))


# --------------------------------------------------------------------------- the whole document


def comment_filters() -> dict[str, str]:
    shown = {name: value for name in ("group", "kind", "page", "section", "state") if (value := query_arg(name))}
    if "group" in shown and shown["group"] not in current_app.config["GROUPS"]:
        raise BadForm(N_("There is no stakeholder group %(group)s; the groups are: %(known)s."),
                      group=repr(shown["group"]), known=", ".join(current_app.config["GROUPS"]))
    if "kind" in shown and shown["kind"] not in KINDS:
        raise BadForm(N_("The kind of comment must be one of: %(kinds)s."), kinds=", ".join(KINDS))
    if "state" in shown and shown["state"] not in STATES:
        raise BadForm(N_("The state must be one of: %(states)s."), states=", ".join(STATES))
    for name in ("page", "section"):
        if name in shown:
            shown[name] = names.normalize_page_name(shown[name])
    return shown


def matching_threads(filters: dict[str, str], limit: int | None = None, skip: int = 0) -> tuple[list[Placed], bool]:
    """The threads the filters select, most recently active first, placed on the agreed text."""
    wiki = store()
    state = filters.get("state", "open")
    section = filters.get("section")
    chosen = []
    head = wiki.head()
    for thread in wiki.comments.all():
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
        blob = thread_blob(thread, head)
        item = placed_with_budget(discussions().place(thread, blob, anchor_budget()))
        if state == "outdated" and not item.outdated:
            continue  # a thread not placed yet is not known to be outdated
        if skipped < skip:
            skipped += 1
            continue
        if limit is not None and len(found) == limit:
            return found, True
        found.append(item)
    return found, False


def thread_blob(thread: Thread, head: str | None) -> str | None:
    wiki = store()
    if thread.proposal is not None:
        try:
            commit = wiki.proposals.get(thread.proposal, with_drafters=False).head
        except PageNotFound:
            return None
    else:
        commit = head
    return wiki.page_blob_id(thread.page, commit) if commit else None


@bp.get("/-/comments")
def all_comments() -> str:
    filters = comment_filters()
    number = page_number()
    found, has_next = matching_threads(filters, limit=LIST_PAGE_SIZE, skip=(number - 1) * LIST_PAGE_SIZE)
    return render_template("comments/all.html", found=found, filters=filters, number=number, has_next=has_next,
                           kinds=KINDS, states=STATES, groups=current_app.config["GROUPS"],
                           title=_("Comments"))


@bp.get("/-/comments.atom")
def feed() -> Response:
    filters = comment_filters()
    found, _more = matching_threads(filters, limit=FEED_SIZE)
    body = render_template("comments/feed.xml", found=found, filters=filters,
                           updated=max((item.thread.updated for item in found), default=0),
                           feed_url=url_for("comments.feed", _external=True, **filters),
                           html_url=url_for("comments.all_comments", _external=True, **filters))
    return Response(XML_FORBIDDEN.sub("", body), mimetype="application/atom+xml")


def page_discussion(page: str, proposal: Proposal | None, blob: str, html: str) -> Discussion:
    """The discussion the page view shows beside the text ``html`` (used by :mod:`wiki.views.pages`)."""
    threads = store().comments.of_page(page, proposal.number if proposal else None)
    discussion = discussions().discussion(threads, blob, html, anchor_budget())
    if discussion.pending:
        mark_incomplete()
    return discussion

