"""Comment threads anchored to passages, stored in the content repository so a clone carries them.

A thread ``n`` is the folder ``<shard>/<n>/`` of the branch ``refs/heads/meta/comments``, where
the shard is ``n // 100`` in four digits (thread 123 is ``0001/123/``), so a new event rewrites
one small folder, not a root of thousands; each event is one JSON file
``<sequence>-<event>-<random>.json`` in it (``create``, ``reply``, ``resolve``, ``reopen``,
``move``), so concurrent writers never conflict: each adds a file and the branch moves by
compare-and-swap like every ref. The ``create`` file holds the page, the proposal (or null), the
comment's kind, and the anchor: the commit the user read (``rev``), the page's blob there, the
quoted passage, up to 32 characters before and after it and its position in the page's plain
text. A ``move`` file (``to``) records that the page was renamed, by the wiki or by a push.

A thread's state is a pure function of its folder's tree id, a shard's threads of the shard's
tree id, and the index of threads by page of the root tree id, so all are cached by those ids and
never go stale.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import UTC, datetime

from .. import names
from ..errors import N_, Count, InvalidContent, PageNotFound
from .cache import LRUCache
from .comment_model import (
    COMMENT_TRAILER,
    COMMENTS_REF,
    KINDS,
    MAX_QUOTE_CHARS,
    MAX_TEXT_BYTES,
    Anchor,
    CommentRefused,
    Thread,
    build_thread,
    event_file,
    parse_event,
)
from .committer import Committer, Plan
from .gitlog import GitLog
from .reader import TREE_MODE, Reader
from .types import Author

__all__ = ["COMMENTS_REF", "KINDS", "Anchor", "CommentRefused", "Comments", "Thread"]

Index = tuple[dict[int, Thread], dict[tuple[str, int | None], tuple[int, ...]]]
SHARD_SIZE = 100  # threads per folder of the root tree: a new event rewrites one small folder


def folder(number: int) -> str:
    """Thread ``number``'s folder: ``0000/12``, ``0001/123``."""
    return f"{number // SHARD_SIZE:04d}/{number}"


BUSY = N_("Comments are being written very often right now; please try again.")


class Comments:
    """Start, answer, resolve and move threads; read them by page or all at once."""

    def __init__(self, reader: Reader, committer: Committer, log: GitLog) -> None:
        self.reader = reader
        self.committer = committer
        self.log = log
        self._threads: LRUCache[str, Thread | None] = LRUCache(50_000)
        self._shards: LRUCache[str, tuple[Thread, ...]] = LRUCache(4096)
        self._indexes: LRUCache[str, Index] = LRUCache(8)

    # ------------------------------------------------------------------ reading

    def cache_token(self) -> str:
        """The branch tip: any view showing threads depends on it."""
        return self.reader.read_ref(COMMENTS_REF) or ""

    def _index(self) -> Index:
        tip = self.reader.read_ref(COMMENTS_REF)
        if tip is None:
            return {}, {}
        root = self.reader.commit_tree(tip)
        return self._indexes.get_or_compute(root, lambda: self._build_index(root))

    def _build_index(self, root: str) -> Index:
        """Threads by number and by page, from each shard's cached part (a new comment changes one)."""
        threads: dict[int, Thread] = {}
        by_page: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        for name, (mode, tree) in sorted(self.reader.tree_entries(root).items()):
            if mode != TREE_MODE or not name.isdigit():
                continue
            for thread in self._shards.get_or_compute(tree, lambda tree=tree: self._read_shard(tree)):
                threads[thread.number] = thread
                by_page[(thread.page, thread.proposal)].append(thread.number)
        return threads, {key: tuple(sorted(numbers)) for key, numbers in by_page.items()}

    def _read_shard(self, shard: str) -> tuple[Thread, ...]:
        found = []
        for name, (mode, tree) in self.reader.tree_entries(shard).items():
            if mode == TREE_MODE and name.isdigit():
                thread = self._threads.get_or_compute(tree, lambda number=int(name), tree=tree:
                                                      self._replay(number, tree))
                if thread is not None:
                    found.append(thread)
        return tuple(found)

    def _replay(self, number: int, tree: str) -> Thread | None:
        events = []
        for name, (mode, blob) in self.reader.tree_entries(tree).items():
            if mode == TREE_MODE:
                continue
            parsed = parse_event(name, blob, self.reader.blob(blob))
            if parsed is not None:
                events.append(parsed)
        return build_thread(number, events)

    def get(self, number: int) -> Thread:
        thread = self._index()[0].get(number)
        if thread is None:
            raise PageNotFound(N_("There is no comment thread %(number)s."), number=number)
        return thread

    def of_page(self, page: str, proposal: int | None = None) -> list[Thread]:
        """The page's threads (on the agreed text, or in ``proposal``), oldest first."""
        threads, by_page = self._index()
        return [threads[number] for number in by_page.get((page, proposal), ())]

    def all(self) -> list[Thread]:
        """Every thread, most recently active first."""
        return sorted(self._index()[0].values(), key=lambda thread: (thread.updated, thread.number), reverse=True)

    def pages_with_threads(self) -> set[str]:
        return {page for page, proposal in self._index()[1] if proposal is None}

    # ------------------------------------------------------------------ writing

    def start(self, page: str, anchor: Anchor, kind: str, text: str, *, proposal: int | None,
              author: Author) -> int:
        """Open a thread on a passage; the thread's number."""
        if kind not in KINDS:
            raise InvalidContent(N_("The kind of comment must be one of: %(kinds)s."), kinds=", ".join(KINDS))
        _check_text(text)
        if not anchor.quote or len(anchor.quote) > MAX_QUOTE_CHARS:
            raise InvalidContent(N_("A quoted passage must have between 1 and %(limit)s characters."),
                                 limit=Count(MAX_QUOTE_CHARS))
        data = event_file("create", user=author.username, group=author.group, time=_now(), text=text, page=page,
                          proposal=proposal, kind=kind, rev=anchor.rev, blob=anchor.blob, quote=anchor.quote,
                          prefix=anchor.prefix, suffix=anchor.suffix, position=anchor.position)
        return self._write(None, {"create": data}, f"Comment on {page}", author)

    def reply(self, number: int, text: str, *, author: Author) -> None:
        self.get(number)
        _check_text(text)
        self._write(number, {"reply": event_file("reply", user=author.username, group=author.group,
                                                 time=_now(), text=text)}, f"Reply in thread {number}", author)

    def set_state(self, number: int, state: str, *, author: Author, may_resolve_any: bool) -> None:
        """Resolve (the thread's author, or a reviewer) or reopen (anyone) a thread."""
        thread = self.get(number)
        if state == "resolved":
            if thread.state == "resolved":
                raise CommentRefused(N_("This thread is already resolved."))
            if not may_resolve_any and author.username != thread.author:
                raise CommentRefused(N_("Only the thread's author or a reviewer can resolve it."))
            event = "resolve"
        elif state == "open":
            if thread.state == "open":
                raise CommentRefused(N_("This thread is already open."))
            event = "reopen"
        else:
            raise InvalidContent(N_("A thread is either open or resolved."))
        self._write(number, {event: event_file(event, user=author.username, group=author.group, time=_now())},
                    f"{event.capitalize()} thread {number}", author)

    def set_hidden(self, number: int, hidden: bool, *, author: Author, reason: str = "") -> bool:
        """Hide thread ``number`` as spam (or show it again): an event in its history, so nothing is
        deleted. Whether anything changed (asking for the state it has is not an error)."""
        thread = self.get(number)
        if thread.hidden == hidden:
            return False
        event = "hide" if hidden else "unhide"
        if len(reason.encode("utf-8")) > MAX_TEXT_BYTES:
            raise InvalidContent(N_("The text is longer than %(limit)s bytes."), limit=Count(MAX_TEXT_BYTES))
        self._write(number, {event: event_file(event, user=author.username, group=author.group, time=_now(),
                                               text=reason)},
                    f"{'Hide' if hidden else 'Show'} thread {number}" + (" as spam" if hidden else " again"), author)
        return True

    def move_pages(self, moves: dict[str, str], commit: str, *, author: Author) -> int:
        """Record that pages were renamed in ``commit``: their threads on the agreed text follow."""
        threads, by_page = self._index()
        moving = {number: moves[page] for (page, proposal), numbers in by_page.items()
                  if proposal is None and page in moves for number in numbers}
        if not moving:
            return 0
        time = _now()

        def files(number: int) -> dict[str, bytes]:
            return {"move": event_file("move", user=author.username, group=author.group, time=time,
                                       commit=commit, to=moving[number])}

        self._write_many({number: files(number) for number in moving},
                         f"Move {len(moving)} thread(s) with renamed pages", author)
        return len(moving)

    def follow_renames(self, old: str, new: str, *, author: Author) -> int:
        """Move the threads of pages renamed between two commits of the agreed text (a push)."""
        pages = self.pages_with_threads()
        if not pages or old == new:
            return 0
        moves = {}
        for change in self.log.diff_tree(old, new, renames=True):
            if change.status.startswith("R"):
                before, after = names.page_from_file(change.old_path), names.page_from_file(change.path)
                if before in pages and after is not None:
                    moves[before] = after
        return self.move_pages(moves, new, author=author) if moves else 0

    def _write(self, number: int | None, events: dict[str, bytes], message: str, author: Author) -> int:
        """Add event files to thread ``number`` (``None``: a new thread, numbered in the same swap)."""
        allocated = number

        def prepare(tip: str | None) -> Plan:
            nonlocal allocated
            root = self.reader.commit_tree(tip) if tip else None
            if number is None:
                allocated = self._last_number(root) + 1
            changes = self._files(root, allocated, events)  # type: ignore[arg-type]
            return Plan(changes, message, ((COMMENT_TRAILER, str(allocated)),))

        self.committer.commit_to_ref(COMMENTS_REF, prepare, author=author, busy=BUSY)
        return allocated  # type: ignore[return-value]

    def _write_many(self, events: dict[int, dict[str, bytes]], message: str, author: Author) -> None:
        def prepare(tip: str | None) -> Plan:
            root = self.reader.commit_tree(tip) if tip else None
            changes: dict[str, bytes | None] = {}
            for number, files in events.items():
                changes.update(self._files(root, number, files))
            return Plan(changes, message, ())

        self.committer.commit_to_ref(COMMENTS_REF, prepare, author=author, busy=BUSY)

    def _last_number(self, root: str | None) -> int:
        """The highest thread number (in the last shard), 0 when there is none."""
        if root is None:
            return 0
        shards = sorted(name for name, (mode, _) in self.reader.tree_entries(root).items()
                        if mode == TREE_MODE and name.isdigit())
        for shard in reversed(shards):
            numbers = [int(name) for name in self.reader.tree_entries(self.reader.tree_entries(root)[shard][1])
                       if name.isdigit()]
            if numbers:
                return max(numbers)
        return 0

    def _files(self, root: str | None, number: int, events: dict[str, bytes]) -> dict[str, bytes | None]:
        path = folder(number)
        existing = self.reader.lookup(root, path) if root else None
        sequence = len(self.reader.tree_entries(existing[1])) if existing and existing[0] == TREE_MODE else 0
        changes: dict[str, bytes | None] = {}
        for event, data in events.items():
            sequence += 1
            # Numbered in the order they land (a lost swap renumbers), so every clone orders them alike.
            changes[f"{path}/{sequence:06d}-{event}-{secrets.token_hex(3)}.json"] = data
        return changes


def _check_text(text: str) -> None:
    if not text.strip():
        raise InvalidContent(N_("The comment is empty."))
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise InvalidContent(N_("The text is longer than %(limit)s bytes."), limit=Count(MAX_TEXT_BYTES))


def _now() -> int:
    return int(datetime.now(UTC).timestamp())
