"""Endorsements: a stakeholder group endorses (or withdraws from) a page's current revision.

Each endorsement is a line appended to the Git note (under ``refs/notes/endorsements``) of the
commit that made the revision, so a clone carries them; replaying a page's lines gives each
group's latest state, consensus, and the last revision every group endorsed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .. import names
from ..errors import N_, EndorsementRefused, InvalidRevision, PageNotFound
from .cache import LRUCache
from .committer import one_line
from .history import History
from .notes import NoteIndex, Notes
from .reader import Reader
from .types import ENDORSEMENT_ACTIONS, Author, Endorsement, GroupEndorsement, PageEndorsements

ByPage = dict[str, tuple[Endorsement, ...]]


class Endorsements:
    """Record and replay endorsements; the events are indexed per notes commit."""

    def __init__(self, reader: Reader, notes: Notes, history: History, *, branch_ref: str) -> None:
        self.reader = reader
        self.notes = notes
        self.history = history
        self.branch_ref = branch_ref
        self._events: LRUCache[str, ByPage] = LRUCache(4)

    def cache_token(self) -> str:
        """The endorsement notes' tip ("" when none): what a cached page view must depend on."""
        return self.notes.tip() or ""

    def _by_page(self) -> ByPage:
        tip = self.notes.tip()
        if tip is None:
            return {}
        return self._events.get_or_compute(tip, lambda: self._replay(self.notes.index(tip)))

    def _replay(self, located: NoteIndex) -> ByPage:
        events: dict[str, list[tuple[int, int, Endorsement]]] = {}
        order = 0
        for commit, where in located.items():
            for line in self.notes.text(where).splitlines():
                endorsement = parse_note_line(commit, line)
                if endorsement is not None:
                    order += 1
                    events.setdefault(endorsement.page, []).append((endorsement.timestamp, order, endorsement))
        return {page: tuple(event for *_, event in sorted(items)) for page, items in events.items()}

    def endorsement_events(self, page: str) -> tuple[Endorsement, ...]:
        return self._by_page().get(page, ())

    def endorse(self, page: str, seen: str, *, action: str, author: Author) -> Endorsement:
        """Record that ``author``'s group endorses (or withdraws from) the page's current revision.

        ``seen`` is the commit the reviewer read: if the page changed since, nothing is recorded.
        The line is appended to the note of the commit that made the current revision; the notes
        ref moves by compare-and-swap, retried on top of a concurrent writer's notes.
        """
        if action not in ENDORSEMENT_ACTIONS:
            raise EndorsementRefused(N_("The action must be 'endorse' or 'withdraw'."))
        head = self.reader.read_ref(self.branch_ref)
        last = self.history.last_change(page, head) if head else None
        if last is None or head is None or self.reader.blob_at(head, names.page_file(page)) is None:
            raise PageNotFound(N_("There is no page %(page)s to endorse."), page=repr(page))
        if seen != last.id:
            raise EndorsementRefused(N_("The page changed since you read it; read the current text and try again."))
        state = self.page_endorsements(page, ())
        if action == "endorse" and author.group in {item.group for item in state.groups if item.current}:
            raise EndorsementRefused(N_("Your group already endorses the current text of this page."))
        if action == "withdraw" and author.group not in {item.group for item in state.groups}:
            raise EndorsementRefused(N_("Your group has no endorsement of this page to withdraw."))
        endorsement = Endorsement(commit=last.id, group=one_line(author.group), username=one_line(author.username),
                                  timestamp=int(datetime.now(UTC).timestamp()), action=action, page=page)

        def notes(located: NoteIndex) -> dict[str, str]:
            old = self.notes.text(located[last.id]) if last.id in located else ""
            return {last.id: old + endorsement.note_line()}

        self.notes.write(notes, author=author, message=f"{action.capitalize()} {page} for {author.group}",
                         busy=N_("Endorsements are being recorded very often right now; please try again."))
        return endorsement

    def record_adoption(self, commit: str, pages: list[str], users: dict[str, str], *, author: Author,
                        proposal: int) -> None:
        """Carry a proposal's positions to the agreed text: each group in ``users`` (group -> the
        user who endorsed the proposal for it) endorses each of ``pages`` at the merge ``commit``,
        in one notes write, so the pages report the consensus the proposal reached."""
        if not pages or not users:
            return
        now = int(datetime.now(UTC).timestamp())
        lines = "".join(Endorsement(commit=commit, group=one_line(group), username=one_line(user), timestamp=now,
                                    action="endorse", page=page).note_line()
                        for page in pages for group, user in sorted(users.items()))

        def notes(located: NoteIndex) -> dict[str, str]:
            old = self.notes.text(located[commit]) if commit in located else ""
            return {commit: old + lines}

        self.notes.write(notes, author=author, message=f"Endorsements of proposal {proposal}, carried to the pages "
                                                       "it changed",
                         busy=N_("Endorsements are being recorded very often right now; please try again."))

    def page_endorsements(self, page: str, groups: tuple[str, ...] | list[str]) -> PageEndorsements:
        """Replay the page's endorsement notes: each group's latest state, current or stale,
        consensus among ``groups`` (the configured ones) and the last revision that had it."""
        events = self.endorsement_events(page)
        head = self.reader.read_ref(self.branch_ref)
        current_blob = self._blob_at(page, head) if head else None
        latest: dict[str, Endorsement] = {}
        last_consensus: str | None = None
        for event in events:
            latest[event.group] = event
            if groups and all(g in latest and latest[g].action == "endorse" for g in groups):
                blobs = {self._blob_at(page, latest[g].commit) for g in groups}
                if len(blobs) == 1 and None not in blobs:
                    last_consensus = max((latest[g] for g in groups), key=lambda e: e.timestamp).commit
        held = [GroupEndorsement(group, event, self._blob_at(page, event.commit) == current_blob)
                for group, event in sorted(latest.items()) if event.action == "endorse"]
        current = {item.group for item in held if item.current}
        missing = tuple(group for group in groups if group not in current)
        consensus = bool(groups) and not missing
        if consensus:
            status = "consensus"
        elif current:
            status = "partly endorsed"
        elif held:
            status = "stale"
        else:
            status = "not endorsed"
        holding = {item.group for item in held}
        return PageEndorsements(page=page, groups=tuple(held), missing=missing,
                                not_endorsing=tuple(group for group in groups if group not in holding),
                                consensus=consensus, last_consensus=last_consensus, status=status)

    def endorsement_overview(self, pages: tuple[str, ...], groups: tuple[str, ...] | list[str],
                             ) -> dict[str, list[PageEndorsements]]:
        """``pages`` by endorsement status; pages without notes are 'not endorsed'."""
        by_page = self._by_page()
        overview: dict[str, list[PageEndorsements]] = {
            "consensus": [], "partly endorsed": [], "stale": [], "not endorsed": []}
        for page in pages:
            if page in by_page:
                state = self.page_endorsements(page, groups)
            else:
                state = PageEndorsements(page=page, groups=(), missing=tuple(groups), not_endorsing=tuple(groups),
                                         consensus=False, last_consensus=None, status="not endorsed")
            overview[state.status].append(state)
        return overview

    def _blob_at(self, page: str, commit: str) -> str | None:
        try:
            return self.reader.blob_at(commit, names.page_file(page))
        except InvalidRevision:
            return None


def parse_note_line(commit: str, line: str) -> Endorsement | None:
    """``<group> <user> <time> <action> <page>``; anything else (a hand-made note) is ignored."""
    parts = line.strip().split(" ")
    if len(parts) != 5 or parts[3] not in ENDORSEMENT_ACTIONS:
        return None
    group, user, stamp, action, page = parts
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    if names.page_from_file(names.page_file(page)) != page:
        return None
    return Endorsement(commit=commit, group=group, username=user, timestamp=int(when.timestamp()),
                       action=action, page=page)
