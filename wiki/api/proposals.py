"""API operations on amendment proposals: list (the web's filters), read, create, comment, take a
group's position, merge. The store's proposal calls do the work, as for the web views."""

from __future__ import annotations

from typing import Any

from flask import Response, abort
from flask_babel import gettext as _
from flask_login import current_user

from .. import limits
from ..auth import can, current_author
from ..errors import InvalidContent
from ..store.proposals import Proposal, ProposalRefused
from ..views.common import store
from ..views.proposals import matching_proposals
from . import serialize
from .access import require
from .blueprint import body, bp, paging, query
from .caching import json_response, read
from .document import groups
from .pages import page_name, proposal_or_404
from .problems import problem

STATES = ("open", "merged", "closed")


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
    state, group, awaiting = query("state", ""), query("group", ""), query("awaiting", "")
    for value in (group, awaiting):
        if value and value not in groups():
            abort(problem(400, _("There is no stakeholder group %(group)s.", group=value)))
    page = page_name(str(query("page"))) if query("page") else ""

    def compute() -> dict[str, Any]:
        # Oldest first: a new proposal lands on the last page, so offsets already read stay valid.
        rows = [serialize.proposal(proposal, consensus) for proposal, consensus in
                reversed(matching_proposals(state=state, group=group, awaiting=awaiting, page=page))]
        return serialize.paged(rows[offset:offset + limit], offset=offset, limit=limit, total=len(rows))

    return read(compute, by_token=False)  # proposals live on their own refs


@bp.get("/proposals/<int:number>")
def read_proposal(number: int) -> Response:
    return read(lambda: _detail(proposal_or_404(number)), by_token=False)


@bp.post("/proposals")
def create_proposal() -> Response:
    require("editor")
    limits.check("proposals")
    data = body()
    try:
        proposal = store().proposals.create(str(data["title"]), str(data.get("rationale", "")), author=current_author())
    except InvalidContent as error:
        return problem(400, error.message)
    return json_response(_detail(proposal), 201)


@bp.post("/proposals/<int:number>/comments")
def comment_proposal(number: int) -> Response:
    require("reader")
    proposal_or_404(number)
    limits.check("replies")
    try:
        store().proposals.comment(number, str(body()["text"]), author=current_author())
    except InvalidContent as error:
        return problem(400, error.message)
    event = [e for e in proposal_or_404(number).events if e.kind == "comment" and e.user == current_user.username][-1]
    return json_response(serialize.event(event), 201)


@bp.post("/proposals/<int:number>/positions")
def position_proposal(number: int) -> Response:
    require("reviewer")
    proposal_or_404(number)
    if current_user.group not in groups():
        return problem(403, _("Your group %(group)s is not one of this wiki's stakeholder groups.",
                              group=current_user.group))
    data = body()
    try:
        store().proposals.position(number, str(data["action"]), str(data["rev"]), reason=str(data.get("reason", "")),
                                   author=current_author())
    except InvalidContent as error:
        return problem(400, error.message)
    except ProposalRefused as error:
        return problem(409, error.message)
    return json_response(_detail(proposal_or_404(number)))


@bp.post("/proposals/<int:number>/merge")
def merge_proposal(number: int) -> Response:
    require("reviewer")
    proposal_or_404(number)
    reason = " ".join(str(body().get("reason", "")).split())[:500]
    try:
        commit = store().proposals.merge(number, groups=groups(), author=current_author(),
                                         display_name=current_user.display_name, admin=can("admin"), reason=reason)
    except ProposalRefused as error:
        return problem(409, error.message)
    return json_response({"number": number, "commit": commit})
