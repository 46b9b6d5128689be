"""Git notes refs (``refs/notes/*``): one text per annotated commit, read from the notes tree
through the reader's caches and written through the committer like any other ref.

git writes notes at the root of the notes tree or in fan-out folders (``ab/cdef…``); both are
read. New notes go where the commit's note already is, else at the root.
"""

from __future__ import annotations

from collections.abc import Callable

from .cache import LRUCache
from .committer import Committer, Plan
from .reader import HEX40, TREE_MODE, Reader
from .types import Author

# commit id -> (path in the notes tree, blob id)
NoteIndex = dict[str, tuple[str, str]]


class Notes:
    """The notes under one ref."""

    def __init__(self, reader: Reader, committer: Committer, ref: str) -> None:
        self.reader = reader
        self.committer = committer
        self.ref = ref
        self._indexes: LRUCache[str, NoteIndex] = LRUCache(4)

    def tip(self) -> str | None:
        return self.reader.read_ref(self.ref)

    def find(self, commit_id: str, tip: str | None) -> str:
        """The note on ``commit_id`` in the notes commit ``tip``, or ""; a few cached tree lookups."""
        if tip is None:
            return ""
        tree, rest = self.reader.commit_tree(tip), commit_id
        while rest:
            entries = self.reader.tree_entries(tree)
            if rest in entries:
                return self.reader.blob(entries[rest][1]).decode("utf-8", "replace")
            folder = entries.get(rest[:2])
            if folder is None or folder[0] != TREE_MODE:
                return ""
            tree, rest = folder[1], rest[2:]
        return ""

    def index(self, tip: str | None) -> NoteIndex:
        """Where each annotated commit's note is in ``tip``; cached by the notes commit."""
        if tip is None:
            return {}
        return self._indexes.get_or_compute(tip, lambda: self._walk(tip))

    def _walk(self, tip: str) -> NoteIndex:
        located: NoteIndex = {}
        stack = [(self.reader.commit_tree(tip), "", "")]
        while stack:
            tree, hex_prefix, path_prefix = stack.pop()
            for name, (mode, object_id) in self.reader.tree_entries(tree).items():
                if mode == TREE_MODE and len(name) == 2 and len(hex_prefix) < 38:
                    stack.append((object_id, hex_prefix + name, f"{path_prefix}{name}/"))
                elif mode != TREE_MODE and HEX40.match(hex_prefix + name):
                    located[hex_prefix + name] = (path_prefix + name, object_id)
        return located

    def text(self, path_and_blob: tuple[str, str]) -> str:
        return self.reader.blob(path_and_blob[1]).decode("utf-8", "replace")

    def write(self, notes: Callable[[NoteIndex], dict[str, str] | None], *, author: Author, message: str,
              busy: str) -> str | None:
        """Commit new note texts on the notes ref by compare-and-swap.

        ``notes(index)`` gets the index of the current notes tip and returns ``{commit: full new
        text}`` (``None``: nothing to write); on a lost race it runs again on the new tip, so a
        concurrent writer's notes are kept. Returns the new notes commit.
        """

        def prepare(tip: str | None) -> Plan | None:
            located = self.index(tip)
            texts = notes(located)
            if not texts:
                return None
            changes: dict[str, bytes | None] = {}
            for commit, text in texts.items():
                path = located[commit][0] if commit in located else commit
                changes[path] = text.encode("utf-8")
            return Plan(changes, message)

        return self.committer.commit_to_ref(self.ref, prepare, author=author, busy=busy)
