"""API operations on amendment proposals: list (the web's filters), read, create, comment, take a
group's position, merge. The proposal actions do the work, as for the web views."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..actions import proposals as actions
from ..actions.context import groups, store
from ..auth import current_actor
from ..store.proposals import Proposal
from . import serialize
from .access import require
from .blueprint import body, bp, paging, query
from .caching import json_response, read
from .pages import page_name, proposal_or_404


def _detail(proposal: Proposal) -> dict[str, Any]:
    proposals = store().proposals
    preview = proposals.preview(proposal)
    changed = [{"page": page, "status": "added" if before is None else "removed" if after is None else "changed"}
               for page, before, after in preview.pages]
    return {**serialize.proposal(proposal, proposals.consensus(proposal, groups())), "rationale": proposal.rationale,
            "events": [serialize.event(event) for event in proposal.events],
            "drafters": [{"user": user, "group": group} for user, group in proposal.drafters],
            "pages": changed, "behind": preview.behind, "conflicts": list(preview.conflicts)}


@bp.get("/proposals")
def list_proposals() -> Response:
    offset, limit = paging()
    state, group, awaiting = str(query("state", "")), str(query("group", "")), str(query("awaiting", ""))
    page = page_name(str(query("page"))) if query("page") else ""

    def compute() -> dict[str, Any]:
        # Oldest first: a new proposal lands on the last page, so offsets already read stay valid.
        rows = [serialize.proposal(proposal, consensus) for proposal, consensus in
                reversed(actions.matching(state=state, group=group, awaiting=awaiting, page=page))]
        return serialize.paged(rows[offset:offset + limit], offset=offset, limit=limit, total=len(rows))

    return read(compute, by_token=False)  # proposals live on their own refs


@bp.get("/proposals/<int:number>")
def read_proposal(number: int) -> Response:
    return read(lambda: _detail(proposal_or_404(number)), by_token=False)


@bp.post("/proposals")
def create_proposal() -> Response:
    require("editor")
    data = body()
    proposal = actions.create(current_actor(), str(data["title"]), str(data.get("rationale", "")),
                              deadline=str(data.get("deadline") or ""), procedure=str(data.get("procedure") or ""))
    return json_response(_detail(proposal), 201)


@bp.post("/proposals/<int:number>/comments")
def comment_proposal(number: int) -> Response:
    require("reader")
    actor = current_actor()
    actions.comment(actor, number, str(body()["text"]))
    event = [e for e in proposal_or_404(number).events if e.kind == "comment" and e.user == actor.username][-1]
    return json_response(serialize.event(event), 201)


@bp.post("/proposals/<int:number>/positions")
def position_proposal(number: int) -> Response:
    require("reviewer")
    data = body()
    actions.take_position(current_actor(), number, str(data["action"]), str(data["rev"]),
                          reason=str(data.get("reason", "")))
    return json_response(_detail(proposal_or_404(number)))


@bp.post("/proposals/<int:number>/merge")
def merge_proposal(number: int) -> Response:
    require("reviewer")
    commit = actions.merge(current_actor(), number, reason=str(body().get("reason", "")))
    return json_response({"number": number, "commit": commit})
