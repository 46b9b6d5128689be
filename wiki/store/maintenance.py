"""Keeping the repository healthy: the commit-graph, stale locks left by killed writers, backups
as Git bundles, restore, and checks."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from .. import attachments, names  # attachments: the pure rules uploads and pushes follow
from ..errors import (
    ContentTooLarge,
    InvalidContent,
    InvalidRevision,
)
from ._common import (
    BLOB_MODE,
    STALE_TEMP_OBJECT_SECONDS,
    _age,
    _remove_tree,
)


class MaintenanceMixin:
    """Commit-graph upkeep, lock recovery, bundles and checks."""

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
        staging = type(self)(self.path.with_name(f"{self.path.name}.restoring-{os.getpid()}"), branch=self.branch)
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
