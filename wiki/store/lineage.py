"""A page's lineage between two revisions: every commit that changed it, with its text and its parents.

Redlines attribute each inserted or deleted word to the commit that made it, so they need the
page's versions in between, not just the two ends. ``git log --topo-order --reverse --parents``
limited to the page's paths (every name it had, across renames) lists them parents first, with
parents rewritten to the nearest commit that changed the page; merges keep both sides, so a
proposal's commits are seen as they were made.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import names
from .gitlog import GitLog
from .history import History
from .reader import HEX40, Reader
from .types import CommitInfo

MAX_LINEAGE = 2_000  # commits of one page between two revisions; older ones count as the start


@dataclass(frozen=True)
class LineageStep:
    """One commit that changed the page: who made it, its (rewritten) parents, and the page's text
    after it (``None`` when the commit removed the page)."""

    commit: CommitInfo
    parents: tuple[str, ...]
    text: str | None


class Lineage:
    """Page lineages, read through the reader (texts cached by blob id there)."""

    def __init__(self, reader: Reader, log: GitLog, history: History) -> None:
        self.reader = reader
        self.log = log
        self.history = history

    def paths(self, page: str, commit: str) -> tuple[str, ...]:
        """Every file name the page had in its history up to ``commit`` (its renames)."""
        found = {names.page_file(page)}
        found.update(change.path for change in self.history.page_history(page, commit) if change.path)
        return tuple(sorted(found))

    def text_at(self, paths: tuple[str, ...], commit: str) -> str | None:
        """The page's text at ``commit`` under whichever of its names it had there."""
        for path in paths:
            blob = self.reader.blob_at(commit, path)
            if blob is not None:
                return self.reader.blob(blob).decode("utf-8", "replace")
        return None

    def lineage(self, paths: tuple[str, ...], from_commit: str, to_commit: str) -> tuple[LineageStep, ...]:
        """The commits reachable from ``to_commit`` but not ``from_commit`` that changed one of
        ``paths``, parents before children, attributed, each with the page's text after it."""
        output = self.reader.run("--literal-pathspecs", "log", "--topo-order", "--reverse", "--parents",
                                 "--format=%H %P", f"-n{MAX_LINEAGE}", to_commit, f"^{from_commit}", "--",
                                 *paths).stdout
        notes_tip = self.log.notes_tip()
        steps = []
        for line in output.decode("ascii", "replace").splitlines():
            ids = [part for part in line.split() if HEX40.match(part)]
            if not ids:
                continue
            commit = self.log.attribute(self.log.commit(ids[0]), notes_tip)
            steps.append(LineageStep(commit=commit, parents=tuple(dict.fromkeys(ids[1:])),
                                     text=self.text_at(paths, ids[0])))
        return tuple(steps)
