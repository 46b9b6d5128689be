"""Page history: a page's last change and its commits, following renames, cached by commit ids.

The history of the agreed text is the **first-parent** history of the branch: a merged proposal is
one entry, its merge commit (the adoption), and the drafts made inside the proposal are not
versions of the agreed text (git's default simplification would follow the side branch, because
the merge is TREESAME to it, and list the drafts instead of the adoption).

``git log -- <file>`` uses the commit-graph's changed-path filters; when the branch moves, a
cached answer is extended in-process by walking the new commits over cached trees, so a second
view costs the new commits only. Answers are cached without notes and attributed per notes tip:
a repository whose commits carry no trailer (an imported history) is cached like any other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

from .. import names
from .cache import LRUCache
from .gitlog import GitLog
from .reader import Reader
from .types import CommitInfo

MAX_RENAMES_FOLLOWED = 100
MAX_INCREMENTAL_WALK = 200  # commits walked back to extend a cached history instead of asking git


class History:
    """Commit information, a page's last change and history, and what changed between commits."""

    def __init__(self, reader: Reader, log: GitLog, branch_ref: str) -> None:
        self.reader = reader
        self.log = log
        self.branch_ref = branch_ref
        self._last_changes: LRUCache[tuple[str, str], CommitInfo | None] = LRUCache(4096)
        self._histories: LRUCache[tuple[str, str], tuple[CommitInfo, ...]] = LRUCache(256)
        self._attributed: LRUCache[tuple[str, str, str], tuple[CommitInfo, ...]] = LRUCache(256)
        # Per page, the newest start commit whose answer is cached: a hint, always checked by
        # walking parents from the new start, so it can never make an answer stale.
        self._last_change_hints: LRUCache[str, tuple[str, CommitInfo | None]] = LRUCache(4096)
        self._history_hints: LRUCache[str, tuple[str, tuple[CommitInfo, ...]]] = LRUCache(256)
        self._drafts: LRUCache[tuple[str, str], tuple[CommitInfo, ...]] = LRUCache(4096)

    def commit_info(self, commit_id: str) -> CommitInfo:
        """A commit's info with its group (trailer, else push note), read in-process."""
        return self.log.info(commit_id)

    def last_change(self, page: str, start: str) -> CommitInfo | None:
        """The newest commit that changed ``page`` as of commit ``start``."""
        path = names.page_file(page)

        def load() -> CommitInfo | None:
            hint = self._last_change_hints.lookup(page)
            changed = self._changed_since(path, start, hint[0]) if hint else None
            if changed is None:
                entries = self.log.log("-1", "--first-parent", start, "--", path)
                result = replace(entries[0].commit, path=path) if entries else None
            else:
                result = replace(self.log.commit(changed[0]), path=path) if changed else hint[1]  # type: ignore[index]
            if start == self.reader.read_ref(self.branch_ref):
                self._last_change_hints.put(page, (start, result))
            return result

        change = self._last_changes.get_or_compute((start, page), load)
        return None if change is None else self.log.attribute(change, self.log.notes_tip())

    def page_history(self, page: str, start: str) -> tuple[CommitInfo, ...]:
        """The commits that changed ``page``, newest first, following renames back to its creation.

        Cached by (start commit, page), and attributed per notes tip: new commits or notes are new
        keys, so the cache is never stale.
        """
        notes_tip = self.log.notes_tip()
        return self._attributed.get_or_compute(
            (start, page, notes_tip),
            lambda: tuple(self.log.attribute(commit, notes_tip) for commit in self._history(page, start)))

    def _history(self, page: str, start: str) -> tuple[CommitInfo, ...]:
        def load() -> tuple[CommitInfo, ...]:
            path = names.page_file(page)
            hint = self._history_hints.lookup(page)
            changed = self._changed_since(path, start, hint[0]) if hint else None
            if changed is None or any(self.reader.blob_at(self.reader.commit_header(commit)[1][0], path) is None
                                      for commit in changed):
                result = tuple(self._follow(page, start))  # unknown, or (re)created: maybe renamed
            else:
                result = tuple(replace(self.log.commit(commit), path=path) for commit in changed) + hint[1]  # type: ignore[index]
            if start == self.reader.read_ref(self.branch_ref):
                self._history_hints.put(page, (start, result))
            return result

        return self._histories.get_or_compute((start, page), load)

    def drafts(self, merge: str, path: str) -> tuple[CommitInfo, ...]:
        """The commits of the side branch a merge adopted that changed ``path`` (a proposal's drafts
        of one page), newest first, attributed; cached by the merge and the path (never stale)."""
        notes_tip = self.log.notes_tip()
        found = self._drafts.get_or_compute((merge, path), lambda: self._drafts_of(merge, path))
        return tuple(self.log.attribute(commit, notes_tip) for commit in found)

    def _drafts_of(self, merge: str, path: str) -> tuple[CommitInfo, ...]:
        _tree, parents = self.reader.commit_header(merge)
        if len(parents) < 2:
            return ()
        return tuple(replace(entry.commit, path=path) for entry in
                     self.log.log("--no-merges", f"{parents[0]}..{parents[1]}", "--", path))

    def file_history(self, path: str, start: str) -> tuple[CommitInfo, ...]:
        """The commits that changed one file (an attachment), newest first, attributed."""
        notes_tip = self.log.notes_tip()
        return tuple(self.log.attribute(replace(entry.commit, path=path), notes_tip)
                     for entry in self.log.log("--first-parent", start, "--", path))

    def _changed_since(self, path: str, start: str, known: str) -> list[str] | None:
        """The commits from ``start`` back to ``known`` (excluded) that changed ``path``, newest first.

        Walks parents in-process over cached trees, so extending a cached history costs the new
        commits only. ``None`` when ``known`` is not reached along single-parent commits within
        :data:`MAX_INCREMENTAL_WALK` (then git answers instead). Merges are compared with their
        first parent, as the first-parent history does.
        """
        changed: list[str] = []
        current = start
        for _ in range(MAX_INCREMENTAL_WALK):
            if current == known:
                return changed
            tree, parents = self.reader.commit_header(current)
            if not parents:
                return None
            if self.reader.lookup(tree, path) != self.reader.lookup(self.reader.commit_tree(parents[0]), path):
                changed.append(current)
            current = parents[0]
        return None

    def _follow(self, page: str, start: str) -> Iterator[CommitInfo]:
        path = names.page_file(page)
        tip = start
        for _ in range(MAX_RENAMES_FOLLOWED):
            commits = [replace(entry.commit, path=path) for entry in self.log.log("--first-parent", tip, "--", path)]
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
        if not commit.parents:
            return None
        for change in self.log.diff_tree(commit.parents[0], commit.id):
            if change.status.startswith("R") and change.path == path:
                return change.old_path
        return None

    def renamed_to(self, path: str, old: str, new: str) -> str | None:
        """Where the file ``path`` of commit ``old`` went by commit ``new``, if it was renamed."""
        for change in self.log.diff_tree(old, new):
            if change.status.startswith("R") and change.old_path == path:
                return change.path
        return None

    def changed_files(self, old: str | None, new: str) -> list[tuple[str, str]]:
        """``(status, path)`` of every file that differs from commit ``old`` to ``new``.

        Status is ``A`` (added), ``M`` (modified) or ``D`` (deleted); a rename is a delete and an
        add. ``old=None`` lists every file of ``new`` as added. One ``git diff-tree`` compares the
        two trees, so the cost follows the size of the change, not of the history.
        """
        new = names.check_revision(new)
        if old is None:
            output = self.reader.run("ls-tree", "-r", "-z", "--name-only", new, "--").stdout
            return [("A", path) for path in output.decode("utf-8", "surrogateescape").split("\0") if path]
        changes = self.log.diff_tree(names.check_revision(old), new, renames=False)
        return [(change.status[0] if change.status[0] in "AD" else "M", change.path) for change in changes]

    def commits_with_files(self, old: str | None, new: str) -> Iterator[tuple[CommitInfo, list[str]]]:
        """Commits reachable from ``new`` but not from ``old``, newest first, each with its changed
        files (merges compared with their first parent), attributed. Parsed lazily: stop early."""
        new = names.check_revision(new)
        args = [new] if old is None else [new, f"^{names.check_revision(old)}"]
        notes_tip = self.log.notes_tip()
        for entry in self.log.iter_log("--diff-merges=first-parent", *args, "--", files="name-status",
                                       renames=False):
            paths = [file.path for file in entry.files]
            yield self.log.attribute(entry.commit, notes_tip), paths

    def most_changed(self, start: str, *, commits: int, count: int) -> list[str]:
        """The pages (originals, not language versions) changed most often in the last ``commits``
        commits up to ``start``, busiest first: one ``git log --name-only``, no commit parsed."""
        output = self.reader.run("log", "-z", "--format=", "--name-only", "--no-renames", f"-n{int(commits)}",
                                 names.check_revision(start), "--").stdout
        changed: Counter[str] = Counter()
        for path in output.decode("utf-8", "surrogateescape").split("\0"):
            path = path.strip("\n")
            if path and names.version_from_file(path) is None and (page := names.page_from_file(path)) is not None:
                changed[page] += 1
        return [page for page, _ in changed.most_common(count)]
