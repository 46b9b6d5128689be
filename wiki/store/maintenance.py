"""Keeping the repository healthy: the commit-graph, stale locks and temporary objects left by
killed writers, backups as Git bundles, restore, and checks."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from .. import attachments, names  # attachments: the pure rules uploads and pushes follow
from ..errors import N_, ContentTooLarge, InvalidContent, InvalidRevision
from ..texts import check_page_text
from . import repository
from .committer import Committer, remove_if_stale
from .reader import BLOB_MODE, Reader

# gitdb writes each loose object to ``objects/obj*`` first, then renames it into place.
STALE_TEMP_OBJECT_SECONDS = 3600.0


class CommitGraph:
    """Keeps the commit-graph (with changed-path filters) current, off the request's path: one
    daemon thread per process rewrites the graph's top layer whenever commits landed."""

    def __init__(self, reader: Reader, *, stale_lock_seconds: float) -> None:
        self.reader = reader
        self.stale_lock_seconds = stale_lock_seconds
        self._wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def changed(self) -> None:
        """Commits landed: schedule a graph update (starting the thread in this process if needed)."""
        self._wanted.set()
        if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="commit-graph", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while self._wanted.wait(timeout=60):
            self._wanted.clear()
            self.write()

    def locks(self) -> list[Path]:
        info = self.reader.path / "objects" / "info"
        return [info / "commit-graph.lock", info / "commit-graphs" / "commit-graph-chain.lock"]

    def write(self) -> None:
        """Add new commits to the commit-graph as a split layer (~20 ms); failures are harmless."""
        for lock in self.locks():
            remove_if_stale(lock, self.stale_lock_seconds)
        self.reader.run("commit-graph", "write", "--reachable", "--changed-paths", "--split", "--no-progress",
                        check=False)


class Maintenance:
    """Lock recovery, bundles and checks of one repository."""

    def __init__(self, reader: Reader, committer: Committer, graph: CommitGraph, *, branch: str,
                 max_page_bytes: int) -> None:
        self.reader = reader
        self.committer = committer
        self.graph = graph
        self.branch = branch
        self.branch_ref = f"refs/heads/{branch}"
        self.max_page_bytes = max_page_bytes

    def fsck(self) -> tuple[bool, str]:
        result = self.reader.run("fsck", "--strict", "--no-progress", check=False)
        return result.returncode == 0, (result.stdout + result.stderr).decode("utf-8", "replace")

    def stale_files(self) -> list[Path]:
        """Lock files and half-written temporary objects left behind by a writer that died."""
        path = self.reader.path
        candidates = [path / f"{self.branch_ref}.lock", path / "HEAD.lock", path / "packed-refs.lock",
                      path / "config.lock", *self.graph.locks()]
        candidates += list((path / "refs").rglob("*.lock")) if (path / "refs").is_dir() else []
        stale = sorted({file for file in candidates if _age(file) > self.committer.stale_lock_seconds})
        objects = path / "objects"
        if objects.is_dir():
            stale.extend(file for file in objects.glob("obj*")
                         if file.is_file() and _age(file) > STALE_TEMP_OBJECT_SECONDS)
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

    def write_bundle(self, target: str | os.PathLike[str]) -> dict[str, str]:
        """Write every ref as it was at one moment, and everything they reach, to the Git bundle
        ``target``; the refs bundled (name to object id).

        The refs are read once, and the bundle is made in a scratch repository that borrows this
        one's objects (``objects/info/alternates``) and holds exactly those refs: saves and pushes
        that move refs meanwhile cannot change what is bundled. (``git bundle create --all`` on the
        live repository raced them: a bundle without ``main``, or "Refusing to create empty
        bundle".) A bundle is a plain file ``git clone`` and ``git fetch`` read, so a backup can
        be checked and used without the wiki.
        """
        refs = self.reader.refs()
        if self.branch_ref not in refs:
            raise InvalidContent(N_("The content repository has no commits to back up."))
        with tempfile.TemporaryDirectory(prefix="wiki-snapshot-") as scratch:
            snapshot = Reader(Path(scratch) / "snapshot.git")
            snapshot.run("init", "--bare", "--quiet", str(snapshot.path), in_repo=False)
            objects = (self.reader.path / "objects").resolve()
            (snapshot.path / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
            snapshot.run("update-ref", "--stdin",
                         input="".join(f"create {name} {oid}\n" for name, oid in sorted(refs.items())).encode())
            snapshot.run("bundle", "create", "--quiet", str(Path(target).resolve()), "--stdin",
                         input="".join(f"{name}\n" for name in sorted(refs)).encode())
            snapshot.close()
        return refs

    def bundle_refs(self, bundle: str | os.PathLike[str]) -> dict[str, str]:
        """The refs a bundle brings, once all of it was fetched into an empty scratch repository
        (``git bundle verify`` first): every object is read and every ref connected, which a
        truncated or damaged bundle fails. Raises :class:`InvalidContent` with git's reason."""
        with tempfile.TemporaryDirectory(prefix="wiki-verify-") as scratch:
            probe = Reader(Path(scratch) / "probe.git")
            probe.run("init", "--bare", "--quiet", str(probe.path), in_repo=False)
            path = str(Path(bundle).resolve())
            for args in (("bundle", "verify", "--quiet", path),
                         ("fetch", "--quiet", "--no-write-fetch-head", path, "+refs/*:refs/*")):
                result = probe.run(*args, check=False)
                if result.returncode != 0:
                    lines = result.stderr.decode("utf-8", "replace").splitlines()
                    raise InvalidContent(N_("Not a usable Git bundle: %(details)s"),
                                         details="; ".join(line.strip() for line in lines if line.strip()))
            refs = probe.refs()
            probe.close()
        return refs

    def is_pristine(self) -> bool:
        """Whether the repository holds nothing but the seed import (a fresh instance)."""
        refs = self.reader.refs()
        if set(refs) - {self.branch_ref}:
            return False
        if not refs:
            return True
        return self.reader.run("rev-list", "--count", "--all").stdout.strip() == b"1"

    def restore_bundle(self, bundle: str | os.PathLike[str]) -> dict[str, str]:
        """Replace this (pristine) repository by the refs and objects of ``bundle``; the refs restored.

        The bundle is fetched into a new repository next to this one, checked with ``git fsck``,
        and only then swapped in, so a bad bundle leaves the instance as it was.
        """
        bundle = Path(bundle).resolve()
        path = self.reader.path
        staging = Reader(path.with_name(f"{path.name}.restoring-{os.getpid()}"))
        if staging.path.exists():
            raise InvalidContent(N_("%(path)s exists: a restore is running or was interrupted; remove it."),
                                 path=staging.path)
        try:
            repository.create(staging, self.branch)
            verify = staging.run("bundle", "verify", "--quiet", str(bundle), check=False)
            if verify.returncode != 0:
                raise InvalidContent(N_("Not a usable Git bundle: %(details)s"),
                                     details=verify.stderr.decode('utf-8', 'replace').strip())
            staging.run("fetch", "--quiet", "--no-write-fetch-head", str(bundle), "+refs/*:refs/*")
            if staging.read_ref(self.branch_ref) is None:
                raise InvalidContent(N_("The bundle has no branch %(branch)s."), branch=repr(self.branch))
            result = staging.run("fsck", "--strict", "--no-progress", check=False)
            if result.returncode != 0:
                report = (result.stdout + result.stderr).decode("utf-8", "replace")
                raise InvalidContent(N_("The restored repository fails git fsck: %(details)s"), details=report.strip())
            refs = staging.refs()
        except BaseException:
            staging.close()
            shutil.rmtree(staging.path, ignore_errors=True)
            raise
        staging.close()
        self.reader.close()
        replaced = path.with_name(f"{path.name}.replaced-{os.getpid()}")
        if path.exists():
            path.rename(replaced)
        staging.path.rename(path)
        shutil.rmtree(replaced, ignore_errors=True)
        self.graph.write()
        return refs

    def invalid_paths(self, commit: str) -> list[str]:
        """Files at ``commit`` that are neither valid pages nor valid attachments (``<page>.files/<name>``):
        bad names, modes (links, submodules, executables), text that is not UTF-8, attachment bytes
        that do not match their type, or page names that differ only by case."""
        result = self.reader.run("ls-tree", "-r", "-z", "--full-tree", "--end-of-options", commit)
        problems: list[str] = []
        folded: dict[str, str] = {}
        versions: list[tuple[str, str]] = []
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
                    attachments.check_content(name, self.reader.blob(object_id))
                except attachments.InvalidAttachment as error:
                    problems.append(f"{path}: not a valid attachment: {error.message}")
            elif (version := names.version_from_file(path)) is not None:
                versions.append((path, version[0]))
                self._check_text(path, object_id, problems)
            elif (page := names.page_from_file(path)) is None:
                problems.append(f"{path}: not a valid page file name")
            else:
                if page.casefold() in folded:
                    problems.append(f"{path}: differs only by case from {folded[page.casefold()]}.md")
                folded.setdefault(page.casefold(), page)
                self._check_text(path, object_id, problems)
        problems.extend(f"{path}: a language version of {page!r}, which does not exist"
                        for path, page in versions if page.casefold() not in folded)
        return problems

    def _check_text(self, path: str, blob: str, problems: list[str]) -> None:
        try:
            check_page_text(self.reader.blob(blob).decode("utf-8"), self.max_page_bytes)
        except (UnicodeDecodeError, InvalidContent, ContentTooLarge) as error:
            problems.append(f"{path}: {getattr(error, 'message', 'not valid UTF-8 text')}")

    def check(self) -> list[str]:
        """Problems with the repository: fsck, the branch, the files at its tip, stale locks."""
        problems = []
        ok, report = self.fsck()
        if not ok:
            problems.append(f"git fsck --strict failed: {report.strip()}")
        head = self.reader.read_ref(self.branch_ref)
        if head is None:
            problems.append(f"{self.branch_ref} does not exist.")
            return problems
        try:
            self.reader.commit_tree(head)
        except InvalidRevision:
            return [*problems, f"{self.branch_ref} points to {head}, which is not a commit."]
        problems.extend(self.invalid_paths(head))
        problems.extend(f"stale file left by a crashed writer: {path}" for path in self.stale_files())
        return problems


def _age(path: Path) -> float:
    """Seconds since ``path`` was last modified; -1 when it does not exist."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return -1.0
