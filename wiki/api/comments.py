"""API operations on comment threads anchored to passages: list (the web's filters), read, start
one on a quoted passage or a paragraph, reply. The comment actions do the work, as for the web
views (``wiki.actions.comments``)."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..actions import comments as actions
from ..auth import current_actor
from ..discussion import Placed
from . import serialize
from .access import require
from .blueprint import body, bp, paging, query
from .caching import json_response, read
from .pages import page_name


def thread(placed: Placed) -> dict[str, Any]:
    item = placed.thread
    anchor = item.anchor
    return {"number": item.number, "page": item.page, "proposal": item.proposal, "kind": item.kind,
            "state": item.state, "hidden": item.hidden, "author": item.author, "group": item.group,
            "updated": item.updated,
            "outdated": placed.outdated, "pending": placed.pending, "passage": placed.passage,
            "paragraph": placed.paragraph,
            "anchor": {"rev": anchor.rev, "blob": anchor.blob, "quote": anchor.quote, "prefix": anchor.prefix,
                       "suffix": anchor.suffix, "position": anchor.position},
            "entries": [{"event": entry.event, "user": entry.user, "group": entry.group, "time": entry.time,
                         "text": entry.text, "page": entry.page} for entry in item.entries]}


@bp.get("/comments")
def list_comments() -> Response:
    offset, limit = paging()

    def compute() -> dict[str, Any]:
        filters = {name: str(value) for name in actions.FILTERS if (value := query(name))}
        found, more = actions.matching(current_actor(), actions.check_filters(filters), limit=limit, skip=offset)
        return serialize.paged([thread(item) for item in found], offset=offset, limit=limit, more=more)

    return read(compute, by_token=False)  # threads on proposals depend on the proposals' refs


@bp.get("/comments/<int:number>")
def read_comment(number: int) -> Response:
    return read(lambda: thread(actions.placed(number, current_actor())), by_token=False)


@bp.post("/comments")
def create_comment() -> Response:
    """Start a thread on the passage ``quote`` (or the paragraph number ``paragraph``) of the page
    as it was at ``rev``, the revision the caller read."""
    require("reader")
    data = body()
    proposal = data.get("proposal")
    number = actions.start(current_actor(), page_name(str(data["page"])), rev=str(data["rev"]), text=str(data["text"]),
                           kind=str(data.get("kind", "comment")), quote=str(data.get("quote", "")),
                           occurrence=data.get("occurrence"), paragraph=data.get("paragraph"),  # type: ignore[arg-type]
                           proposal=int(proposal) if proposal is not None else None)  # type: ignore[call-overload]
    return json_response(thread(actions.placed(number, current_actor())), 201)


@bp.post("/comments/<int:number>/replies")
def reply_comment(number: int) -> Response:
    require("reader")
    actions.reply(current_actor(), number, str(body()["text"]))
    return json_response(thread(actions.placed(number, current_actor())), 201)


@bp.post("/comments/<int:number>/visibility")
def set_visibility(number: int) -> Response:
    """Hide a thread as spam (``hidden``: true) or show it again; the secretariat and admins only."""
    require("reader")
    data = body()
    actions.set_hidden(current_actor(), number, data["hidden"] is True, str(data.get("reason", "")))
    return json_response(thread(actions.placed(number, current_actor())))


