"""Commits and page history: ``git log`` with the commit-graph's changed-path filters, extended
in-process from an earlier answer when the branch moved, following renames."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from .. import names
from ..errors import InvalidRevision
from ._common import (
    GROUP_TRAILER,
    MAX_INCREMENTAL_WALK,
    MAX_RENAMES_FOLLOWED,
    NOTES_REF,
    TREE_MODE,
    USER_TRAILER,
    CommitInfo,
    _attributed,
    _note_value,
)


class HistoryMixin:
    """Commit information, a page's last change and history, and what changed between commits."""

    def commit_info(self, commit_id: str) -> CommitInfo:
        """A commit's info, cached by id (not while a pushed commit still waits for its group note)."""
        return self._commits.get_or_compute(commit_id, lambda: self._parse_commit(commit_id), keep=_attributed)

    def _parse_commit(self, commit_id: str) -> CommitInfo:
        """The commit object parsed in-process: no ``git`` process for one commit's info."""
        kind, data = self._read_object(commit_id)
        if kind != "commit":
            raise InvalidRevision("No such revision.")
        header, _, message = data.decode("utf-8", "replace").partition("\n\n")
        parents, name, email, stamp = [], "", "", 0
        for line in header.split("\n"):
            key, _, value = line.partition(" ")
            if key == "parent":
                parents.append(value)
            elif key == "author":
                ident, _, when = value.rpartition("> ")
                name, _, email = ident.partition(" <")
                stamp = int(when.split()[0]) if when.split() and when.split()[0].isdigit() else 0
        paragraphs = [p for p in message.strip("\n").split("\n\n") if p.strip()]
        subject = " ".join(paragraphs[0].split()) if paragraphs else ""
        trailers: dict[str, str] = {}
        if len(paragraphs) > 1:
            for line in paragraphs[-1].split("\n"):
                key, sep, value = line.partition(": ")
                if sep:
                    trailers.setdefault(key, value.strip())
        return CommitInfo(id=commit_id, author_name=name, author_email=email, timestamp=stamp,
                          subject=subject, group=trailers.get(GROUP_TRAILER) or self.pushed_group(commit_id),
                          username=trailers.get(USER_TRAILER, ""), parents=tuple(parents))

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
