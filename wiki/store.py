"""The content repository: the only module that talks to Git.

Pages are blobs in a **bare** repository. A write builds blobs, trees and a commit object
directly in the object database (no working tree, no index) and lands only by compare-and-swap
of the branch ref (``git update-ref refs/heads/main NEW OLD``). When the swap loses, the write is
rebuilt on the new tip, merging three-way when the same page changed, so no edit is ever lost
across threads, processes or machines.

Every read is keyed by an object id (commit, tree or blob), which never changes meaning, so the
caches here are never stale and commits made by others (a push, a script) show on the next read.
No Flask import: the author and group are passed in by the caller.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path
from typing import TypeVar

import git
from git.objects.fun import tree_entries_from_data
from gitdb import IStream, LooseObjectDB
from gitdb.exc import BadObject

from . import attachments, names
from .attachments import AttachmentExists
from .errors import (
    ContentTooLarge,
    EditConflict,
    InvalidContent,
    InvalidRevision,
    PageExists,
    PageNotFound,
    StoreBusy,
)

ZERO_ID = "0" * 40
_HEX40 = re.compile(r"\A[0-9a-f]{40}\Z")
TREE_MODE = 0o040000
BLOB_MODE = 0o100644
MAX_CAS_ATTEMPTS = 50
MAX_RENAMES_FOLLOWED = 100
MAX_INCREMENTAL_WALK = 200  # commits walked back to extend a cached history instead of asking git
# A lock file older than this was left by a writer that died (git holds one for milliseconds).
STALE_LOCK_SECONDS = 5.0
# gitdb writes each loose object to ``objects/obj*`` first, then renames it into place.
STALE_TEMP_OBJECT_SECONDS = 3600.0
# How git reports a lock it could not take (moving main also locks HEAD, for HEAD's reflog).
_LOCKED_FILE = re.compile(r"Unable to create '([^']+\.lock)': File exists")
GROUP_TRAILER = "Stakeholder-Group"
USER_TRAILER = "Wiki-User"
# Pushed commits without a Stakeholder-Group trailer get the pusher's group in a note here
# (written by ``wiki.hooks`` after a push); history reads it when the trailer is missing.
NOTES_REF = "refs/notes/stakeholder-groups"
HOOK_NAMES = ("pre-receive", "post-receive")
# Pushes served by the wiki set WIKI_HOOK_PYTHON; a local push by someone with access to the
# repository's directory (who could move refs by hand anyway) is not checked.
HOOK_SCRIPT = """#!/bin/sh
# Installed and kept current by Living Wiki (wiki/store.py). Pushes through the wiki's
# /content.git are checked (pre-receive) and attributed (post-receive) by the wiki.hooks module.
[ -n "$WIKI_HOOK_PYTHON" ] || exit 0
exec "$WIKI_HOOK_PYTHON" -m wiki.hooks {name}
"""

_K = TypeVar("_K")
_V = TypeVar("_V")


# --------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class Author:
    """Who makes a commit, and on behalf of which stakeholder group."""

    name: str
    email: str
    username: str
    group: str


@dataclass(frozen=True)
class CommitInfo:
    """One commit as history, changes and diffs show it."""

    id: str
    author_name: str
    author_email: str
    timestamp: int
    subject: str
    group: str
    username: str
    parents: tuple[str, ...] = ()
    path: str = ""  # the file this commit touched, for page history across renames

    @property
    def short_id(self) -> str:
        return self.id[:10]


@dataclass(frozen=True)
class PageRevision:
    """A page's text as of one commit."""

    page: str
    text: str
    blob_id: str
    commit: str


@dataclass(frozen=True)
class Attachment:
    """A file attached to a page: its name, blob id and size in bytes."""

    name: str
    blob_id: str
    size: int


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the new commit (``None`` when nothing changed) and whether it merged."""

    commit: str | None
    merged: bool = False


@dataclass
class _Tree:
    """A tree being rebuilt: its entries by name, ``(mode, hex id)``, and changed subtrees."""

    entries: dict[str, tuple[int, str]] = field(default_factory=dict)
    children: dict[str, _Tree] = field(default_factory=dict)


class _LRU(OrderedDict[_K, _V]):
    """A small thread-safe least-recently-used cache for immutable values keyed by object id."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity
        self.lock = threading.Lock()

    def get_or_compute(self, key: _K, compute: Callable[[], _V],
                       keep: Callable[[_V], bool] | None = None) -> _V:
        """The cached value for ``key``, computing it if missing; values failing ``keep`` are not kept."""
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        value = compute()
        if keep is not None and not keep(value):
            return value
        with self.lock:
            self[key] = value
            while len(self) > self.capacity:
                self.popitem(last=False)
        return value


class LRUCache(_LRU[_K, _V]):
    """The same cache for callers outside the store (views), with plain lookups and stores."""

    def lookup(self, key: _K) -> _V | None:
        """The cached value (now the most recently used), or ``None``."""
        with self.lock:
            if key not in self:
                return None
            self.move_to_end(key)
            return self[key]

    def put(self, key: _K, value: _V) -> None:
        self.get_or_compute(key, lambda: value)


# --------------------------------------------------------------------------- the store


class Store:
    """A bare content repository with one branch that the wiki commits to."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        branch: str = "main",
        committer_name: str = "Living Wiki",
        committer_email: str = "wiki@living-wiki.invalid",
        max_page_bytes: int = 1_000_000,
        stale_lock_seconds: float = STALE_LOCK_SECONDS,
    ) -> None:
        self.path = Path(path)
        self._git_dir = str(self.path)
        self._packed_refs_cache: tuple[tuple[int, int, int], dict[str, str]] | None = None
        self.branch = branch
        self.ref = f"refs/heads/{branch}"
        self.committer = (committer_name, committer_email)
        self.max_page_bytes = max_page_bytes
        self.stale_lock_seconds = stale_lock_seconds
        self._local = threading.local()
        self._trees: _LRU[str, dict[str, tuple[int, str]]] = _LRU(4096)
        self._blobs: _LRU[str, bytes] = _LRU(2048)
        self._commits: _LRU[str, CommitInfo] = _LRU(8192)
        self._page_lists: _LRU[str, tuple[str, ...]] = _LRU(16)
        self._last_changes: _LRU[tuple[str, str], CommitInfo | None] = _LRU(4096)
        self._histories: _LRU[tuple[str, str], tuple[CommitInfo, ...]] = _LRU(256)
        self._headers: _LRU[str, tuple[str, tuple[str, ...]]] = _LRU(16384)
        # Per page, the newest start commit whose answer is cached: a hint, always checked by
        # walking parents from the new start, so it can never make an answer stale.
        self._last_change_hints: _LRU[str, tuple[str, CommitInfo | None]] = _LRU(4096)
        self._history_hints: _LRU[str, tuple[str, tuple[CommitInfo, ...]]] = _LRU(256)
        self._graph_wanted = threading.Event()
        self._graph_thread: threading.Thread | None = None
        self._graph_pid = 0

    # ------------------------------------------------------------------ setup

    def exists(self) -> bool:
        return (self.path / "HEAD").is_file() and (self.path / "objects").is_dir()

    def create(self) -> None:
        """Create the bare repository if missing (idempotent) with the settings the wiki relies on."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.exists():
            self._run("init", "--bare", "--quiet", f"--initial-branch={self.branch}", str(self.path),
                      cwd=self.path.parent, in_repo=False)
        for key, value in (
            ("core.logAllRefUpdates", "always"),  # a reflog even in a bare repo: who moved main
            ("receive.denyNonFastForwards", "true"),
            ("receive.denyDeletes", "true"),
            ("core.commitGraph", "true"),
            ("fetch.writeCommitGraph", "true"),
            ("gc.writeCommitGraph", "true"),
        ):
            self._run("config", key, value)
        self.install_hooks()

    def install_hooks(self) -> None:
        """Write the push hooks (idempotent): they run ``python -m wiki.hooks`` for pushes to /content.git."""
        hooks = self.path / "hooks"
        hooks.mkdir(exist_ok=True)
        for name in HOOK_NAMES:
            hook = hooks / name
            script = HOOK_SCRIPT.format(name=name)
            if not hook.is_file() or hook.read_text(encoding="utf-8", errors="replace") != script:
                temporary = hooks / f".{name}.{os.getpid()}.tmp"
                temporary.write_text(script, encoding="utf-8")
                temporary.chmod(0o755)
                temporary.replace(hook)

    def import_pages(self, directory: str | os.PathLike[str], *, author: Author, message: str) -> str | None:
        """Commit every valid ``*.md`` page under ``directory`` if the branch has no commit yet.

        Returns the new commit, or ``None`` when the branch already existed (another process won).
        """
        if self.head() is not None:
            return None
        changes: dict[str, bytes | None] = {}
        root = Path(directory)
        for file in sorted(root.rglob("*.md")):
            relative = file.relative_to(root).as_posix()
            if names.page_from_file(relative) is None:
                raise InvalidContent(f"{relative} is not a valid page file name.")
            changes[relative] = self._check_text(file.read_text(encoding="utf-8")).encode("utf-8")
        try:
            commit = self._commit_changes(changes, author=author, message=message, parent=None)
        except _RefMoved:
            return None
        self.write_commit_graph()
        return commit

    def close(self) -> None:
        """Stop this thread's git helper processes."""
        repo = getattr(self._local, "repo", None)
        if repo is not None:
            repo.close()
            self._local.repo = None

    # ------------------------------------------------------------------ low level

    @property
    def _repo(self) -> git.Repo:
        """One ``git.Repo`` per thread: its long-lived ``cat-file --batch`` is not thread-safe."""
        repo = getattr(self._local, "repo", None)
        if repo is None:
            repo = git.Repo(self.path)
            self._local.repo = repo
        return repo

    def _run(self, *args: str, input: bytes | None = None, cwd: Path | None = None,
             in_repo: bool = True, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        command = ["git"]
        if in_repo:
            command.append(f"--git-dir={self.path}")
        command.extend(args)
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
            env.pop(variable, None)
        result = subprocess.run(command, input=input, capture_output=True, cwd=cwd, env=env)
        if check and result.returncode != 0:
            raise GitCommandError(command, result.returncode, result.stderr.decode("utf-8", "replace"))
        return result

    def _read_object(self, hex_id: str) -> tuple[str, bytes]:
        try:
            stream = self._repo.odb.stream(bytes.fromhex(hex_id))
        except (ValueError, BadObject) as error:
            raise InvalidRevision("No such revision.") from error
        kind = stream.type.decode() if isinstance(stream.type, bytes) else stream.type
        return kind, stream.read()

    def _store_object(self, kind: str, data: bytes) -> str:
        """Write a loose object in-process (GitPython's odb.store runs ``git hash-object`` each time)."""
        istream = LooseObjectDB(str(self.path / "objects")).store(IStream(kind.encode(), len(data), BytesIO(data)))
        return istream.hexsha.decode() if isinstance(istream.hexsha, bytes) else istream.hexsha

    def _tree_entries(self, tree_id: str) -> dict[str, tuple[int, str]]:
        def load() -> dict[str, tuple[int, str]]:
            kind, data = self._read_object(tree_id)
            if kind != "tree":
                raise InvalidRevision("No such revision.")
            return {name: (mode, binsha.hex()) for binsha, mode, name in tree_entries_from_data(data)}

        return self._trees.get_or_compute(tree_id, load)

    def _blob(self, blob_id: str) -> bytes:
        return self._blobs.get_or_compute(blob_id, lambda: self._read_object(blob_id)[1])

    def _commit_tree(self, commit_id: str) -> str:
        return self._commit_header(commit_id)[0]

    def _commit_header(self, commit_id: str) -> tuple[str, tuple[str, ...]]:
        """A commit's tree and parents, read in-process and cached by commit id."""

        def load() -> tuple[str, tuple[str, ...]]:
            kind, data = self._read_object(commit_id)
            if kind != "commit" or not data.startswith(b"tree "):
                raise InvalidRevision("No such revision.")
            parents = []
            for line in data.split(b"\n\n", 1)[0].split(b"\n")[1:]:
                if not line.startswith(b"parent "):
                    break
                parents.append(line[7:47].decode())
            return data[5:45].decode(), tuple(parents)

        return self._headers.get_or_compute(commit_id, load)

    def _lookup(self, tree_id: str, path: str) -> tuple[int, str] | None:
        """The ``(mode, id)`` of ``path`` inside ``tree_id``, or ``None``."""
        parts = path.split("/")
        current = tree_id
        for index, part in enumerate(parts):
            entry = self._tree_entries(current).get(part)
            if entry is None:
                return None
            if index == len(parts) - 1:
                return entry
            if entry[0] != TREE_MODE:
                return None
            current = entry[1]
        return None

    # ------------------------------------------------------------------ refs and revisions

    def head(self) -> str | None:
        """The branch tip, read from the ref files directly (no process), or ``None`` if unborn."""
        return self._read_ref(self.ref)

    def read_ref(self, ref: str) -> str | None:
        """The commit a ref (``refs/notes/...``) points to, or ``None``; read from files, no process."""
        return self._read_ref(ref)

    def resolve(self, rev: str | None) -> str:
        """The full commit id for ``rev`` (``None`` means the tip); raise InvalidRevision otherwise."""
        if rev is None:
            head = self.head()
            if head is None:
                raise PageNotFound("The content repository has no commits yet.")
            return head
        if names.is_version_name(rev):  # a named version (annotated tag), never a git expression
            return self.version_commit(rev)
        rev = names.check_revision(rev)
        if len(rev) == 40:
            commit = rev
        else:
            result = self._run("rev-parse", "--verify", "--quiet", "--end-of-options",
                               f"{rev}^{{commit}}", check=False)
            if result.returncode != 0:
                raise InvalidRevision("No such revision.")
            commit = result.stdout.decode().strip()
        self._commit_tree(commit)
        return commit

    # ------------------------------------------------------------------ reading pages

    def read_page(self, page: str, rev: str | None = None) -> PageRevision:
        """The page as of ``rev`` (default: the tip); raise PageNotFound when it is not there."""
        commit = self.resolve(rev)
        entry = self._lookup(self._commit_tree(commit), names.page_file(page))
        if entry is None or entry[0] == TREE_MODE:
            raise PageNotFound(f"There is no page {page!r}" + (" in that revision." if rev else "."))
        data = self._blob(entry[1])
        return PageRevision(page=page, text=data.decode("utf-8", "replace"), blob_id=entry[1], commit=commit)

    def read_page_as_of(self, page: str, rev: str | None) -> PageRevision:
        """Like :meth:`read_page`, but finds the page under the name it had at ``rev``.

        A page renamed since ``rev`` is looked up through its history, so old versions and diffs
        keep working after a rename.
        """
        try:
            return self.read_page(page, rev)
        except PageNotFound:
            commit = self.resolve(rev)
        tried = {page}
        for change in self.page_history(page):
            old_page = names.page_from_file(change.path)
            if old_page is not None and old_page not in tried:
                tried.add(old_page)
                if self.page_exists(old_page, commit):
                    return self.read_page(old_page, commit)
        raise PageNotFound(f"The page {page!r} did not exist in that revision.")

    def page_blob_id(self, page: str, rev: str | None = None) -> str | None:
        try:
            commit = self.resolve(rev)
        except PageNotFound:
            return None
        entry = self._lookup(self._commit_tree(commit), names.page_file(page))
        return entry[1] if entry and entry[0] != TREE_MODE else None

    def page_exists(self, page: str, rev: str | None = None) -> bool:
        return self.page_blob_id(page, rev) is not None

    def list_pages(self, rev: str | None = None) -> tuple[str, ...]:
        """Every page at ``rev``, sorted; cached by the root tree id."""
        try:
            commit = self.resolve(rev)
        except PageNotFound:
            return ()
        tree_id = self._commit_tree(commit)

        def walk() -> tuple[str, ...]:
            found: list[str] = []
            stack = [(tree_id, "")]
            while stack:
                current, prefix = stack.pop()
                for name, (mode, object_id) in self._tree_entries(current).items():
                    if mode == TREE_MODE:
                        stack.append((object_id, f"{prefix}{name}/"))
                    else:
                        page = names.page_from_file(prefix + name)
                        if page is not None:
                            found.append(page)
            return tuple(sorted(found, key=lambda p: (p.casefold(), p)))

        return self._page_lists.get_or_compute(tree_id, walk)

    def missing_pages(self, pages: Iterable[str], rev: str | None = None) -> set[str]:
        """Those of ``pages`` that do not exist at ``rev``: a few tree lookups, not a page listing."""
        commit = self.resolve(rev)
        tree = self._commit_tree(commit)
        return {page for page in pages
                if (entry := self._lookup(tree, names.page_file(page))) is None or entry[0] == TREE_MODE}

    def find_case_twin(self, page: str, rev: str | None = None) -> str | None:
        """An existing page whose name equals ``page`` but for case, or ``None``."""
        folded = page.casefold()
        for other in self.list_pages(rev):
            if other != page and other.casefold() == folded:
                return other
        return None

    # ------------------------------------------------------------------ history

    def commit_info(self, commit_id: str) -> CommitInfo:
        return self._commits.get_or_compute(commit_id, lambda: self._log(["--no-walk", commit_id])[0],
                                            keep=_attributed)

    def _log(self, args: list[str], path: str = "") -> list[CommitInfo]:
        """Commits as ``git log args`` lists them; the group is the trailer, else the push note's."""
        fields = "%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%s%x1f" \
                 f"%(trailers:key={GROUP_TRAILER},valueonly,separator=%x2C)%x1f" \
                 f"%(trailers:key={USER_TRAILER},valueonly,separator=%x2C)%x1f%N%x1e"
        output = self._run("log", f"--notes={NOTES_REF}", f"--format={fields}", *args).stdout.decode(
            "utf-8", "replace")
        commits = []
        for record in output.split("\x1e"):
            record = record.strip("\n")
            if not record:
                continue
            commit_id, parents, name, email, stamp, subject, group, user, note = record.split("\x1f")
            commits.append(CommitInfo(
                id=commit_id, parents=tuple(parents.split()), author_name=name, author_email=email,
                timestamp=int(stamp), subject=subject, group=group.strip() or _note_value(note, GROUP_TRAILER),
                username=user.strip(), path=path,
            ))
        return commits

    def pushed_group(self, commit_id: str) -> str:
        """The group the push note under ``refs/notes/stakeholder-groups`` gives ``commit_id``, or "".

        Read from the notes tree through the object cache (no process); notes may sit at the root
        or in fan-out folders (``ab/cdef…``), as git writes them.
        """
        notes_commit = self._read_ref(NOTES_REF)
        if notes_commit is None:
            return ""
        tree, rest = self._commit_tree(notes_commit), commit_id
        while rest:
            entries = self._tree_entries(tree)
            if rest in entries:
                return _note_value(self._blob(entries[rest][1]).decode("utf-8", "replace"), GROUP_TRAILER)
            folder = entries.get(rest[:2])
            if folder is None or folder[0] != TREE_MODE:
                return ""
            tree, rest = folder[1], rest[2:]
        return ""

    def _read_ref(self, ref: str) -> str | None:
        """Any ref's value from the ref files (no process), or ``None``.

        Every page view reads a few refs, so this is plain ``open`` on string paths; packed refs
        are parsed once per version of ``packed-refs`` (git rewrites it by rename: a new inode).
        """
        try:
            with open(f"{self._git_dir}/{ref}", "rb") as loose:
                value = loose.read(64).strip()
            if _HEX40.match(value.decode("ascii", "replace")):
                return value.decode("ascii")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            pass
        return self._packed_refs().get(ref)

    def _packed_refs(self) -> dict[str, str]:
        try:
            status = os.stat(f"{self._git_dir}/packed-refs")
        except FileNotFoundError:
            return {}
        key = (status.st_ino, status.st_mtime_ns, status.st_size)
        cached = self._packed_refs_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        refs: dict[str, str] = {}
        with open(f"{self._git_dir}/packed-refs", encoding="utf-8", errors="replace") as packed:
            for line in packed:
                value, _, name = line.rstrip("\n").partition(" ")
                if _HEX40.match(value) and name:
                    refs[name] = value
        self._packed_refs_cache = (key, refs)
        return refs

    def last_change(self, page: str, rev: str | None = None) -> CommitInfo | None:
        """The newest commit that changed ``page`` as of ``rev``; ``git log -1`` stops early."""
        start = self.resolve(rev)
        path = names.page_file(page)

        def load() -> CommitInfo | None:
            hint = self._last_change_hints.get(page)
            changed = self._changed_since(path, start, hint[0]) if hint else None
            if changed is None:
                commits = self._log(["-1", start, "--", path], path=path)
                result = commits[0] if commits else None
            else:
                result = self._infos(changed[:1], path)[0] if changed else hint[1]  # type: ignore[index]
            if start == self.head() and (result is None or _attributed(result)):
                self._last_change_hints[page] = (start, result)
            return result

        return self._last_changes.get_or_compute((start, page), load,
                                                 keep=lambda change: change is None or _attributed(change))

    def page_history(self, page: str, rev: str | None = None) -> tuple[CommitInfo, ...]:
        """The commits that changed ``page``, newest first, following renames back to its creation.

        Cached by (start commit, page): a new commit is a new key, so the cache is never stale.
        """
        start = self.resolve(rev)

        def load() -> tuple[CommitInfo, ...]:
            path = names.page_file(page)
            hint = self._history_hints.get(page)
            changed = self._changed_since(path, start, hint[0]) if hint else None
            if changed is None or any(self._lookup(self._commit_tree(self._commit_header(commit)[1][0]), path)
                                      is None for commit in changed):  # unknown, or (re)created: maybe renamed
                result = tuple(self._follow(page, start))
            else:
                result = tuple(self._infos(changed, path)) + hint[1]  # type: ignore[index]
            if start == self.head() and all(map(_attributed, result)):
                self._history_hints[page] = (start, result)
            return result

        return self._histories.get_or_compute((start, page), load,
                                              keep=lambda commits: all(map(_attributed, commits)))

    def _changed_since(self, path: str, start: str, known: str) -> list[str] | None:
        """The commits from ``start`` back to ``known`` (excluded) that changed ``path``, newest first.

        Walks parents in-process over cached trees, so extending a cached history costs the new
        commits only, not the length of the history. ``None`` when ``known`` is not reached along
        single-parent commits within :data:`MAX_INCREMENTAL_WALK` (then git answers instead).
        """
        changed: list[str] = []
        current = start
        for _ in range(MAX_INCREMENTAL_WALK):
            if current == known:
                return changed
            tree, parents = self._commit_header(current)
            if len(parents) != 1:
                return None
            if self._lookup(tree, path) != self._lookup(self._commit_tree(parents[0]), path):
                changed.append(current)
            current = parents[0]
        return None

    def _infos(self, commit_ids: list[str], path: str) -> list[CommitInfo]:
        """:class:`CommitInfo` for each commit (one ``git log`` for all), marked as touching ``path``."""
        missing = [commit for commit in commit_ids if commit not in self._commits]
        if missing:
            for info in self._log(["--no-walk=unsorted", *missing]):
                self._commits.get_or_compute(info.id, lambda info=info: info, keep=_attributed)  # type: ignore[misc]
        return [replace(self.commit_info(commit), path=path) for commit in commit_ids]

    def _follow(self, page: str, start: str) -> Iterator[CommitInfo]:
        path = names.page_file(page)
        tip = start
        for _ in range(MAX_RENAMES_FOLLOWED):
            commits = self._log([tip, "--", path], path=path)
            yield from commits
            if not commits:
                return
            oldest = commits[-1]
            origin = self._renamed_from(oldest, path)
            if origin is None or not oldest.parents:
                return
            path, tip = origin, oldest.parents[0]

    def _renamed_from(self, commit: CommitInfo, path: str) -> str | None:
        """The path ``path`` was renamed from in ``commit``, if it was created by a rename."""
        args = ["diff-tree", "-r", "-M", "--name-status", "-z", "--no-commit-id"]
        if not commit.parents:
            return None
        result = self._run(*args, commit.parents[0], commit.id).stdout.decode("utf-8", "replace")
        fields = result.split("\0")
        index = 0
        while index < len(fields) and fields[index]:
            status = fields[index]
            if status.startswith(("R", "C")):
                old, new = fields[index + 1], fields[index + 2]
                if new == path and status.startswith("R"):
                    return old
                index += 3
            else:
                index += 2
        return None

    # ------------------------------------------------------------------ writing

    def save_page(self, page: str, text: str, *, base: str | None, author: Author, summary: str) -> SaveResult:
        """Save ``text`` as ``page``, edited from the tip as of commit ``base``.

        When the page changed since ``base``, merge three-way: a clean merge is committed and
        reported (``merged=True``); overlapping changes raise :class:`EditConflict` carrying the
        merged text with conflict markers, and nothing is committed.
        """
        text = self._check_text(text)
        if base is not None:
            base = self.resolve(base)
        path = names.page_file(page)
        for _ in range(MAX_CAS_ATTEMPTS):
            head = self.head()
            current = self.page_blob_id(page, head) if head else None
            base_blob = self.page_blob_id(page, base) if base else None
            merged = False
            if current is not None and current != base_blob:
                base_text = self._blob(base_blob).decode("utf-8", "replace") if base_blob else ""
                their_text = self._blob(current).decode("utf-8", "replace")
                result_text, conflicts = self.merge_texts(base_text, text, their_text)
                if conflicts:
                    raise EditConflict(
                        "Someone else changed this page while you were editing, and their change "
                        "overlaps yours. Nothing was saved: your text is below with the conflicts "
                        "marked.",
                        merged_text=result_text, their_text=their_text, base_text=base_text,
                        head=head or ZERO_ID,
                    )
                text, merged = result_text, True
            elif current is None and head is not None:
                twin = self.find_case_twin(page, head)
                if twin is not None:
                    raise PageExists(f"A page named {twin!r} already exists; names may not differ only by case.")
            data = text.encode("utf-8")
            if current is not None and self._blob(current) == data:
                return SaveResult(commit=None, merged=merged)
            try:
                commit = self._commit_changes({path: data}, author=author,
                                              message=summary or self._default_summary(page, current),
                                              parent=head)
            except _RefMoved:
                continue
            return SaveResult(commit=commit, merged=merged)
        raise StoreBusy("The page is being changed very often right now; please save again.")

    @staticmethod
    def _default_summary(page: str, current: str | None) -> str:
        return f"{'Edit' if current else 'Create'} {page}"

    def rename_page(self, old: str, new: str, *, author: Author, summary: str = "") -> str:
        """Move ``old`` to ``new`` in one commit, so history follows the rename."""
        if old == new:
            raise PageExists("The new name is the same as the old one.")
        for _ in range(MAX_CAS_ATTEMPTS):
            head = self.resolve(None)
            blob = self.page_blob_id(old, head)
            if blob is None:
                raise PageNotFound(f"There is no page {old!r}.")
            if self.page_exists(new, head):
                raise PageExists(f"A page named {new!r} already exists.")
            twin = self.find_case_twin(new, head)
            if twin is not None and twin != old:
                raise PageExists(f"A page named {twin!r} already exists; names may not differ only by case.")
            changes: dict[str, bytes | None] = {names.page_file(old): None, names.page_file(new): self._blob(blob)}
            for path, blob_id in self._attachment_files(old, head).items():  # attachments move along
                changes[path] = None
                changes[names.attachments_folder(new) + path[len(names.attachments_folder(old)):]] = \
                    self._read_object(blob_id)[1]
            try:
                return self._commit_changes(changes, author=author, parent=head,
                                            message=summary or f"Rename {old} to {new}")
            except _RefMoved:
                continue
        raise StoreBusy("The wiki is being changed very often right now; please try again.")

    def delete_page(self, page: str, *, author: Author, summary: str = "") -> str:
        for _ in range(MAX_CAS_ATTEMPTS):
            head = self.resolve(None)
            if not self.page_exists(page, head):
                raise PageNotFound(f"There is no page {page!r}.")
            try:
                changes: dict[str, bytes | None] = {names.page_file(page): None}
                changes.update(dict.fromkeys(self._attachment_files(page, head)))  # and its attachments
                return self._commit_changes(changes, author=author, parent=head,
                                            message=summary or f"Delete {page}")
            except _RefMoved:
                continue
        raise StoreBusy("The wiki is being changed very often right now; please try again.")

    def revert_page(self, page: str, rev: str, *, author: Author, summary: str = "") -> SaveResult:
        """Make a new commit whose text of ``page`` is the one it had at ``rev``."""
        old = self.read_page(page, rev)
        summary = summary or f"Revert {page} to {old.commit[:10]}"
        for _ in range(MAX_CAS_ATTEMPTS):
            head = self.resolve(None)
            current = self.page_blob_id(page, head)
            if current == old.blob_id:
                return SaveResult(commit=None)
            try:
                commit = self._commit_changes({names.page_file(page): self._blob(old.blob_id)},
                                              author=author, parent=head, message=summary)
            except _RefMoved:
                continue
            return SaveResult(commit=commit)
        raise StoreBusy("The wiki is being changed very often right now; please try again.")

    def _check_text(self, text: str) -> str:
        if not isinstance(text, str):
            raise InvalidContent("The page text must be text.")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\0" in text:
            raise InvalidContent("The page text contains a NUL character; binary content cannot be a page.")
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as error:
            raise InvalidContent("The page text is not valid Unicode.") from error
        if size > self.max_page_bytes:
            raise ContentTooLarge(
                f"The page is {size:,} bytes; the limit is {self.max_page_bytes:,} bytes."
            )
        if text and not text.endswith("\n"):
            text += "\n"
        return text

    def merge_texts(self, base: str, ours: str, theirs: str) -> tuple[str, int]:
        """Three-way merge as ``git merge-file`` does; returns the text and the conflict count."""
        with tempfile.TemporaryDirectory(prefix="wiki-merge-") as scratch:
            paths = []
            for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
                file = Path(scratch) / name
                file.write_text(text, encoding="utf-8")
                paths.append(str(file))
            result = self._run("merge-file", "-p", "-L", "your version", "-L", "original",
                               "-L", "their version", *paths, in_repo=False, check=False)
        if result.returncode < 0 or result.returncode > 127:
            raise GitCommandError(["git", "merge-file"], result.returncode, result.stderr.decode())
        return result.stdout.decode("utf-8", "replace"), result.returncode

    def _commit_changes(self, changes: dict[str, bytes | None], *, author: Author, message: str,
                        parent: str | None) -> str:
        """Write blobs, trees and a commit on top of ``parent`` and move the branch by CAS.

        ``changes`` maps file paths to new contents (``None`` deletes). Raises :class:`_RefMoved`
        when the branch is no longer at ``parent``; the caller rebuilds on the new tip.
        """
        root = _Tree(entries=dict(self._tree_entries(self._commit_tree(parent))) if parent else {})
        for path, data in changes.items():
            self._apply(root, path.split("/"), None if data is None else self._store_object("blob", data))
        tree_id = self._write_tree(root)
        if tree_id is None:
            tree_id = self._store_object("tree", b"")
        commit_id = self._store_object("commit", self._commit_bytes(tree_id, parent, author, message))
        result = self._run("update-ref", "-m", f"wiki: {author.username}", self.ref, commit_id,
                           parent or ZERO_ID, check=False)
        if result.returncode != 0:
            stderr = result.stderr.decode("utf-8", "replace")
            if "cannot lock ref" in stderr or "but expected" in stderr or "reference already exists" in stderr:
                locked = _LOCKED_FILE.search(stderr)  # another writer holds a lock, or one died holding it
                if locked and Path(locked.group(1)).resolve().parent.is_relative_to(self.path.resolve()):
                    self.wait_for_lock(Path(locked.group(1)))
                raise _RefMoved(stderr)
            raise GitCommandError(["git", "update-ref"], result.returncode, stderr)
        self._after_commit()
        return commit_id

    def _apply(self, tree: _Tree, parts: list[str], blob_id: str | None) -> None:
        name = parts[0]
        if len(parts) == 1:
            if blob_id is None:
                tree.entries.pop(name, None)
            else:
                tree.children.pop(name, None)
                tree.entries[name] = (BLOB_MODE, blob_id)
            return
        child = tree.children.get(name)
        if child is None:
            existing = tree.entries.get(name)
            entries = dict(self._tree_entries(existing[1])) if existing and existing[0] == TREE_MODE else {}
            child = tree.children[name] = _Tree(entries=entries)
        self._apply(child, parts[1:], blob_id)

    def _write_tree(self, tree: _Tree) -> str | None:
        """Store ``tree`` and its changed subtrees; ``None`` when it ends up empty (git drops it)."""
        for name, child in tree.children.items():
            child_id = self._write_tree(child)
            if child_id is None:
                tree.entries.pop(name, None)
            else:
                tree.entries[name] = (TREE_MODE, child_id)
        if not tree.entries:
            return None
        ordered = sorted(tree.entries.items(),
                         key=lambda item: item[0].encode() + (b"/" if item[1][0] == TREE_MODE else b""))
        # As git's tree format (and GitPython's slower tree_to_stream): "<octal mode> <name>\0<sha>".
        data = b"".join(b"%o %s\0" % (mode, name.encode()) + bytes.fromhex(oid) for name, (mode, oid) in ordered)
        return self._store_object("tree", data)

    def _commit_bytes(self, tree_id: str, parent: str | None, author: Author, message: str) -> bytes:
        stamp = f"{int(time.time())} +0000"
        subject = _one_line(message) or "Edit"
        lines = [f"tree {tree_id}"]
        if parent:
            lines.append(f"parent {parent}")
        lines.append(f"author {_ident(author.name, author.email)} {stamp}")
        lines.append(f"committer {_ident(*self.committer)} {stamp}")
        trailers = f"{GROUP_TRAILER}: {_one_line(author.group)}\n{USER_TRAILER}: {_one_line(author.username)}\n"
        body = f"{subject}\n\n{trailers}"
        return ("\n".join(lines) + "\n\n" + body).encode("utf-8")

    # ------------------------------------------------------------------ maintenance

    def _after_commit(self) -> None:
        """Keep the commit-graph (with changed-path filters) current, off the request's path.

        One daemon thread per process rewrites the graph's top layer whenever commits landed;
        per-page history stays fast as the repository grows.
        """
        self._graph_wanted.set()
        if self._graph_thread is None or not self._graph_thread.is_alive() or self._graph_pid != os.getpid():
            self._graph_pid = os.getpid()
            self._graph_thread = threading.Thread(target=self._graph_loop, name="commit-graph", daemon=True)
            self._graph_thread.start()

    def _graph_loop(self) -> None:
        while self._graph_wanted.wait(timeout=60):
            self._graph_wanted.clear()
            self.write_commit_graph()

    def write_commit_graph(self) -> None:
        """Add new commits to the commit-graph as a split layer (~20 ms); failures are harmless."""
        for lock in self._graph_locks():
            self._remove_if_stale(lock)
        self._run("commit-graph", "write", "--reachable", "--changed-paths", "--split", "--no-progress",
                  check=False)

    def fsck(self) -> tuple[bool, str]:
        result = self._run("fsck", "--strict", "--no-progress", check=False)
        return result.returncode == 0, (result.stdout + result.stderr).decode("utf-8", "replace")

    # ------------------------------------------------------------------ named versions

    def version_commit(self, name: str) -> str:
        """The commit the named version ``name`` (tag ``refs/tags/<name>``) marks.

        Raises :class:`InvalidRevision` when the name fails the allowlist or names no version.
        """
        if not names.is_version_name(name):
            raise InvalidRevision("No such revision.")
        result = self._run("rev-parse", "--verify", "--quiet", f"refs/tags/{name}^{{commit}}", check=False)
        if result.returncode != 0:
            raise InvalidRevision(f"There is no version named {name!r}.")
        return result.stdout.decode().strip()

    # ------------------------------------------------------------------ changes between commits

    def commit_exists(self, rev: str) -> bool:
        """Whether ``rev`` is a full commit id present in this repository."""
        try:
            self._commit_tree(names.check_revision(rev))
        except InvalidRevision:
            return False
        return True

    def changed_files(self, old: str | None, new: str) -> list[tuple[str, str]]:
        """``(status, path)`` of every file that differs from commit ``old`` to ``new``.

        Status is ``A`` (added), ``M`` (modified) or ``D`` (deleted); a rename is a delete and an
        add. ``old=None`` lists every file of ``new`` as added. One ``git diff-tree`` compares the
        two trees, so the cost follows the size of the change, not of the history.
        """
        new = names.check_revision(new)
        if old is None:
            output = self._run("ls-tree", "-r", "-z", "--name-only", new, "--").stdout
            return [("A", path) for path in output.decode("utf-8", "surrogateescape").split("\0") if path]
        old = names.check_revision(old)
        output = self._run("diff-tree", "-r", "--no-renames", "--name-status", "-z", old, new, "--").stdout
        fields = output.decode("utf-8", "surrogateescape").split("\0")
        changed = []
        for status, path in zip(fields[0::2], fields[1::2], strict=False):
            if status and path:
                changed.append((status[0] if status[0] in "AD" else "M", path))
        return changed

    def commits_with_files(self, old: str | None, new: str) -> Iterator[tuple[CommitInfo, list[str]]]:
        """Commits reachable from ``new`` but not from ``old``, newest first, each with its changed files.

        Merges are compared with their first parent. Callers may stop early: output is parsed lazily.
        """
        new = names.check_revision(new)
        args = [new] if old is None else [new, f"^{names.check_revision(old)}"]
        fields = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%s%x1f" \
                 f"%(trailers:key={GROUP_TRAILER},valueonly,separator=%x2C)%x1f" \
                 f"%(trailers:key={USER_TRAILER},valueonly,separator=%x2C)"
        output = self._run("log", f"--format={fields}", "-z", "--name-only", "--no-renames",
                           "--diff-merges=first-parent", *args, "--").stdout.decode("utf-8", "surrogateescape")
        for record in output.split("\x1e"):
            if not record:
                continue
            header, *paths = record.split("\0")
            commit_id, parents, name, email, stamp, subject, group, user = header.split("\x1f")
            info = CommitInfo(id=commit_id, parents=tuple(parents.split()), author_name=name, author_email=email,
                              timestamp=int(stamp), subject=subject, group=group.strip(), username=user.strip())
            yield info, [path.lstrip("\n") for path in paths if path.strip("\n")]

    # ------------------------------------------------------------------ attachments

    def list_attachments(self, page: str, rev: str | None = None) -> tuple[Attachment, ...]:
        """The files attached to ``page`` at ``rev``, sorted by name (sizes without reading the files)."""
        try:
            commit = self.resolve(rev)
        except PageNotFound:
            return ()
        entry = self._lookup(self._commit_tree(commit), names.attachments_folder(page))
        if entry is None or entry[0] != TREE_MODE:
            return ()
        found = []
        for name, (mode, blob_id) in self._tree_entries(entry[1]).items():
            if mode != TREE_MODE:
                size = self._repo.odb.info(bytes.fromhex(blob_id)).size
                found.append(Attachment(name=name, blob_id=blob_id, size=size))
        return tuple(sorted(found, key=lambda item: (item.name.casefold(), item.name)))

    def read_attachment(self, page: str, name: str, rev: str | None = None) -> tuple[Attachment, bytes, str]:
        """``(attachment, its bytes, commit)`` at ``rev``; raise PageNotFound when it is not there.

        Read past the blob cache: attachments can be megabytes and are not worth keeping in memory.
        """
        commit = self.resolve(rev)
        entry = self._lookup(self._commit_tree(commit), self._attachment_path(page, name))
        if entry is None or entry[0] == TREE_MODE:
            raise PageNotFound(f"{page!r} has no attachment {name!r}" + (" in that revision." if rev else "."))
        kind, data = self._read_object(entry[1])
        return Attachment(name=name, blob_id=entry[1], size=len(data)), data, commit

    def attachment_history(self, page: str, name: str, rev: str | None = None) -> tuple[CommitInfo, ...]:
        """The commits that added, replaced or deleted the attachment, newest first."""
        path = self._attachment_path(page, name)
        return tuple(self._log([self.resolve(rev), "--", path], path=path))

    def save_attachment(self, page: str, name: str, data: bytes, *, author: Author, summary: str = "",
                        replace: bool = False) -> str | None:
        """Attach ``data`` to ``page`` as ``name`` in one commit; ``None`` when the file is unchanged.

        A new name must not exist yet, even in another case (clones on Windows and macOS would
        collide); ``replace=True`` requires it to exist.
        """
        path = self._attachment_path(page, name)
        blob_id = _blob_id(data)
        for _ in range(MAX_CAS_ATTEMPTS):
            head = self.resolve(None)
            if not self.page_exists(page, head):
                raise PageNotFound(f"There is no page {page!r} to attach files to.")
            existing = {item.name: item for item in self.list_attachments(page, head)}
            if replace:
                if name not in existing:
                    raise PageNotFound(f"{page!r} has no attachment {name!r} to replace.")
                if existing[name].blob_id == blob_id:
                    return None
            else:
                twin = next((other for other in existing if other.casefold() == name.casefold()), None)
                if twin is not None:
                    raise AttachmentExists(f"{page!r} already has an attachment named {twin!r}. "
                                           "Replace it from the attachment list, or choose another name.")
            verb = "Replace" if replace else "Attach"
            try:
                return self._commit_changes({path: data}, author=author, parent=head,
                                            message=summary or f"{verb} {name} on {page}")
            except _RefMoved:
                continue
        raise StoreBusy("The wiki is being changed very often right now; please try again.")

    def delete_attachment(self, page: str, name: str, *, author: Author, summary: str = "") -> str:
        """Remove the attachment in one commit; its history keeps every earlier version."""
        path = self._attachment_path(page, name)
        for _ in range(MAX_CAS_ATTEMPTS):
            head = self.resolve(None)
            entry = self._lookup(self._commit_tree(head), path)
            if entry is None or entry[0] == TREE_MODE:
                raise PageNotFound(f"{page!r} has no attachment {name!r}.")
            try:
                return self._commit_changes({path: None}, author=author, parent=head,
                                            message=summary or f"Delete {name} from {page}")
            except _RefMoved:
                continue
        raise StoreBusy("The wiki is being changed very often right now; please try again.")

    def _attachment_files(self, page: str, commit: str) -> dict[str, str]:
        """``{path: blob id}`` of the attachments of ``page`` at ``commit``."""
        folder = names.attachments_folder(page)
        return {f"{folder}/{item.name}": item.blob_id for item in self.list_attachments(page, commit)}

    @staticmethod
    def _attachment_path(page: str, name: str) -> str:
        return f"{names.attachments_folder(page)}/{attachments.check_name(name)}"

    # ------------------------------------------------------------------ crash recovery

    def wait_for_lock(self, lock: Path) -> None:
        """Wait, bounded, for ``lock`` to go away; remove it once it is older than ``stale_lock_seconds``.

        git holds ``refs/heads/main.lock`` for a few milliseconds while it moves the branch. A writer
        killed in that window (SIGKILL, OOM, power cut of a container) leaves the file behind, and
        git never removes it: every later save would fail. A lock that old has no live owner, so
        removing it is safe; a younger one is waited for, since its owner may still finish.
        """
        deadline = time.monotonic() + self.stale_lock_seconds + 1
        while time.monotonic() < deadline:
            if self._remove_if_stale(lock) or not lock.exists():
                return
            time.sleep(0.05)

    def _remove_if_stale(self, lock: Path) -> bool:
        """Remove ``lock`` if it is older than ``stale_lock_seconds``; whether it was removed."""
        try:
            before = lock.stat()
        except FileNotFoundError:
            return False
        if time.time() - before.st_mtime <= self.stale_lock_seconds:
            return False
        try:
            if lock.stat().st_ino == before.st_ino:  # still the same old file, not a new writer's lock
                lock.unlink()
                return True
        except FileNotFoundError:
            pass
        return False

    def _graph_locks(self) -> list[Path]:
        info = self.path / "objects" / "info"
        return [info / "commit-graph.lock", info / "commit-graphs" / "commit-graph-chain.lock"]

    def stale_files(self) -> list[Path]:
        """Lock files and half-written temporary objects left behind by a writer that died."""
        candidates = [self.path / f"{self.ref}.lock", self.path / "HEAD.lock", self.path / "packed-refs.lock",
                      self.path / "config.lock",
                      *self._graph_locks()]
        stale = [path for path in candidates if _age(path) > self.stale_lock_seconds]
        objects = self.path / "objects"
        if objects.is_dir():
            stale.extend(path for path in objects.glob("obj*")
                         if path.is_file() and _age(path) > STALE_TEMP_OBJECT_SECONDS)
        return stale

    def recover(self) -> list[Path]:
        """Remove :meth:`stale_files` (run at start-up and by ``flask check --repair``); what was removed."""
        removed = []
        for path in self.stale_files():
            try:
                path.unlink()
                removed.append(path)
            except FileNotFoundError:
                pass
        return removed

    # ------------------------------------------------------------------ backup, restore, check

    def refs(self) -> dict[str, str]:
        """Every ref (branches, tags, notes) and the object it points to."""
        output = self._run("for-each-ref", "--format=%(objectname) %(refname)").stdout.decode("utf-8", "replace")
        return {name: oid for oid, _, name in (line.partition(" ") for line in output.splitlines())}

    def write_bundle(self, target: str | os.PathLike[str]) -> dict[str, str]:
        """Write every ref and everything they reach to the Git bundle ``target``; the refs bundled.

        A bundle is a plain file ``git clone`` and ``git fetch`` read, so a backup can be checked
        and used without the wiki.
        """
        refs = self.refs()
        if not refs:
            raise InvalidContent("The content repository has no commits to back up.")
        self._run("bundle", "create", "--quiet", str(target), "--all")
        return refs

    def is_pristine(self) -> bool:
        """Whether the repository holds nothing but the seed import (a fresh instance)."""
        refs = self.refs()
        if set(refs) - {self.ref}:
            return False
        if not refs:
            return True
        return self._run("rev-list", "--count", "--all").stdout.strip() == b"1"

    def restore_bundle(self, bundle: str | os.PathLike[str]) -> dict[str, str]:
        """Replace this (pristine) repository by the refs and objects of ``bundle``; the refs restored.

        The bundle is fetched into a new repository next to this one, checked with ``git fsck``,
        and only then swapped in, so a bad bundle leaves the instance as it was.
        """
        bundle = Path(bundle).resolve()
        staging = Store(self.path.with_name(f"{self.path.name}.restoring-{os.getpid()}"), branch=self.branch)
        if staging.path.exists():
            raise InvalidContent(f"{staging.path} exists: a restore is running or was interrupted; remove it.")
        try:
            staging.create()
            verify = staging._run("bundle", "verify", "--quiet", str(bundle), check=False)
            if verify.returncode != 0:
                raise InvalidContent(f"Not a usable Git bundle: {verify.stderr.decode('utf-8', 'replace').strip()}")
            staging._run("fetch", "--quiet", "--no-write-fetch-head", str(bundle), "+refs/*:refs/*")
            if staging.head() is None:
                raise InvalidContent(f"The bundle has no branch {self.branch!r}.")
            ok, report = staging.fsck()
            if not ok:
                raise InvalidContent(f"The restored repository fails git fsck: {report.strip()}")
            refs = staging.refs()
        except BaseException:
            staging.close()
            _remove_tree(staging.path)
            raise
        staging.close()
        self.close()
        replaced = self.path.with_name(f"{self.path.name}.replaced-{os.getpid()}")
        if self.path.exists():
            self.path.rename(replaced)
        staging.path.rename(self.path)
        _remove_tree(replaced)
        self.write_commit_graph()
        return refs

    def invalid_paths(self, rev: str | None = None) -> list[str]:
        """Files at ``rev`` that are neither valid pages nor valid attachments (``<page>.files/<name>``):
        bad names, modes (links, submodules, executables), text that is not UTF-8, or attachment
        bytes that do not match their type."""
        from . import attachments  # pure (no Flask, no git): the rules uploads and pushes follow

        result = self._run("ls-tree", "-r", "-z", "--full-tree", "--end-of-options", self.resolve(rev))
        problems = []
        for record in result.stdout.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, object_id = meta.decode().split()
            path = raw_path.decode("utf-8", "replace")
            if kind != "blob" or mode != f"{BLOB_MODE:o}":
                problems.append(f"{path}: a {kind} of mode {mode}, not a page file")
            elif names.page_from_attachment_file(path) is not None:
                name = path.rpartition("/")[2]
                try:
                    if attachments.check_name(name) != name:
                        raise attachments.InvalidAttachment("not in its canonical spelling")
                    attachments.check_content(name, self._blob(object_id))
                except attachments.InvalidAttachment as error:
                    problems.append(f"{path}: not a valid attachment: {error.message}")
            elif names.page_from_file(path) is None:
                problems.append(f"{path}: not a valid page file name")
            else:
                try:
                    self._check_text(self._blob(object_id).decode("utf-8"))
                except (UnicodeDecodeError, InvalidContent, ContentTooLarge) as error:
                    problems.append(f"{path}: {getattr(error, 'message', 'not valid UTF-8 text')}")
        return problems

    def check(self) -> list[str]:
        """Problems with the repository: fsck, the branch, the files at its tip, stale locks."""
        problems = []
        ok, report = self.fsck()
        if not ok:
            problems.append(f"git fsck --strict failed: {report.strip()}")
        head = self.head()
        if head is None:
            problems.append(f"{self.ref} does not exist.")
            return problems
        try:
            self._commit_tree(head)
        except InvalidRevision:
            return [*problems, f"{self.ref} points to {head}, which is not a commit."]
        problems.extend(self.invalid_paths(head))
        problems.extend(f"stale file left by a crashed writer: {path}" for path in self.stale_files())
        return problems


class GitCommandError(RuntimeError):
    """A git command failed in a way the wiki did not expect (a bug or a broken repository)."""

    def __init__(self, command: Iterable[str], returncode: int, stderr: str) -> None:
        super().__init__(f"{' '.join(command)} exited {returncode}: {stderr.strip()}")


class _RefMoved(Exception):
    """The compare-and-swap lost: the branch is no longer where this commit was built on."""


def _attributed(commit: CommitInfo) -> bool:
    """Whether ``commit`` shows a group; a pushed commit may miss it until its note is written."""
    return bool(commit.group)


def _note_value(note: str, key: str) -> str:
    """The value of the ``key: value`` line in a push note, or ``""``."""
    for line in note.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return ""


def _blob_id(data: bytes) -> str:
    """The id git gives a blob holding ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _one_line(value: str) -> str:
    """``value`` on one line, without control characters (a NUL fails `git fsck --strict`) or
    bidirectional overrides (they make `git log` display something else than what is stored)."""
    text = " ".join(str(value).split())
    return "".join(char for char in text if char not in names.BIDI_CONTROLS
                   and unicodedata.category(char) != "Cc")


def _ident(name: str, email: str) -> str:
    clean_name = _one_line(name).replace("<", "").replace(">", "") or "Unknown"
    clean_email = _one_line(email).replace("<", "").replace(">", "").replace(" ", "")
    return f"{clean_name} <{clean_email}>"


def _age(path: Path) -> float:
    """Seconds since ``path`` was last modified; -1 when it does not exist."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return -1.0


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
