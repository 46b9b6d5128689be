"""What moved on a ref between two of its ids: the commits it gained and the files they changed.

Webhooks (``wiki.webhooks``) turn ref movements into events, whoever moved the ref (a web save, a
script, a ``git push``). This part answers "what is new on ``ref`` since ``old``" with one bounded
``git log`` (``NEW ^OLD``, at most ``limit`` commits, newest kept), never a walk of the whole
history; and, for the metadata branches and notes whose commits add small files, the bytes of the
files each commit added or changed next to what its first parent had.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidRevision
from .gitlog import FileStatus, GitLog
from .reader import TREE_MODE, Reader
from .types import TAGS_PREFIX, CommitInfo

MAX_FILES_READ = 50  # files read per commit when contents are asked for
MAX_FILE_BYTES = 256 * 1024  # a larger file is listed but not read


@dataclass(frozen=True)
class ChangedFile:
    """A file a commit added, changed or deleted against its first parent, with both sides' bytes
    when they were asked for and small enough (``None``: absent or not read)."""

    status: str
    path: str
    old: bytes | None = None
    new: bytes | None = None


@dataclass(frozen=True)
class MovedCommit:
    commit: CommitInfo  # attributed as of now (trailer, else push note)
    files: tuple[ChangedFile, ...]


@dataclass(frozen=True)
class Movement:
    """The commits ``ref`` gained, oldest first; ``truncated`` when more than the limit were new."""

    ref: str
    old: str | None
    new: str
    commits: tuple[MovedCommit, ...]
    truncated: bool


class Movements:
    """Bounded listings of what moved on any ref."""

    def __init__(self, reader: Reader, log: GitLog) -> None:
        self.reader = reader
        self.log = log

    def watched_refs(self, refs: tuple[str, ...], tags: bool) -> dict[str, str]:
        """The current ids of ``refs`` (read from the ref files) and, when ``tags``, of every tag."""
        found = {ref: oid for ref in refs if (oid := self.reader.read_ref(ref)) is not None}
        if tags:
            found.update(self.reader.refs(TAGS_PREFIX))
        return found

    def between(self, ref: str, old: str | None, new: str, *, limit: int = 100,
                contents: bool = False) -> Movement:
        """The commits reachable from ``new`` but not from ``old`` (all of ``new``'s when ``old`` is
        ``None`` or gone), at most ``limit`` of them, the newest; their files vs the first parent."""
        if old is not None and not self._is_commit(old):
            old = None
        if not self._is_commit(new) or old == new:
            return Movement(ref, old, new, (), False)
        args = [f"--max-count={limit + 1}", "--diff-merges=first-parent", new]
        if old is not None:
            args.append(f"^{old}")
        entries = self.log.log(*args, "--", files="name-status", renames=False)
        truncated = len(entries) > limit
        notes_tip = self.log.notes_tip()
        moved = []
        for entry in reversed(entries[:limit]):
            commit = self.log.attribute(entry.commit, notes_tip)
            statuses = [item for item in entry.files if isinstance(item, FileStatus)]
            files = tuple(self._read(commit, item) if contents and index < MAX_FILES_READ
                          else ChangedFile(item.status[:1], item.path)
                          for index, item in enumerate(statuses))
            moved.append(MovedCommit(commit, files))
        return Movement(ref, old, new, tuple(moved), truncated)

    def _is_commit(self, oid: str) -> bool:
        try:
            self.reader.commit_header(oid)
        except InvalidRevision:
            return False
        return True

    def _read(self, commit: CommitInfo, item: FileStatus) -> ChangedFile:
        parent = commit.parents[0] if commit.parents else None
        return ChangedFile(item.status[:1], item.path,
                           old=self._blob(parent, item.path) if parent else None,
                           new=self._blob(commit.id, item.path))

    def _blob(self, commit: str, path: str) -> bytes | None:
        entry = self.reader.lookup(self.reader.commit_tree(commit), path)
        if entry is None or entry[0] == TREE_MODE or self.reader.object_size(entry[1]) > MAX_FILE_BYTES:
            return None
        return self.reader.blob(entry[1])
