"""API operations on comment threads anchored to passages: list (the web's filters), read, start
one on a quoted passage or a paragraph, reply. The store's comment calls and the discussion's
anchoring do the work, as for the web views (``wiki.views.comments``)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext as _

from .. import limits
from ..auth import current_author
from ..discussion import Placed
from ..errors import PageNotFound
from ..views.comments import (
    anchor_budget,
    comment_filters,
    discussions,
    matching_threads,
    placed_with_budget,
    thread_blob,
)
from ..views.common import store
from . import serialize
from .access import require
from .blueprint import body, bp, paging
from .caching import json_response, read
from .pages import page_name, proposal_or_404


def thread(placed: Placed) -> dict[str, Any]:
    item = placed.thread
    anchor = item.anchor
    return {"number": item.number, "page": item.page, "proposal": item.proposal, "kind": item.kind,
            "state": item.state, "author": item.author, "group": item.group, "updated": item.updated,
            "outdated": placed.outdated, "pending": placed.pending, "passage": placed.passage,
            "paragraph": placed.paragraph,
            "anchor": {"rev": anchor.rev, "blob": anchor.blob, "quote": anchor.quote, "prefix": anchor.prefix,
                       "suffix": anchor.suffix, "position": anchor.position},
            "entries": [{"event": entry.event, "user": entry.user, "group": entry.group, "time": entry.time,
                         "text": entry.text, "page": entry.page} for entry in item.entries]}


def _placed(number: int) -> Placed:
    wiki = store()
    found = wiki.comments.get(number)  # PageNotFound: a 404
    return placed_with_budget(discussions().place(found, thread_blob(found, wiki.head()), anchor_budget()))


@bp.get("/comments")
def list_comments() -> Response:
    offset, limit = paging()

    def compute() -> dict[str, Any]:
        found, more = matching_threads(comment_filters(), limit=limit, skip=offset)
        return serialize.paged([thread(item) for item in found], offset=offset, limit=limit, more=more)

    return read(compute, by_token=False)  # threads on proposals depend on the proposals' refs


@bp.get("/comments/<int:number>")
def read_comment(number: int) -> Response:
    return read(lambda: thread(_placed(number)), by_token=False)


@bp.post("/comments")
def create_comment() -> Response:
    """Start a thread on the passage ``quote`` (or the paragraph number ``paragraph``) of the page
    as it was at ``rev``, the revision the caller read."""
    require("reader")
    limits.check("threads")
    data = body()
    wiki = store()
    page = page_name(str(data["page"]))
    proposal = proposal_or_404(int(data["proposal"])) if data.get("proposal") is not None else None  # type: ignore[arg-type]
    commit = wiki.resolve(str(data["rev"]))
    blob = wiki.page_blob_id(page, commit)
    if blob is None:
        raise PageNotFound(_("The page %(page)s does not exist in that revision.", page=page))
    anchor = discussions().anchor(blob, commit, quote=str(data.get("quote", "")),
                                  occurrence=data.get("occurrence"), paragraph=data.get("paragraph"))  # type: ignore[arg-type]
    number = wiki.comments.start(page, anchor, str(data.get("kind", "comment")), str(data["text"]),
                                 proposal=proposal.number if proposal else None, author=current_author())
    return json_response(thread(_placed(number)), 201)


@bp.post("/comments/<int:number>/replies")
def reply_comment(number: int) -> Response:
    require("reader")
    limits.check("replies")
    store().comments.reply(number, str(body()["text"]), author=current_author())
    return json_response(thread(_placed(number)), 201)


