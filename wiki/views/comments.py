"""Comment threads on passages: start one, reply, resolve, reopen; a page's threads; all open ones."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..actions import comments as actions
from ..actions.comments import STATES
from ..actions.context import groups
from ..auth import current_actor, role_required
from ..discussion import Discussion, Placed
from ..errors import N_
from ..http_cache import mark_incomplete
from ..i18n import language
from ..store import LRUCache
from ..store.comment_model import KINDS
from ..store.proposals import Proposal
from ..users import can_moderate
from .changes import XML_FORBIDDEN
from .common import BadForm, canonical_page, form_field, on_canonical_page, page_context, page_number, query_arg
from .proposals import get as get_proposal

bp = Blueprint("comments", __name__)

LIST_PAGE_SIZE = 50
FEED_SIZE = 50


CSRF_HOLE = "csrf-" + secrets.token_hex(16)  # where a cached thread's forms take the request's token


@bp.app_template_global("thread_html")
def thread_html(placed: Placed) -> Markup:
    """One thread as HTML, rendered once per state of the thread, language and kind of viewer (a
    page of 300 threads would otherwise spend most of its time formatting the same fragments)."""
    thread = placed.thread
    logged_in = bool(current_user.is_authenticated)
    may_resolve = actions.may_resolve(current_actor(), thread)
    may_moderate = can_moderate(current_user)
    key = (thread.number, thread.page, thread.state, len(thread.entries), thread.entries[-1].name, placed.passage,
           placed.outdated, placed.pending, language(), request.script_root, logged_in, may_resolve, may_moderate)
    cache: LRUCache[tuple[object, ...], str] = current_app.extensions.setdefault("wiki_thread_html", LRUCache(20_000))
    html = cache.lookup(key)
    if html is None:
        as_text = g.get("comments_as_text", 0)
        html = render_template("comments/_thread.html", placed=placed, logged_in=logged_in,
                               may_resolve=may_resolve, may_moderate=may_moderate, csrf=CSRF_HOLE)
        if g.get("comments_as_text", 0) == as_text:  # a comment shown as plain text is not kept
            cache.put(key, html)
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


# --------------------------------------------------------------------------- one page


@bp.post("/<path:page>/-/comments")
@role_required("reader")
def start(page: str) -> Response:
    page, _redirect = canonical_page(page, "comments.page_comments")
    proposal = _proposal(form_field("proposal", required=False))
    paragraph = _number(form_field("paragraph", required=False), "paragraph")
    number = actions.start(
        current_actor(), page, rev=form_field("rev"), text=form_field("text"),
        kind=form_field("kind", required=False, default="comment"),
        quote=form_field("quote", required=paragraph is None),
        occurrence=_number(form_field("occurrence", required=False), "occurrence"),
        position=_number(form_field("position", required=False), "position"), paragraph=paragraph,
        proposal=proposal.number if proposal else None)
    flash(_("Your comment was added."))
    return redirect(_page_url(page, proposal) + f"#thread-{number}", 303)


@bp.post("/<path:page>/-/comments/<int:number>")
@role_required("reader")
def act(page: str, number: int) -> Response:
    page, _redirect = canonical_page(page, "comments.page_comments")
    thread = actions.get(number, page, current_actor())
    action = form_field("action")
    if action in ("hide", "unhide"):
        actions.set_hidden(current_actor(), number, action == "hide", form_field("reason", required=False))
        flash(_("The thread is hidden as spam; moderators still see it, and its history keeps it.")
              if action == "hide" else _("The thread is shown again."))
    elif action == "reply":
        actions.reply(current_actor(), number, form_field("text"))
        flash(_("Your reply was added."))
    elif action in ("resolve", "reopen"):
        actions.set_state(current_actor(), number, "resolved" if action == "resolve" else "open")
        flash(_("The thread was resolved.") if action == "resolve" else _("The thread was reopened."))
    else:
        raise BadForm(N_("The action must be reply, resolve, reopen, hide or unhide."))
    proposal = get_proposal(thread.proposal) if thread.proposal else None
    return redirect(_page_url(page, proposal) + f"#thread-{number}", 303)


def _page_url(page: str, proposal: Proposal | None) -> str:
    if proposal is not None:
        return url_for("pages.view", page=page, proposal=proposal.number)
    return url_for("pages.view", page=page)


@bp.get("/<path:page>/-/comments")
@on_canonical_page
def page_comments(page: str) -> str | Response:
    proposal = _proposal(query_arg("proposal"))
    threads, blob, commit = actions.page_threads(page, proposal.number if proposal else None)
    if blob is None and not threads:
        abort(404, description=_("There is no page %(page)s.", page=page))
    discussion = keep_if_complete(actions.discussion(current_actor(), page, proposal.number if proposal else None,
                                                     blob))
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
        "hidden": list(discussion.hidden),
    }
    return render_template("comments/page.html", threads=sections, paragraph=chosen, commit=commit,
                           proposal=proposal, kinds=KINDS, can_comment=current_user.is_authenticated,
                           **page_context(page))


# --------------------------------------------------------------------------- the whole document


def comment_filters() -> dict[str, str]:
    """The list's filters from the query string, checked."""
    return actions.check_filters({name: value for name in actions.FILTERS if (value := query_arg(name))})


@bp.get("/-/comments")
def all_comments() -> str:
    filters = comment_filters()
    number = page_number()
    found, has_next = actions.matching(current_actor(), filters, limit=LIST_PAGE_SIZE,
                                       skip=(number - 1) * LIST_PAGE_SIZE)
    if any(item.pending for item in found):
        mark_incomplete()
    return render_template("comments/all.html", found=found, filters=filters, number=number, has_next=has_next,
                           kinds=KINDS, states=STATES, groups=groups(),
                           title=_("Comments"))


@bp.get("/-/comments.atom")
def feed() -> Response:
    filters = comment_filters()
    found, _more = actions.matching(current_actor(), filters, limit=FEED_SIZE)
    if any(item.pending for item in found):
        mark_incomplete()
    body = render_template("comments/feed.xml", found=found, filters=filters,
                           updated=max((item.thread.updated for item in found), default=0),
                           feed_url=url_for("comments.feed", _external=True, **filters),
                           html_url=url_for("comments.all_comments", _external=True, **filters))
    return Response(XML_FORBIDDEN.sub("", body), mimetype="application/atom+xml")


def page_discussion(page: str, proposal: Proposal | None, blob: str, html: str) -> Discussion:
    """The discussion the page view shows beside the text ``html`` (used by :mod:`wiki.views.pages`)."""
    return keep_if_complete(actions.discussion(current_actor(), page, proposal.number if proposal else None, blob,
                                               html))


def keep_if_complete(discussion: Discussion) -> Discussion:
    """``discussion``, after noting that an answer showing threads not placed yet is not to be kept."""
    if discussion.pending:
        mark_incomplete()
    return discussion

