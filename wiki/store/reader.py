"""Reading the repository: objects and refs by id, cached by id, and the one place that starts git.

Objects come from one long-lived ``git cat-file --batch`` per thread (GitPython's object
database); refs are read from their files without a process. Every cache here is keyed by an
object id, which never changes meaning, so nothing cached is ever stale. When the ``cat-file``
child dies (SIGKILL, the out-of-memory killer) the next read notices, starts a new one and
answers, so a worker is never left broken.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path

import git
from gitdb.exc import BadObject

from .. import names
from ..errors import N_, InvalidRevision, PageNotFound
from .cache import LRUCache
from .types import TAGS_PREFIX, GitCommandError

HEX40 = re.compile(r"\A[0-9a-f]{40}\Z")
TREE_MODE = 0o040000
BLOB_MODE = 0o100644
# Tree entries as read: name -> (mode, hex id).
TreeEntries = dict[str, tuple[int, str]]


def parse_tree(data: bytes) -> TreeEntries:
    """A tree object's entries: ``<octal mode> <name>\\0<20-byte id>``, one after another.

    Ours rather than GitPython's, which since 3.2 checks every name as a path it might write to
    (~30 µs an entry: 60 ms for the first page view of a 2,000-page wiki); a name is only a key
    here, and pushes are checked by the push rules. ``ValueError`` for a truncated tree.
    """
    entries: TreeEntries = {}
    offset, size = 0, len(data)
    while offset < size:
        space = data.index(b" ", offset)
        nul = data.index(b"\0", space)
        if nul + 21 > size:
            raise ValueError("Truncated tree entry")
        entries[data[space + 1:nul].decode("utf-8", "surrogateescape")] = (int(data[offset:space], 8),
                                                                           data[nul + 1:nul + 21].hex())
        offset = nul + 21
    return entries


class Reader:
    """Objects and refs of the bare repository at ``path``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._git_dir = str(self.path)
        self._local = threading.local()
        self._packed_refs_cache: tuple[tuple[int, int, int], dict[str, str]] | None = None
        self._trees: LRUCache[str, TreeEntries] = LRUCache(4096)
        self._blobs: LRUCache[str, bytes] = LRUCache(2048)
        self._headers: LRUCache[str, tuple[str, tuple[str, ...]]] = LRUCache(16384)

    # ------------------------------------------------------------------ processes

    def run(self, *args: str, input: bytes | None = None, cwd: Path | None = None,
            in_repo: bool = True, check: bool = True,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
        """Run ``git args`` on this repository with a clean environment (no inherited GIT_DIR,
        index or quarantine) plus ``env`` (settings that must not show in the process list, such as a
        credential), in the C locale; raise :class:`GitCommandError` when it fails."""
        command = ["git"]
        if in_repo:
            command.append(f"--git-dir={self.path}")
        command.extend(args)
        env = {**os.environ, **(env or {}), "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                         "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"):
            env.pop(variable, None)
        result = subprocess.run(command, input=input, capture_output=True, cwd=cwd, env=env)
        if check and result.returncode != 0:
            raise GitCommandError(command, result.returncode, result.stderr.decode("utf-8", "replace"))
        return result

    @property
    def _repo(self) -> git.Repo:
        """One ``git.Repo`` per thread: its long-lived ``cat-file --batch`` is not thread-safe."""
        repo = getattr(self._local, "repo", None)
        if repo is None:
            repo = git.Repo(self.path)
            self._local.repo = repo
        return repo

    def close(self) -> None:
        """Stop this thread's git helper processes (a new one starts on the next read)."""
        repo = getattr(self._local, "repo", None)
        if repo is not None:
            self._local.repo = None
            try:
                repo.close()
            except OSError:  # the child may already be gone
                pass

    def _with_odb(self, hex_id: str, operation: str):  # noqa: ANN202 - GitPython's stream or info
        """``odb.stream`` or ``odb.info`` of ``hex_id``, restarting a dead ``cat-file`` once."""
        if not HEX40.match(hex_id):
            raise InvalidRevision(N_("No such revision."))
        binary = bytes.fromhex(hex_id)
        for attempt in range(2):
            try:
                result = getattr(self._repo.odb, operation)(binary)
                if operation == "stream":
                    data = result.read()
                    if len(data) != result.size:
                        raise EOFError("the object was cut short")
                    return result.type, data
                return result
            except (ValueError, BadObject) as error:
                if "missing" in str(error) or isinstance(error, BadObject):
                    raise InvalidRevision(N_("No such revision.")) from error
                broken: Exception = error
            except (OSError, EOFError, AssertionError) as error:  # BrokenPipeError is an OSError
                broken = error
            self.close()  # the child died or answered garbage: the next try starts a new one
            if attempt == 1:
                raise GitCommandError(["git", "cat-file", "--batch"], -1, str(broken)) from broken
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ objects

    def read_object(self, hex_id: str) -> tuple[str, bytes]:
        """``(kind, bytes)`` of an object; :class:`InvalidRevision` when there is none."""
        kind, data = self._with_odb(hex_id, "stream")
        return (kind.decode() if isinstance(kind, bytes) else kind), data

    def object_size(self, hex_id: str) -> int:
        return int(self._with_odb(hex_id, "info").size)

    def tree_entries(self, tree_id: str) -> TreeEntries:
        def load() -> TreeEntries:
            kind, data = self.read_object(tree_id)
            if kind != "tree":
                raise InvalidRevision(N_("No such revision."))
            return parse_tree(data)

        return self._trees.get_or_compute(tree_id, load)

    def blob(self, blob_id: str) -> bytes:
        return self._blobs.get_or_compute(blob_id, lambda: self.read_object(blob_id)[1])

    def commit_header(self, commit_id: str) -> tuple[str, tuple[str, ...]]:
        """A commit's tree and parents, read in-process and cached by commit id."""

        def load() -> tuple[str, tuple[str, ...]]:
            kind, data = self.read_object(commit_id)
            if kind != "commit" or not data.startswith(b"tree "):
                raise InvalidRevision(N_("No such revision."))
            parents = []
            for line in data.split(b"\n\n", 1)[0].split(b"\n")[1:]:
                if not line.startswith(b"parent "):
                    break
                parents.append(line[7:47].decode())
            return data[5:45].decode(), tuple(parents)

        return self._headers.get_or_compute(commit_id, load)

    def commit_tree(self, commit_id: str) -> str:
        return self.commit_header(commit_id)[0]

    def lookup(self, tree_id: str, path: str) -> tuple[int, str] | None:
        """The ``(mode, id)`` of ``path`` inside ``tree_id``, or ``None``."""
        parts = path.split("/")
        current = tree_id
        for index, part in enumerate(parts):
            entry = self.tree_entries(current).get(part)
            if entry is None:
                return None
            if index == len(parts) - 1:
                return entry
            if entry[0] != TREE_MODE:
                return None
            current = entry[1]
        return None

    def blob_at(self, commit_id: str, path: str) -> str | None:
        """The blob id of the file ``path`` at ``commit_id``, or ``None`` (missing, or a folder)."""
        entry = self.lookup(self.commit_tree(commit_id), path)
        return entry[1] if entry is not None and entry[0] != TREE_MODE else None

    # ------------------------------------------------------------------ refs

    def read_ref(self, ref: str) -> str | None:
        """Any ref's value from the ref files (no process), or ``None``.

        Every page view reads a few refs, so this is plain ``open`` on string paths; packed refs
        are parsed once per version of ``packed-refs`` (git rewrites it by rename: a new inode).
        """
        try:
            with open(f"{self._git_dir}/{ref}", "rb") as loose:
                value = loose.read(64).strip().decode("ascii", "replace")
            if HEX40.match(value):
                return value
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
                if HEX40.match(value) and name:
                    refs[name] = value
        self._packed_refs_cache = (key, refs)
        return refs

    def refs(self, prefix: str = "") -> dict[str, str]:
        """Every ref under ``prefix`` (all when empty) and the object it points to."""
        output = self.run("for-each-ref", "--format=%(objectname) %(refname)", *([prefix] if prefix else [])).stdout
        return {name: oid for oid, _, name in (line.partition(" ") for line in output.decode("utf-8", "replace")
                                                .splitlines())}

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False).returncode == 0

    # ------------------------------------------------------------------ revisions

    def resolve(self, rev: str | None, tip: str | None) -> str:
        """The full commit id for ``rev``; ``None`` means ``tip``. Raise InvalidRevision otherwise.

        A revision is a named version (an annotated tag) or a hexadecimal id, never a git
        expression, so nothing a user types reaches git as an option.
        """
        if rev is None:
            if tip is None:
                raise PageNotFound(N_("The content repository has no commits yet."))
            return tip
        if names.is_version_name(rev):
            return self.version_commit(rev)
        rev = names.check_revision(rev)
        if len(rev) == 40:
            commit = rev
        else:
            # ^{object}, not ^{commit}: an abbreviated tag or tree id must not peel to a commit when
            # the full id of the same object is refused below.
            result = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{object}}",
                              check=False)
            if result.returncode != 0:
                raise InvalidRevision(N_("No such revision."))
            commit = result.stdout.decode().strip()
        self.commit_tree(commit)
        return commit

    def version_commit(self, name: str) -> str:
        """The commit the named version ``name`` (tag ``refs/tags/<name>``) marks, peeled in-process.

        Raises :class:`InvalidRevision` when the name fails the allowlist or names no version.
        """
        if not names.is_version_name(name):
            raise InvalidRevision(N_("No such revision."))
        target = self.read_ref(f"{TAGS_PREFIX}{name}")
        for _ in range(8):  # a tag of a tag: peel a few levels, no more
            if target is None:
                break
            kind, data = self.read_object(target)
            if kind == "commit":
                return target
            if kind != "tag" or not data.startswith(b"object "):
                break
            target = data[7:47].decode("ascii", "replace")
        raise InvalidRevision(N_("There is no version named %(name)s."), name=repr(name))

    def commit_exists(self, rev: str) -> bool:
        """Whether ``rev`` is a full commit id present in this repository."""
        try:
            self.commit_tree(names.check_revision(rev))
        except InvalidRevision:
            return False
        return True
