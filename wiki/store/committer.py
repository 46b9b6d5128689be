"""Writing the repository: trees from ``{path: bytes | None}``, commit and tag objects, and the
compare-and-swap of any ref (``main``, branches, notes, tags) with one lock and retry loop.

Every write in the wiki ends here: objects are written to the object database in-process, then
the ref moves with ``git update-ref REF NEW OLD``, which fails when another writer moved it first.
The loser rebuilds on the new tip (:meth:`Committer.commit_to_ref`), so no write is ever lost
across threads, processes or machines. This is the only module that moves a ref.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from gitdb import IStream, LooseObjectDB

from .. import names
from ..errors import N_, InvalidContent, StoreBusy
from .reader import BLOB_MODE, TREE_MODE, Reader, TreeEntries
from .types import GROUP_TRAILER, USER_TRAILER, ZERO_ID, Author, GitCommandError

MAX_CAS_ATTEMPTS = 50
# A lock file older than this was left by a writer that died (git holds one for milliseconds).
STALE_LOCK_SECONDS = 5.0
# How git reports a lock it could not take (moving main also locks HEAD, for HEAD's reflog).
_LOCKED_FILE = re.compile(r"Unable to create '([^']+\.lock)': File exists")


@dataclass(frozen=True)
class Plan:
    """What to commit on a tip: file path -> new bytes (``None`` deletes), and the message.

    ``trailers`` are added after the attribution trailers (``Proposal: 3``); a merge names its
    second parent in ``merge_parent`` and may bring its whole ``tree`` (then ``changes`` is unused).
    """

    changes: dict[str, bytes | None]
    message: str
    trailers: tuple[tuple[str, str], ...] = ()
    merge_parent: str | None = None
    tree: str | None = None


@dataclass
class _Tree:
    """A tree being rebuilt: its entries by name, ``(mode, hex id)``, and changed subtrees."""

    entries: TreeEntries = field(default_factory=dict)
    children: dict[str, _Tree] = field(default_factory=dict)


class PathConflict(InvalidContent):
    """A change would turn a file into a folder or a folder into a file (and lose what was there)."""


def one_line(value: str) -> str:
    """``value`` on one line, without control characters (a NUL fails `git fsck --strict`) or
    bidirectional overrides (they make `git log` display something else than what is stored)."""
    text = " ".join(str(value).split())
    return "".join(char for char in text if char not in names.BIDI_CONTROLS
                   and unicodedata.category(char) != "Cc")


def ident(name: str, email: str) -> str:
    """A git identity ``Name <email>`` that cannot break the object's header."""
    clean_name = one_line(name).replace("<", "").replace(">", "") or "Unknown"
    clean_email = one_line(email).replace("<", "").replace(">", "").replace(" ", "")
    return f"{clean_name} <{clean_email}>"


def trailers(author: Author, extra: tuple[tuple[str, str], ...] = ()) -> str:
    """The attribution trailers every wiki-made commit, tag and note commit carries, then ``extra``."""
    lines = [(GROUP_TRAILER, author.group), (USER_TRAILER, author.username), *extra]
    return "".join(f"{key}: {one_line(value)}\n" for key, value in lines)


class Committer:
    """Builds objects and moves refs of the repository that ``reader`` reads."""

    def __init__(self, reader: Reader, *, name: str, email: str,
                 stale_lock_seconds: float = STALE_LOCK_SECONDS,
                 on_commit: Callable[[], None] | None = None) -> None:
        self.reader = reader
        self.identity = (name, email)
        self.stale_lock_seconds = stale_lock_seconds
        self.on_commit = on_commit or (lambda: None)
        # Called with the ref's name after every ref this committer moves (webhooks watch them).
        self.ref_listeners: list[Callable[[str], None]] = []

    # ------------------------------------------------------------------ objects

    def store_object(self, kind: str, data: bytes) -> str:
        """Write a loose object in-process (GitPython's odb.store runs ``git hash-object`` each time)."""
        istream = LooseObjectDB(str(self.reader.path / "objects")).store(
            IStream(kind.encode(), len(data), BytesIO(data)))
        return istream.hexsha.decode() if isinstance(istream.hexsha, bytes) else istream.hexsha

    def build_tree(self, base_tree: str | None, changes: dict[str, bytes | None]) -> str:
        """The tree ``base_tree`` with ``changes`` applied (path -> bytes, ``None`` deletes).

        Raises :class:`PathConflict` rather than turning a file into a folder or the reverse: the
        file (a page) or everything in the folder would silently disappear from the new tree.
        """
        root = _Tree(entries=dict(self.reader.tree_entries(base_tree)) if base_tree else {})
        for path, data in changes.items():
            blob = None if data is None else self.store_object("blob", data)
            self._apply(root, path.split("/"), blob, path)
        return self._write_tree(root) or self.store_object("tree", b"")

    def _apply(self, tree: _Tree, parts: list[str], blob_id: str | None, path: str) -> None:
        name = parts[0]
        existing = tree.entries.get(name)
        if len(parts) == 1:
            if blob_id is None:
                tree.entries.pop(name, None)
                return
            if name in tree.children or (existing is not None and existing[0] == TREE_MODE):
                raise PathConflict(N_("%(path)s is a folder in the repository; it cannot become a file."),
                                   path=repr(path))
            tree.entries[name] = (BLOB_MODE, blob_id)
            return
        child = tree.children.get(name)
        if child is None:
            if existing is not None and existing[0] != TREE_MODE:
                if blob_id is None:
                    return  # deleting below a file: nothing there
                folder = path[: -len("/".join(parts[1:])) - 1]
                raise PathConflict(N_("%(folder)s is a file in the repository; it cannot become a folder."),
                                   folder=repr(folder))
            entries = dict(self.reader.tree_entries(existing[1])) if existing else {}
            child = tree.children[name] = _Tree(entries=entries)
        self._apply(child, parts[1:], blob_id, path)

    def _write_tree(self, tree: _Tree) -> str | None:
        """Store ``tree`` and its changed subtrees; ``None`` when it ends up empty (git drops it)."""
        for name, child in tree.children.items():
            child_id = self._write_tree(child)
            if child_id is None:
                tree.entries.pop(name, None)
            else:
                tree.entries[name] = (TREE_MODE, child_id)
        tree.children = {}
        if not tree.entries:
            return None
        ordered = sorted(tree.entries.items(),
                         key=lambda item: item[0].encode() + (b"/" if item[1][0] == TREE_MODE else b""))
        # As git's tree format (and GitPython's slower tree_to_stream): "<octal mode> <name>\0<sha>".
        data = b"".join(b"%o %s\0" % (mode, name.encode()) + bytes.fromhex(oid) for name, (mode, oid) in ordered)
        return self.store_object("tree", data)

    def write_commit(self, tree_id: str, parents: list[str], author: Author, message: str,
                     extra_trailers: tuple[tuple[str, str], ...] = ()) -> str:
        """A commit object by ``author`` (committed by the wiki) with the attribution trailers."""
        stamp = f"{int(time.time())} +0000"
        lines = [f"tree {tree_id}", *(f"parent {parent}" for parent in parents),
                 f"author {ident(author.name, author.email)} {stamp}",
                 f"committer {ident(*self.identity)} {stamp}"]
        body = f"{one_line(message) or 'Edit'}\n\n{trailers(author, extra_trailers)}"
        return self.store_object("commit", ("\n".join(lines) + "\n\n" + body).encode("utf-8"))

    def write_tag(self, name: str, commit: str, title: str, author: Author) -> str:
        """An annotated tag object on ``commit``, checked by ``git mktag``."""
        body = (f"object {commit}\ntype commit\ntag {name}\n"
                f"tagger {ident(author.name, author.email)} {int(time.time())} +0000\n\n"
                f"{one_line(title) or name}\n\n{trailers(author)}")
        return self.reader.run("mktag", input=body.encode("utf-8")).stdout.decode().strip()

    # ------------------------------------------------------------------ refs

    def set_ref(self, ref: str, new: str, old: str | None, *, reason: str) -> bool:
        """Compare-and-swap: move ``ref`` from ``old`` (``None``: must not exist) to ``new``.

        Returns ``False`` when another writer moved it first (or holds its lock); a lock left by a
        writer that died is removed once stale, so the caller's next try can succeed.
        """
        result = self.reader.run("update-ref", "-m", reason, ref, new, old or ZERO_ID, check=False)
        if result.returncode == 0:
            if ref.startswith("refs/heads/") or ref.startswith("refs/notes/"):
                self.on_commit()
            for listener in self.ref_listeners:
                listener(ref)
            return True
        stderr = result.stderr.decode("utf-8", "replace")
        if "cannot lock ref" in stderr or "but expected" in stderr or "already exists" in stderr:
            locked = _LOCKED_FILE.search(stderr)  # another writer holds a lock, or one died holding it
            if locked and Path(locked.group(1)).resolve().parent.is_relative_to(self.reader.path.resolve()):
                self.wait_for_lock(Path(locked.group(1)))
            return False
        raise GitCommandError(["git", "update-ref", ref], result.returncode, stderr)

    def commit_to_ref(self, ref: str, prepare: Callable[[str | None], Plan | None], *, author: Author,
                      busy: str = N_("The wiki is being changed very often right now; please try again."),
                      ) -> str | None:
        """The one retry loop: commit ``prepare(tip)`` on ``ref``'s tip and move ``ref`` by CAS.

        ``prepare`` checks the change against the tip and says what to commit there (``None``:
        nothing to do); when another writer moved the ref first, it runs again on the new tip.
        Returns the new commit (or ``None``); raises :class:`StoreBusy` after MAX_CAS_ATTEMPTS.
        """
        for _ in range(MAX_CAS_ATTEMPTS):
            tip = self.reader.read_ref(ref)
            plan = prepare(tip)
            if plan is None:
                return None
            tree = plan.tree or self.build_tree(self.reader.commit_tree(tip) if tip else None, plan.changes)
            parents = ([tip] if tip else []) + ([plan.merge_parent] if plan.merge_parent else [])
            commit = self.write_commit(tree, parents, author, plan.message, plan.trailers)
            if self.set_ref(ref, commit, tip, reason=f"wiki: {one_line(author.username)}"):
                return commit
        raise StoreBusy(busy)

    # ------------------------------------------------------------------ locks

    def wait_for_lock(self, lock: Path) -> None:
        """Wait, bounded, for ``lock`` to go away; remove it once it is older than ``stale_lock_seconds``.

        git holds ``refs/heads/main.lock`` for a few milliseconds while it moves the branch. A writer
        killed in that window (SIGKILL, OOM, power cut of a container) leaves the file behind, and
        git never removes it: every later save would fail. A lock that old has no live owner, so
        removing it is safe; a younger one is waited for, since its owner may still finish.
        """
        deadline = time.monotonic() + self.stale_lock_seconds + 1
        while time.monotonic() < deadline:
            if remove_if_stale(lock, self.stale_lock_seconds) or not lock.exists():
                return
            time.sleep(0.05)


def remove_if_stale(lock: Path, stale_seconds: float) -> bool:
    """Remove ``lock`` if it is older than ``stale_seconds``; whether it was removed."""
    try:
        before = lock.stat()
    except FileNotFoundError:
        return False
    if time.time() - before.st_mtime <= stale_seconds:
        return False
    try:
        if lock.stat().st_ino == before.st_ino:  # still the same old file, not a new writer's lock
            lock.unlink()
            return True
    except FileNotFoundError:
        pass
    return False
