"""Amendment proposals: start one, draft in it, take a group's position, comment, bring it up to
date with the agreed text, merge it by consensus (threads of pages it renamed follow), close it.

Every way in (web, API, CLI import, push) changes proposals through here, so each rule is written
once: who may take a position, close or merge, and what consensus means.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from .. import limits
from ..errors import N_, InvalidContent, NotPermitted, PageNotFound, WikiError
from ..operations import metrics
from ..store.pages import Pages
from ..store.proposal_model import PROCEDURES, format_time
from ..store.proposals import Consensus, Event, GroupPosition, MergePreview, Proposal
from ..texts import one_line
from . import notices
from .context import Actor, groups, store

ACTIONS = ("endorse", "object", "withdraw")
STATES = ("open", "merged", "closed")
TITLE_LENGTH = 200
REASON_LENGTH = 500


class NotInAGroup(WikiError):
    """A position taken by someone whose group is not one of the stakeholder groups."""

    code = 403


def get(number: int) -> Proposal:
    """Proposal ``number``; a 404 when there is none."""
    try:
        return store().proposals.get(number)
    except PageNotFound:
        raise PageNotFound(N_("There is no proposal %(number)s."), number=number) from None


def open_pages(number: int) -> Pages:
    """Page operations on the open proposal ``number``'s branch (409 when closed or merged)."""
    get(number)
    return store().proposals.pages_of(number)


def consensus(proposal: Proposal) -> Consensus:
    return store().proposals.consensus(proposal, groups())


def parse_deadline(text: str, *, now: float | None = None) -> str:
    """A deadline typed as ISO 8601 (``2026-12-20``, ``2026-12-20T17:00``, ``…Z``, ``…+01:00``) in
    UTC as the record keeps it; a date alone means the end of that day, a time without a zone UTC.
    A malformed or past deadline is refused."""
    return format_time(deadline_timestamp(text, now=now))


def deadline_timestamp(text: str, *, now: float | None = None) -> int:
    """A deadline typed as ISO 8601 (see :func:`parse_deadline`) in seconds since the epoch."""
    text = (text or "").strip()
    try:
        if len(text) > 40:
            raise ValueError
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidContent(N_("The deadline must be a date and time in ISO 8601, such as 2026-12-20T17:00Z."),
                             ) from None
    if "T" not in text.upper() and " " not in text:
        moment = moment.replace(hour=23, minute=59, second=59)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment.timestamp() <= (time.time() if now is None else now):
        raise InvalidContent(N_("The deadline %(deadline)s has passed; choose a later one."),
                             deadline=format_time(int(moment.timestamp())))
    return int(moment.timestamp())


def create(actor: Actor, title: str, rationale: str = "", *, deadline: str = "", procedure: str = "") -> Proposal:
    """Start a proposal forked from the agreed text, with an optional deadline for positions and
    its procedure: ``consensus`` (the default) or ``silence`` (adopted at the deadline unless a
    group objects before it; it needs a deadline)."""
    procedure = procedure or "consensus"
    if procedure not in PROCEDURES:
        raise InvalidContent(N_("The procedure must be consensus or silence."))
    deadline = parse_deadline(deadline) if deadline and deadline.strip() else ""
    if procedure == "silence" and not deadline:
        raise InvalidContent(N_("The silence procedure needs a deadline."))
    limits.check("proposals", actor)
    proposal = store().proposals.create(one_line(title, TITLE_LENGTH), rationale, author=actor.author,
                                        deadline=deadline, procedure=procedure)
    metrics.count_proposal("created")
    notices.proposal(actor, proposal, "proposed", groups=awaited(consensus(proposal)), text=rationale)
    return proposal


def comment(actor: Actor, number: int, text: str) -> None:
    get(number)
    limits.check("replies", actor)
    store().proposals.comment(number, text, author=actor.author)
    notices.proposal(actor, get(number), "commented", text=text)


def take_position(actor: Actor, number: int, action: str, seen: str, *, reason: str = "") -> None:
    """Endorse, object to or withdraw from the proposal at its head ``seen``, for the actor's group."""
    get(number)
    if action not in ACTIONS:
        raise InvalidContent(N_("The action must be endorse, object or withdraw."))
    if actor.group not in groups():
        raise NotInAGroup(N_("Your group %(group)s is not one of this wiki's stakeholder groups."),
                          group=actor.group)
    store().proposals.position(number, action, seen, reason=reason, author=actor.author)
    proposal = get(number)
    broken = proposal.silence_broken()
    if action == "object" and broken is not None and broken.name == proposal.events[-1].name:
        # this objection broke the silence: every group learns that the proposal now needs consensus
        notices.proposal(actor, proposal, "silence_broken", groups=groups(), text=reason)
    else:
        notices.proposal(actor, proposal, notices.POSITION_ACTIVITIES[action], text=reason)


def may_merge(actor: Actor) -> bool:
    """Reviewers and the secretariat merge a proposal that has consensus (admins also without)."""
    return actor.can("reviewer") or actor.secretariat


def merge(actor: Actor, number: int, *, reason: str = "") -> str:
    """Merge the proposal into the agreed text (by consensus, or an admin's override with a
    reason); the comment threads of pages it renamed follow them. Returns the merge commit."""
    get(number)
    if not may_merge(actor):
        raise NotPermitted(N_("Only reviewers and the secretariat merge proposals."))
    commit = store().merge_proposal(number, groups=groups(), author=actor.author,
                                    display_name=actor.display_name or actor.username, admin=actor.can("admin"),
                                    reason=one_line(reason, REASON_LENGTH))
    metrics.count_proposal("merged")
    merged = get(number)
    notices.proposal(actor, merged, "merged", text=reason, pages=store().proposals.changed_pages(merged))
    return commit


def may_close(actor: Actor, proposal: Proposal) -> bool:
    """Whether ``actor`` may close or reopen ``proposal``: the user who started it, the
    secretariat and admins (a drafter's commit inside it gives no such right)."""
    return actor.logged_in and (actor.username == proposal.author or actor.secretariat or actor.can("admin"))


def close(actor: Actor, number: int, *, reason: str = "") -> None:
    """Close an open proposal without merging it, saying why."""
    proposal = get(number)
    if not may_close(actor, proposal):
        raise NotPermitted(N_("Only the proposal's author, the secretariat and admins may close a proposal."))
    if not reason.strip():
        raise InvalidContent(N_("Say why the proposal is closed."))
    store().proposals.close(number, one_line(reason, REASON_LENGTH), author=actor.author)
    metrics.count_proposal("closed")
    notices.proposal(actor, proposal, "closed", text=reason)


def reopen(actor: Actor, number: int, *, reason: str = "") -> None:
    """Open a closed proposal again, saying why."""
    proposal = get(number)
    if not may_close(actor, proposal):
        raise NotPermitted(N_("Only the proposal's author, the secretariat and admins may reopen a proposal."))
    if not reason.strip():
        raise InvalidContent(N_("Say why the proposal is reopened."))
    store().proposals.reopen(number, one_line(reason, REASON_LENGTH), author=actor.author)
    reopened = get(number)
    notices.proposal(actor, reopened, "reopened", groups=awaited(consensus(reopened)), text=reason)


def drafted(actor: Actor, number: int, *pages: str) -> None:
    """Tell that the proposal's text changed: the groups whose position it now awaits (missing or
    stale) and the watchers of the proposal and of the pages changed."""
    proposal = get(number)
    notices.proposal(actor, proposal, "drafted", groups=awaited(consensus(proposal)), pages=pages)


def update(actor: Actor, number: int, *, resolutions: dict[str, str] | None = None) -> str | None:
    """Merge the agreed text into the proposal (see :meth:`wiki.store.proposals.Proposals.update`)."""
    get(number)
    return store().proposals.update(number, author=actor.author, resolutions=resolutions)


def awaited(agreed: Consensus) -> set[str]:
    """The groups a proposal waits for: whose position is missing or stale, or who object."""
    return {*agreed.missing, *(position.group for position in agreed.objecting)}


def awaiting_count(group: str) -> int:
    """How many open proposals wait for ``group`` (the header's count beside Proposals); the
    same rule as ``/-/awaiting``. Each proposal is cached by its tree id, so this stays cheap."""
    if group not in groups():
        return 0
    proposals = store().proposals
    return sum(1 for proposal in proposals.list()
               if proposal.state == "open" and group in awaited(proposals.consensus(proposal, groups())))


def headline(proposal: Proposal, agreed: Consensus) -> tuple[str, tuple[str, ...]]:
    """Where an open proposal stands, for its headline: ``("blocked", objecting groups)``,
    ``("ready", ())`` when consensus holds, or ``("awaiting", groups still to decide)``."""
    if agreed.objecting:
        return "blocked", tuple(position.group for position in agreed.objecting)
    if agreed.holds:
        return "ready", ()
    waiting = awaited(agreed)
    return "awaiting", tuple(group for group in groups() if group in waiting)


def matching(*, state: str = "", group: str = "", awaiting: str = "", page: str = "",
             ) -> list[tuple[Proposal, Consensus]]:
    """The proposals the list's filters select (newest first), each with its consensus; empty
    filters select everything. The web list, its feed and the API share it."""
    if state and state not in STATES:
        raise InvalidContent(N_("The state must be open, merged or closed."))
    for value in (group, awaiting):
        if value and value not in groups():
            raise InvalidContent(N_("There is no stakeholder group %(group)s."), group=value)
    rows = []
    proposals = store().proposals
    for proposal in proposals.list():
        agreed = proposals.consensus(proposal, groups())
        if state and proposal.state != state:
            continue
        if group and group != proposal.group and group not in {g for _, g in proposals.drafters(proposal)}:
            continue
        if awaiting and (proposal.state != "open" or awaiting not in awaited(agreed)):
            continue
        if page and page not in proposals.changed_pages(proposal):
            continue
        rows.append((proposal, agreed))
    return rows


@dataclass(frozen=True)
class Overview:
    """A proposal as one actor sees it: where it stands, and what the actor may do about it. The
    proposal page shows it; the names are the page's."""

    proposal: Proposal
    preview: MergePreview
    consensus: Consensus
    standing: str  # the headline: blocked, ready or awaiting (see headline)
    standing_groups: tuple[str, ...]
    mine: GroupPosition | None  # the actor's group's latest position
    endorsed_now: bool  # ... is an endorsement of the current head
    stale_positions: dict[str, GroupPosition]  # by group: positions on an earlier head
    positions: tuple[Event, ...]  # every position ever taken, in order
    objections: tuple[GroupPosition, ...]
    override: str  # the reason of an admin's merge without consensus
    can_edit: bool
    can_review: bool
    can_admin: bool
    can_merge: bool
    can_close: bool
    can_reopen: bool


def overview(actor: Actor, number: int) -> Overview:
    """Proposal ``number`` as ``actor`` sees it (a 404 when there is none)."""
    proposal = get(number)
    agreed = consensus(proposal)
    standing, standing_groups = headline(proposal, agreed)
    mine = next((p for p in proposal.positions if actor.logged_in and p.group == actor.group), None)
    may_decide = may_close(actor, proposal)
    return Overview(
        proposal=proposal, preview=store().proposals.preview(proposal), consensus=agreed, standing=standing,
        standing_groups=standing_groups, mine=mine,
        endorsed_now=mine is not None and mine.current and mine.event.kind == "endorse",
        stale_positions={position.group: position for position in proposal.positions if not position.current},
        positions=tuple(event for event in proposal.events if event.kind in ACTIONS),
        objections=tuple(position for position in proposal.positions if position.event.kind == "object"),
        override=store().override_reason(proposal.merged_commit) if proposal.state == "merged" else "",
        can_edit=actor.can("editor"), can_review=actor.can("reviewer"), can_admin=actor.can("admin"),
        can_merge=may_merge(actor), can_close=proposal.state == "open" and may_decide,
        can_reopen=proposal.state == "closed" and may_decide)
