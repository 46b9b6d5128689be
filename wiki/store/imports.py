"""Bringing another Git repository's history into the content repository (``import-repo``).

The source is read where it is (``Reader`` on its git directory, bare or not): its commits, the
files of its last commit. Writing fetches its history as it is (every commit keeps its id, author,
date and message) into a temporary ref, writes one commit on top that moves the files to this
wiki's names (or, on top of a wiki with edits, a merge that adds them beside its pages), adds the
attribution notes in one ``git fast-import`` run, and only then moves ``main`` and the notes ref by
compare-and-swap through the committer: if anyone wrote meanwhile, nothing changes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..migrate.plan import ImportRefused, SourceFile
from .committer import Committer, ident, one_line, trailers
from .maintenance import CommitGraph
from .reader import Reader
from .types import ATTRIBUTION_NOTES_REF, GROUP_TRAILER, ZERO_ID, Author, GitCommandError

TEMP_PREFIX = "refs/import/"
NOTE_ATTEMPTS = 5


class ImportSource:
    """A Git repository to import from, read-only: its HEAD's commits and last files."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_dir():
            raise ImportRefused(f"{self.path} is not a folder (give the path of a Git repository).")
        probe = Reader(self.path)
        found = probe.run("rev-parse", "--absolute-git-dir", "--is-bare-repository", cwd=self.path,
                          in_repo=False, check=False)
        lines = found.stdout.decode("utf-8", "replace").splitlines()
        if found.returncode != 0 or len(lines) != 2:
            reason = " ".join(found.stderr.decode("utf-8", "replace").split())
            raise ImportRefused(f"{self.path} is not a Git repository ({reason or 'git found none'}).")
        self.git_dir = Path(lines[0])
        self.bare = lines[1] == "true"
        self.reader = Reader(self.git_dir)
        tip = self.reader.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        if tip.returncode != 0:
            raise ImportRefused(f"{self.path} has no commits (its HEAD names no commit).")
        self.tip = tip.stdout.decode().strip()
        branch = self.reader.run("symbolic-ref", "--short", "-q", "HEAD", check=False).stdout.decode().strip()
        self.branch = branch or "HEAD"

    def commits(self) -> list[tuple[str, str, str]]:
        """``(id, author e-mail lowercased, author name)`` of every commit of HEAD, newest first."""
        output = self.reader.run("log", "--format=%H%x00%ae%x00%an", self.tip, "--").stdout
        found = []
        for line in output.decode("utf-8", "replace").splitlines():
            commit, _, rest = line.partition("\0")
            email, _, name = rest.partition("\0")
            found.append((commit, email.strip().lower(), name))
        return found

    def files(self) -> list[SourceFile]:
        """The files of HEAD's tree (every mode: the plan decides what to keep)."""
        output = self.reader.run("-c", "core.quotePath=false", "ls-tree", "-r", "-l", "-z", "--full-tree",
                                 self.tip).stdout
        found = []
        for record in output.decode("utf-8", "surrogateescape").split("\0"):
            if not record:
                continue
            meta, _, path = record.partition("\t")
            mode, kind, oid, size = meta.split()
            if kind == "commit":  # a submodule
                found.append(SourceFile(path, mode, oid, 0))
            else:
                found.append(SourceFile(path, mode, oid, int(size) if size.isdigit() else 0))
        return found

    def read(self, blob: str) -> bytes:
        return self.reader.blob(blob)

    def close(self) -> None:
        self.reader.close()


@dataclass(frozen=True)
class Imported:
    main: str  # the new tip of main
    notes: int  # commits given a group note


class Importer:
    """Writes an import into the content repository (see the module's docstring)."""

    def __init__(self, reader: Reader, committer: Committer, graph: CommitGraph, *, branch_ref: str) -> None:
        self.reader = reader
        self.committer = committer
        self.graph = graph
        self.branch_ref = branch_ref

    def import_history(self, source: ImportSource, *, changes: dict[str, bytes | None], groups: dict[str, str],
                       replace: bool, author: Author, message: str,
                       progress: Callable[[int], None] = lambda done: None) -> Imported:
        """Fetch the source's history, commit ``changes`` on it and note ``groups`` ({commit: group}).

        ``replace``: main becomes the imported history (a fresh wiki's seed commit is left behind);
        otherwise the last commit is a merge of main and the imported history, whose tree is main's
        with ``changes`` (every imported file at its new path) applied. Raises ImportRefused when
        main moved meanwhile (nothing is changed then).
        """
        old_main = self.reader.read_ref(self.branch_ref)
        temp = f"{TEMP_PREFIX}{secrets.token_hex(6)}"
        try:
            self.reader.run("fetch", "--no-tags", "--quiet", "--no-write-fetch-head", "--", str(source.git_dir),
                            f"+{source.tip}:{temp}")
            progress(1)
            if replace:
                base_tree, parents = self.reader.commit_tree(source.tip), [source.tip]
            else:
                if old_main is None:
                    raise ImportRefused("The wiki has no main branch to import beside.")
                base_tree, parents = self.reader.commit_tree(old_main), [old_main, source.tip]
            final = source.tip
            if changes or not replace:
                tree = self.committer.build_tree(base_tree, changes)
                final = self.committer.write_commit(tree, parents, author, message)
            notes_commit, old_notes = self._notes(groups, author, temp)
            progress(1)
            if not self.committer.set_ref(self.branch_ref, final, old_main, reason="wiki: import-repo"):
                raise ImportRefused("The wiki changed while importing; nothing was changed. Run the command again.")
            for _ in range(NOTE_ATTEMPTS):
                if notes_commit is None or self.committer.set_ref(ATTRIBUTION_NOTES_REF, notes_commit, old_notes,
                                                                  reason="wiki: import-repo"):
                    break
                notes_commit, old_notes = self._notes(groups, author, temp)
            else:
                raise ImportRefused("The attribution notes kept changing; the history was imported without them.")
            self.graph.write()
            return Imported(main=final, notes=len(groups))
        finally:
            for ref in (temp, f"{temp}-notes"):
                self.reader.run("update-ref", "-d", ref, check=False)

    def _notes(self, groups: dict[str, str], author: Author, temp: str) -> tuple[str | None, str | None]:
        """A notes commit (on the current notes tip) giving each commit its group, written by one
        ``git fast-import``; ``(its id, the tip it is on)``, or ``(None, tip)`` when there is nothing."""
        old = self.reader.read_ref(ATTRIBUTION_NOTES_REF)
        if not groups:
            return None, old
        message = f"Attribute {len(groups)} imported commit(s) to their groups\n\n{trailers(author)}".encode()
        name, email = self.committer.identity
        parts = [f"commit {temp}-notes\ncommitter {ident(name, email)} {int(time.time())} +0000\n".encode(),
                 b"data %d\n%s\n" % (len(message), message)]
        if old:
            parts.append(f"from {old}\n".encode())
        by = one_line(author.username)
        for commit, group in groups.items():
            note = f"{GROUP_TRAILER}: {one_line(group)}\nImported-By: {by}\n".encode()
            parts.append(b"N inline %s\ndata %d\n%s\n" % (commit.encode(), len(note), note))
        parts.append(b"done\n")
        try:
            self.reader.run("fast-import", "--quiet", "--force", "--done", input=b"".join(parts))
        except GitCommandError as error:
            raise ImportRefused(f"Writing the attribution notes failed: {error}") from error
        commit = self.reader.read_ref(f"{temp}-notes")
        return (commit if commit and commit != ZERO_ID else None), old
