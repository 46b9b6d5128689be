"""The store's foundation: the bare repository, its objects and refs, read without a process
where possible (one long-lived ``git cat-file`` per thread, ref files read directly)."""

from __future__ import annotations

import os
import subprocess
import threading
from io import BytesIO
from pathlib import Path

import git
from git.objects.fun import tree_entries_from_data
from gitdb import IStream, LooseObjectDB
from gitdb.exc import BadObject

from .. import names
from ..errors import (
    InvalidContent,
    InvalidRevision,
    PageNotFound,
)
from ._common import (
    _HEX40,
    _LRU,
    HOOK_NAMES,
    HOOK_SCRIPT,
    STALE_LOCK_SECONDS,
    TREE_MODE,
    Author,
    CommitInfo,
    GitCommandError,
    _RefMoved,
)


class StoreBase:
    """The repository, its objects, caches and refs; the other parts of :class:`Store` build on it."""

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

    def head(self) -> str | None:
        """The branch tip, read from the ref files directly (no process), or ``None`` if unborn."""
        return self._read_ref(self.ref)

    def read_ref(self, ref: str) -> str | None:
        """The commit a ref (``refs/notes/...``) points to, or ``None``; read from files, no process."""
        return self._read_ref(ref)

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
            # ^{object}, not ^{commit}: an abbreviated tag or tree id must not peel to a commit when
            # the full id of the same object is refused below.
            result = self._run("rev-parse", "--verify", "--quiet", "--end-of-options",
                               f"{rev}^{{object}}", check=False)
            if result.returncode != 0:
                raise InvalidRevision("No such revision.")
            commit = result.stdout.decode().strip()
        self._commit_tree(commit)
        return commit

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

    def commit_exists(self, rev: str) -> bool:
        """Whether ``rev`` is a full commit id present in this repository."""
        try:
            self._commit_tree(names.check_revision(rev))
        except InvalidRevision:
            return False
        return True
