"""Amendment proposals: a branch of the document that lands on ``main`` only by consensus.

A proposal ``n`` is the branch ``refs/heads/proposals/<n>``, forked from ``main``. What is said
about it (its title and rationale, comments, endorsements and objections, closing, merging) is
stored as one small file per event on the branch ``refs/heads/meta/proposals``, at
``<n>/<sequence>-<kind>-<random>.txt``, so a plain ``git clone`` carries it and concurrent writers
never conflict (each adds a file; the branch moves by compare-and-swap like every ref, and a writer
that loses the race numbers its file again). An event file is mail-like (``create`` adds ``title:``)::

    kind: endorse
    user: ann
    group: governments
    time: 2026-11-30T10:00:00Z
    head: <the proposal commit it is about>

    <text: a rationale, a comment, a reason (Markdown)>

A proposal's state is a pure function of its folder's tree id, so it is cached by that id; its
branch tip is read from the ref files. Merging writes a real merge commit on ``main`` (blame keeps
each line's author and group), its tree made by ``git merge-tree``.
"""

from __future__ import annotations

import fcntl
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from .. import names
from ..errors import N_, Count, InvalidContent, InvalidRevision, PageNotFound, Term
from .cache import LRUCache
from .committer import Committer, Plan, one_line
from .gitlog import GitLog
from .pages import Pages
from .proposal_merge import Merging
from .proposal_model import (  # noqa: F401 - the model's names are part of this module's API
    BRANCH_PREFIX,
    KINDS,
    MAX_TEXT_BYTES,
    META_REF,
    PROCEDURES,
    PROPOSAL_TRAILER,
    Consensus,
    Event,
    GroupPosition,
    MergePreview,
    NeedsResolution,
    Proposal,
    ProposalRefused,
    event_file,
    header,
    now,
    parse_event,
    parse_time,
    standing,
)
from .reader import TREE_MODE, Reader
from .types import Author

DECISIONS_LOCK = "wiki-decisions.lock"  # see Proposals.deciding


class Proposals(Merging):
    """Create, read and decide on proposals; previews, updates and merges come from :class:`Merging`."""

    def __init__(self, reader: Reader, committer: Committer, log: GitLog, pages: Pages, *, branch_ref: str) -> None:
        self.reader = reader
        self.committer = committer
        self.log = log
        self.pages = pages
        self.branch_ref = branch_ref
        self._states: LRUCache[str, tuple[Proposal, tuple[str, ...]]] = LRUCache(1024)
        self._drafters: LRUCache[tuple[str, str], tuple[tuple[str, str], ...]] = LRUCache(1024)
        self._previews: LRUCache[tuple[str, str], MergePreview] = LRUCache(256)
        self._changed: LRUCache[tuple[str, str], tuple[str, ...]] = LRUCache(1024)
        self._same: LRUCache[tuple[str, str, str], bool] = LRUCache(4096)

    # ------------------------------------------------------------------ reading

    def numbers(self) -> list[int]:
        tip = self.reader.read_ref(META_REF)
        if tip is None:
            return []
        entries = self.reader.tree_entries(self.reader.commit_tree(tip))
        return sorted(int(name) for name, (mode, _) in entries.items() if mode == TREE_MODE and name.isdigit())

    def get(self, number: int, *, with_drafters: bool = True) -> Proposal:
        """The proposal ``number`` as its events and branch say now; PageNotFound when there is none.

        ``with_drafters=False`` leaves ``drafters`` empty: finding them runs a ``git log`` per
        proposal the first time, which a list of every proposal does not need (see :meth:`drafters`).
        """
        tip = self.reader.read_ref(META_REF)
        folder = self.reader.lookup(self.reader.commit_tree(tip), str(number)) if tip else None
        if folder is None or folder[0] != TREE_MODE:
            raise PageNotFound(N_("There is no proposal %(number)s."), number=number)
        proposal, _ = self._states.get_or_compute(folder[1], lambda: self._replay(number, folder[1]))
        head = self.reader.read_ref(f"{BRANCH_PREFIX}{number}") or proposal.base
        moved = replace(proposal, head=head)
        positions = tuple(GroupPosition(p.group, p.event, self._same_text(moved, p.event.head))
                          for p in proposal.positions)
        return replace(moved, drafters=self.drafters(moved) if with_drafters else (), positions=positions)

    def drafters(self, proposal: Proposal) -> tuple[tuple[str, str], ...]:
        """``(user, group)`` of the proposal's own commits, cached by (base, head)."""
        return self._drafters.get_or_compute((proposal.base, proposal.head),
                                             lambda: self._drafters_of(proposal.base, proposal.head))

    def _same_text(self, proposal: Proposal, seen: str) -> bool:
        """Whether the proposal's own pages read at ``seen`` as at its head: an update that only
        brings in the agreed text's changes elsewhere leaves endorsements standing."""
        if seen == proposal.head:
            return True

        def compare() -> bool:
            try:
                return all(self.reader.blob_at(seen, names.page_file(page)) ==
                           self.reader.blob_at(proposal.head, names.page_file(page))
                           for page in self.changed_pages(proposal))
            except InvalidRevision:
                return False

        return self._same.get_or_compute((seen, proposal.head, proposal.base), compare)

    def list(self) -> list[Proposal]:
        """Every proposal, newest first (each cached by its folder's tree id), without drafters."""
        return [self.get(number, with_drafters=False) for number in reversed(self.numbers())]

    def _replay(self, number: int, tree: str) -> tuple[Proposal, tuple[str, ...]]:
        events = []
        fields: dict[str, str] = {}
        for name, (mode, blob) in sorted(self.reader.tree_entries(tree).items()):
            if mode == TREE_MODE:
                continue
            data = self.reader.blob(blob)
            event = parse_event(name, data)
            if event is None:
                continue
            if event.kind == "create" and not fields:
                fields = header(data)
            events.append(event)
        title = fields.get("title", "")
        deadline = fields.get("deadline", "")
        procedure = fields.get("procedure", "consensus")
        events.sort(key=lambda event: event.name)
        created = next((event for event in events if event.kind == "create"), None)
        if created is None:
            raise PageNotFound(N_("There is no proposal %(number)s."), number=number)
        replayed = standing(events)
        latest: dict[str, Event] = {}
        for event in events:
            if event.kind in ("endorse", "object", "withdraw"):
                latest[event.group] = event
        positions = tuple(GroupPosition(group, event, False) for group, event in sorted(latest.items())
                          if event.kind != "withdraw")
        proposal = Proposal(number=number, title=title or f"Proposal {number}", rationale=created.text,
                            author=created.user, group=created.group, created=created.time, base=created.head,
                            state=replayed.state, events=tuple(events), merged_commit=replayed.merged_commit,
                            closed_reason=replayed.closed_reason, positions=positions,
                            deadline=deadline if parse_time(deadline) is not None else "",
                            procedure=procedure if procedure in PROCEDURES else "consensus")
        return proposal, ()

    def _drafters_of(self, base: str, head: str) -> tuple[tuple[str, str], ...]:
        if base == head:
            return ()
        notes = self.log.notes_tip()
        seen: dict[tuple[str, str], None] = {}
        for entry in self.log.iter_log(head, f"^{base}", "--no-merges"):
            commit = self.log.attribute(entry.commit, notes)
            seen[(commit.username or commit.author_name, commit.group)] = None
        return tuple(reversed(list(seen)))

    def consensus(self, proposal: Proposal, groups: tuple[str, ...] | list[str]) -> Consensus:
        current = [position for position in proposal.positions if position.current]
        endorsing = tuple(p.group for p in current if p.event.kind == "endorse")
        objecting = tuple(p for p in current if p.event.kind == "object")
        spoken = {p.group for p in current}
        stale = tuple(p.group for p in proposal.positions if not p.current)
        missing = tuple(group for group in groups if group not in spoken)
        holds = bool(groups) and all(group in endorsing for group in groups) and not objecting
        return Consensus(endorsing=endorsing, objecting=objecting, missing=missing, stale=stale, holds=holds)

    def changed_pages(self, proposal: Proposal) -> tuple[str, ...]:
        """The pages the proposal's own commits changed since it forked; cached by (base, head), so
        commits to ``main`` cost nothing here (the list's ``page=`` filter)."""
        def load() -> tuple[str, ...]:
            if proposal.base == proposal.head:
                return ()
            # The first-parent chain: the proposal's own commits, not those an update merged in.
            own = self.log.iter_log("--first-parent", "--no-merges", f"{proposal.base}..{proposal.head}",
                                    files="name-status", renames=False)
            found = {names.page_from_file(file.path) for entry in own for file in entry.files}
            return tuple(sorted(page for page in found if page is not None))

        return self._changed.get_or_compute((proposal.base, proposal.head), load)

    # ------------------------------------------------------------------ writing

    def write_event(self, number: int | None, event: Event, *, title: str = "", author: Author,
                     deadline: str = "", procedure: str = "") -> int:
        """Add one event file; ``number=None`` allocates the next proposal number in the same swap."""
        if len(event.text.encode("utf-8")) > MAX_TEXT_BYTES:
            raise InvalidContent(N_("The text is longer than %(limit)s bytes."), limit=Count(MAX_TEXT_BYTES))
        allocated = number

        def prepare(tip: str | None) -> Plan:
            nonlocal allocated
            root = self.reader.tree_entries(self.reader.commit_tree(tip)) if tip else {}
            if number is None:
                allocated = max((int(name) for name in root if name.isdigit()), default=0) + 1
            folder = root.get(str(allocated))
            sequence = len(self.reader.tree_entries(folder[1])) + 1 if folder and folder[0] == TREE_MODE else 1
            # Numbered in the order they land (the swap makes concurrent writers renumber), so
            # events of one second keep their order in every clone.
            name = f"{allocated}/{sequence:06d}-{event.kind}-{secrets.token_hex(3)}.txt"
            data = event_file(event, title, deadline=deadline, procedure=procedure)
            return Plan({name: data}, f"{event.kind.capitalize()} proposal {allocated}",
                        ((PROPOSAL_TRAILER, str(allocated)),))

        self.committer.commit_to_ref(META_REF, prepare, author=author,
                                     busy=N_("Proposals are being changed very often right now; please try again."))
        return allocated  # type: ignore[return-value]

    def create(self, title: str, rationale: str, *, author: Author, deadline: str = "",
               procedure: str = "consensus") -> Proposal:
        """Start a proposal forked from the current ``main``, with an optional ``deadline`` for
        positions (``2026-12-07T17:00:00Z``) and its ``procedure`` (consensus or silence)."""
        if deadline and parse_time(deadline) is None:
            raise InvalidContent(N_("The deadline must be a date and time such as 2026-12-07T17:00:00Z."))
        if procedure not in PROCEDURES:
            raise InvalidContent(N_("The procedure must be consensus or silence."))
        title = one_line(title)[:200]
        if not title:
            raise InvalidContent(N_("A proposal needs a title."))
        base = self.reader.read_ref(self.branch_ref)
        if base is None:
            raise PageNotFound(N_("The content repository has no commits yet."))
        event = Event("create", author.username, author.group, now(), base, rationale)
        number = self.write_event(None, event, title=title, author=author, deadline=deadline, procedure=procedure)
        self.committer.set_ref(f"{BRANCH_PREFIX}{number}", base, None, reason=f"wiki: proposal {number}")
        return self.get(number)

    def pages_of(self, number: int) -> Pages:
        """Page operations on the proposal's branch, each commit carrying ``Proposal: <n>``."""
        proposal = self.get(number)
        if proposal.state != "open":
            raise ProposalRefused(N_("Proposal %(number)s is %(state)s; it can no longer change."), number=number,
                                  state=Term(proposal.state))
        if self.reader.read_ref(proposal.ref) is None:  # created before its branch was (a crash): make it
            self.committer.set_ref(proposal.ref, proposal.base, None, reason=f"wiki: proposal {number}")
        return self.pages.on_branch(proposal.ref, ((PROPOSAL_TRAILER, str(number)),))

    def comment(self, number: int, text: str, *, author: Author) -> None:
        proposal = self.get(number)
        if not text.strip():
            raise InvalidContent(N_("The comment is empty."))
        self.write_event(number, Event("comment", author.username, author.group, now(), proposal.head, text),
                         author=author)

    def position(self, number: int, action: str, seen: str, *, reason: str, author: Author) -> None:
        """Endorse, object to, or withdraw from the proposal's head ``seen`` for the author's group."""
        if action not in ("endorse", "object", "withdraw"):
            raise InvalidContent(N_("The action must be endorse, object or withdraw."))
        with self.deciding():
            self._position(number, action, seen, reason=reason, author=author)

    def _position(self, number: int, action: str, seen: str, *, reason: str, author: Author) -> None:
        proposal = self.get(number)
        if proposal.state != "open":
            raise ProposalRefused(N_("Proposal %(number)s is %(state)s."), number=number, state=Term(proposal.state))
        if seen != proposal.head:
            raise ProposalRefused(N_("The proposal changed since you read it; read its new changes and decide again."))
        if action == "object" and not reason.strip():
            raise InvalidContent(N_("Say why your group objects."))
        if action == "withdraw" and author.group not in {p.group for p in proposal.positions}:
            raise ProposalRefused(N_("Your group has nothing to withdraw on this proposal."))
        self.write_event(number, Event(action, author.username, author.group, now(), proposal.head, reason),
                         author=author)

    @contextmanager
    def deciding(self) -> Iterator[None]:
        """Serialize the decisions on proposals (positions, merges, closing, reopening) across threads
        and processes: positions live on the metadata branch and a merge moves ``main``, two refs no
        single compare-and-swap covers, so a merge that read consensus must land before any position
        that could change it (a file lock in the repository, held for one decision)."""
        with open(self.reader.path / DECISIONS_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def close(self, number: int, reason: str, *, author: Author) -> None:
        with self.deciding():
            self._close(number, reason, author=author)

    def _close(self, number: int, reason: str, *, author: Author) -> None:
        proposal = self.get(number)
        if proposal.state != "open":
            raise ProposalRefused(N_("Proposal %(number)s is already %(state)s."), number=number,
                                  state=Term(proposal.state))
        self.write_event(number, Event("close", author.username, author.group, now(), proposal.head, reason),
                         author=author)

    def reopen(self, number: int, reason: str, *, author: Author) -> None:
        with self.deciding():
            self._reopen(number, reason, author=author)

    def _reopen(self, number: int, reason: str, *, author: Author) -> None:
        proposal = self.get(number)
        if proposal.state != "closed":
            raise ProposalRefused(N_("Proposal %(number)s is %(state)s; only a closed proposal can be reopened."),
                                  number=number, state=Term(proposal.state))
        self.write_event(number, Event("reopen", author.username, author.group, now(), proposal.head, reason),
                         author=author)
