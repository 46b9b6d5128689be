"""Amendment proposals as data: the values the wiki shows, and the event files stored for them
on the branch ``refs/heads/meta/proposals`` (see :mod:`wiki.store.proposals` for the layout).

Pure: no git, no Flask; the hooks read event files with these functions too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..errors import WikiError
from .committer import one_line

META_REF = "refs/heads/meta/proposals"
BRANCH_PREFIX = "refs/heads/proposals/"
PROPOSAL_TRAILER = "Proposal"
KINDS = ("create", "comment", "endorse", "object", "withdraw", "close", "reopen", "merge")
PROCEDURES = ("consensus", "silence")  # how a proposal is adopted: every group endorses, or no group objects
SILENCE_TRAILER = "Silence-Procedure"  # on a merge commit adopted at the deadline: the deadline
SILENT_TRAILER = "Silent-Group"  # each group that stayed silent until the deadline
DEADLINE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MAX_TEXT_BYTES = 100_000


class ProposalRefused(WikiError):
    """What was asked cannot be done to this proposal now (closed, moved, no consensus)."""

    code = 409


class NeedsResolution(ProposalRefused):
    """An update meets overlapping changes: the conflict editor must settle them first."""


@dataclass(frozen=True)
class Conflict:
    """A page both the proposal and the agreed text changed in the same lines since they parted."""

    path: str
    page: str
    merged: str  # with conflict markers: "your version" is the proposal's, "their version" the agreed text's
    proposal_text: str
    agreed_text: str




@dataclass(frozen=True)
class Event:
    kind: str
    user: str
    group: str
    time: int
    head: str
    text: str
    name: str = ""  # the event's file name (orders events written in the same second)


@dataclass(frozen=True)
class GroupPosition:
    """A group's latest word on a proposal: endorse or object, and whether it is about the current head."""

    group: str
    event: Event
    current: bool


@dataclass(frozen=True)
class Proposal:
    number: int
    title: str
    rationale: str
    author: str
    group: str
    created: int
    base: str
    state: str  # open, merged, closed
    events: tuple[Event, ...]
    head: str = ""  # the branch tip (the base when the branch is missing)
    merged_commit: str = ""
    closed_reason: str = ""
    drafters: tuple[tuple[str, str], ...] = ()  # (user, group) of the proposal's commits
    positions: tuple[GroupPosition, ...] = ()
    deadline: str = ""  # for positions, ISO 8601 in UTC (2026-12-07T17:00:00Z); "" for none
    procedure: str = "consensus"  # or "silence": adopted at the deadline unless a group objects

    @property
    def ref(self) -> str:
        return f"{BRANCH_PREFIX}{self.number}"

    @property
    def deadline_time(self) -> int | None:
        """The deadline in seconds since the epoch (``None`` without one)."""
        return parse_time(self.deadline) if self.deadline else None

    def silence_broken(self) -> Event | None:
        """Under the silence procedure, the first objection made before the deadline: it breaks the
        silence for good (a later withdrawal does not restore it), and the proposal needs consensus."""
        if self.procedure != "silence" or self.deadline_time is None:
            return None
        return next((event for event in self.events if event.kind == "object" and event.time <= self.deadline_time),
                    None)


@dataclass(frozen=True)
class Consensus:
    """Where a proposal's current head stands with the configured groups."""

    endorsing: tuple[str, ...]
    objecting: tuple[GroupPosition, ...]
    missing: tuple[str, ...]  # groups with no current endorsement or objection
    stale: tuple[str, ...]  # groups whose last word is about an earlier head
    holds: bool


@dataclass(frozen=True)
class MergePreview:
    """What merging would do now: the merged tree (``None`` on conflicts) and the pages changed."""

    main: str
    behind: int
    tree: str | None
    conflicts: tuple[str, ...]
    pages: tuple[tuple[str, str | None, str | None], ...] = field(default=())  # (page, main blob, merged blob)


def parse_time(stamp: str) -> int | None:
    """``2026-12-07T17:00:00Z`` in seconds since the epoch; ``None`` when it is not one."""
    try:
        return int(datetime.strptime(stamp, DEADLINE_FORMAT).replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


def now() -> int:
    """The current time as events record it: whole seconds since the epoch."""
    return int(datetime.now(UTC).timestamp())


def format_time(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime(DEADLINE_FORMAT)


def header(data: bytes) -> dict[str, str]:
    """The ``key: value`` lines of an event file (its first paragraph)."""
    head = data.decode("utf-8", "replace").partition("\n\n")[0]
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in head.split("\n"))}


def parse_event(name: str, data: bytes) -> Event | None:
    """An event file's content, or ``None`` when it is not one (a hand-made file)."""
    text = data.decode("utf-8", "replace").partition("\n\n")[2]
    fields = header(data)
    if fields.get("kind") not in KINDS:
        return None
    when = parse_time(fields.get("time", ""))
    if when is None:
        return None
    return Event(kind=fields["kind"], user=fields.get("user", ""), group=fields.get("group", ""), time=when,
                 head=fields.get("head", ""), text=text, name=name)


def event_file(event: Event, title: str = "", *, deadline: str = "", procedure: str = "") -> bytes:
    """The bytes of an event file; a ``create`` adds ``title:`` and, when given, ``deadline:`` and
    ``procedure:``."""
    lines = [f"kind: {event.kind}", f"user: {one_line(event.user)}", f"group: {one_line(event.group)}",
             f"time: {format_time(event.time)}", f"head: {event.head}"]
    if title:
        lines.append(f"title: {one_line(title)}")
    if deadline:
        lines.append(f"deadline: {deadline}")
    if procedure and procedure != "consensus":
        lines.append(f"procedure: {procedure}")
    return ("\n".join(lines) + "\n\n" + event.text.replace("\r\n", "\n")).encode("utf-8")


@dataclass(frozen=True)
class Standing:
    """A proposal's state as its events say: ``open``, ``closed`` or ``merged``, with the merged
    commit and the reason it was last closed."""

    state: str
    merged_commit: str = ""
    closed_reason: str = ""


def standing(events: list[Event] | tuple[Event, ...]) -> Standing:
    """The proposal state rule, written once (the store and the push hook replay it): events in
    order; a merge is final; a close closes an open proposal and a reopen opens a closed one."""
    state, merged, reason = "open", "", ""
    for event in events:
        if event.kind == "merge":
            state, merged = "merged", event.head
        elif event.kind == "close" and state == "open":
            state, reason = "closed", event.text
        elif event.kind == "reopen" and state == "closed":
            state = "open"
    return Standing(state, merged, reason)
