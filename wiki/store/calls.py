"""Calls for input and their responses, stored in the content repository so a clone carries them.

The branch ``refs/heads/meta/calls`` holds one folder per call::

    <slug>/call.json                          the call: title, description, questions, deadline, state
    <slug>/responses/<respondent>/response.json   who answered, for which group, consent, the choices
    <slug>/responses/<respondent>/q3.md           each text answer, a file of its own

Every change is one commit with the attribution trailers plus ``Call: <slug>`` (and
``Response: <respondent>`` for a response), so ``git log meta/calls -- <slug>/responses/<name>``
is a response's history and ``git blame`` works on each answer. Drafts are not here: they are
private to their author until submitted (the accounts database keeps them).

A call is a pure function of its file's blob id, a response of its folder's tree id, and a call's
responses of their folder's tree id, so all are cached by those ids and never go stale. Writes
land by compare-and-swap, and the rule deciding whether a write may land runs on the tip it lands
on (a response sent one second after the deadline is refused however the race falls).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..errors import N_, PageNotFound
from .cache import LRUCache
from .call_model import (
    CALL_TRAILER,
    CALLS_REF,
    RESPONSE_TRAILER,
    SLUG_RE,
    Call,
    Response,
    call_file,
    parse_call,
    parse_response,
    response_files,
)
from .committer import Committer, Plan
from .gitlog import GitLog
from .reader import TREE_MODE, Reader
from .types import Author, CommitInfo

BUSY = N_("Calls for input are being written very often right now; please try again.")
MAX_HISTORY = 200  # a response's history shows at most this many changes


class Calls:
    """Create and change calls; submit responses; read both, by call and by respondent."""

    def __init__(self, reader: Reader, committer: Committer, log: GitLog) -> None:
        self.reader = reader
        self.committer = committer
        self.log = log
        self._calls: LRUCache[str, Call | None] = LRUCache(1024)
        self._responses: LRUCache[str, Response | None] = LRUCache(50_000)
        self._lists: LRUCache[str, tuple[Response, ...]] = LRUCache(64)

    # ------------------------------------------------------------------ reading

    def cache_token(self) -> str:
        """The branch tip: any view of calls depends on it."""
        return self.reader.read_ref(CALLS_REF) or ""

    def _root(self, tip: str | None = None) -> str | None:
        tip = tip or self.reader.read_ref(CALLS_REF)
        return self.reader.commit_tree(tip) if tip else None

    def _call_in(self, root: str | None, slug: str) -> Call | None:
        if root is None or not SLUG_RE.match(slug):
            return None
        entry = self.reader.lookup(root, f"{slug}/call.json")
        if entry is None or entry[0] == TREE_MODE:
            return None
        blob = entry[1]
        return self._calls.get_or_compute(f"{slug}:{blob}", lambda: parse_call(slug, self.reader.blob(blob)))

    def all(self) -> list[Call]:
        """Every call, the latest deadline first."""
        root = self._root()
        if root is None:
            return []
        found = [self._call_in(root, name) for name, (mode, _) in self.reader.tree_entries(root).items()
                 if mode == TREE_MODE]
        return sorted((call for call in found if call is not None), key=lambda call: (call.deadline, call.slug),
                      reverse=True)

    def get(self, slug: str, *, tip: str | None = None) -> Call:
        """The call as of ``tip`` (default: now)."""
        call = self._call_in(self._root(tip), slug)
        if call is None:
            raise PageNotFound(N_("There is no call for input “%(slug)s”."), slug=slug[:80])
        return call

    def responses_id(self, slug: str) -> str | None:
        """The object id of the call's responses folder (``None`` before the first): what any view
        of its responses depends on, so a cache keyed by it never goes stale."""
        root = self._root()
        entry = self.reader.lookup(root, f"{slug}/responses") if root and SLUG_RE.match(slug) else None
        return entry[1] if entry is not None and entry[0] == TREE_MODE else None

    def responses(self, slug: str) -> tuple[Response, ...]:
        """The call's submitted responses, in the order they were first submitted."""
        root = self._root()
        entry = self.reader.lookup(root, f"{slug}/responses") if root and SLUG_RE.match(slug) else None
        if entry is None or entry[0] != TREE_MODE:
            return ()
        return self._lists.get_or_compute(entry[1], lambda: self._read_responses(slug, entry[1]))

    def _read_responses(self, slug: str, tree: str) -> tuple[Response, ...]:
        found = []
        for name, (mode, folder) in self.reader.tree_entries(tree).items():
            if mode == TREE_MODE:
                response = self._response_in(slug, folder)
                if response is not None and response.respondent == name:
                    found.append(response)
        return tuple(sorted(found, key=lambda response: (response.submitted, response.respondent)))

    def _response_in(self, slug: str, folder: str) -> Response | None:
        def read() -> Response | None:
            files = {name: self.reader.blob(blob) for name, (mode, blob) in self.reader.tree_entries(folder).items()
                     if mode != TREE_MODE}
            return parse_response(slug, files)

        return self._responses.get_or_compute(f"{slug}:{folder}", read)

    def response(self, slug: str, respondent: str, *, tip: str | None = None) -> Response | None:
        root = self._root(tip)
        entry = self.reader.lookup(root, f"{slug}/responses/{respondent}") if root else None
        if entry is None or entry[0] != TREE_MODE:
            return None
        return self._response_in(slug, entry[1])

    def history(self, slug: str, respondent: str) -> list[CommitInfo]:
        """The commits that made or changed one response, newest first (at most ``MAX_HISTORY``)."""
        tip = self.reader.read_ref(CALLS_REF)
        if tip is None:
            return []
        entries = self.log.log(f"--max-count={MAX_HISTORY}", tip, "--", f"{slug}/responses/{respondent}/",
                               renames=False)
        return [entry.commit for entry in entries]

    # ------------------------------------------------------------------ writing

    def create(self, call: Call, *, author: Author) -> Call:
        """Store a new call under a free slug (``call.slug``, else ``-2``, ``-3``…); the call stored."""
        created = call

        def prepare(tip: str | None) -> Plan:
            nonlocal created
            root = self._root(tip) if tip else None
            taken = set(self.reader.tree_entries(root)) if root else set()
            slug, number = call.slug, 1
            while slug in taken:
                number += 1
                slug = f"{call.slug[:50]}-{number}"
            created = replace(call, slug=slug)
            return Plan({f"{slug}/call.json": call_file(created)}, f"Open call for input: {created.title}",
                        ((CALL_TRAILER, slug),))

        self.committer.commit_to_ref(CALLS_REF, prepare, author=author, busy=BUSY)
        return created

    def update(self, slug: str, change: Callable[[Call], Call], message: str, *, author: Author) -> Call:
        """Change a call: ``change`` runs on the call as of the tip the write lands on."""
        updated: Call | None = None

        def prepare(tip: str | None) -> Plan | None:
            nonlocal updated
            current = self._call_in(self._root(tip) if tip else None, slug)
            if current is None:
                raise PageNotFound(N_("There is no call for input “%(slug)s”."), slug=slug[:80])
            updated = change(current)
            if updated == current:
                return None
            return Plan({f"{slug}/call.json": call_file(updated)}, message, ((CALL_TRAILER, slug),))

        self.committer.commit_to_ref(CALLS_REF, prepare, author=author, busy=BUSY)
        return updated or self.get(slug)

    def save_response(self, slug: str, respondent: str, make: Callable[[Call, Response | None], Response],
                      *, author: Author) -> tuple[Response, bool]:
        """Submit or change ``respondent``'s response: ``make(call, previous)`` builds it (and raises
        when the call's rules refuse it) on the tip the write lands on. The response stored, and
        whether anything changed."""
        saved: Response | None = None

        def prepare(tip: str | None) -> Plan | None:
            nonlocal saved
            root = self._root(tip) if tip else None
            call = self._call_in(root, slug)
            if call is None:
                raise PageNotFound(N_("There is no call for input “%(slug)s”."), slug=slug[:80])
            previous = self.response(slug, respondent, tip=tip) if tip else None
            saved = make(call, previous)
            folder = f"{slug}/responses/{respondent}"
            files = response_files(saved, call)
            old = self.reader.lookup(root, folder) if root else None
            old_names = set(self.reader.tree_entries(old[1])) if old and old[0] == TREE_MODE else set()
            if previous is not None and response_files(previous, call) == files:
                return None
            changes: dict[str, bytes | None] = {f"{folder}/{name}": None for name in old_names - set(files)}
            changes.update({f"{folder}/{name}": data for name, data in files.items()})
            verb = "Change the response" if previous else "Respond"
            return Plan(changes, f"{verb} to {call.title}", ((CALL_TRAILER, slug), (RESPONSE_TRAILER, respondent)))

        commit = self.committer.commit_to_ref(CALLS_REF, prepare, author=author, busy=BUSY)
        assert saved is not None
        return saved, commit is not None
