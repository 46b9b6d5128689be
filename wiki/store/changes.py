"""Recent changes of the whole document, and the comparison of any two of its revisions."""

from __future__ import annotations

import re

from .. import names
from .cache import LRUCache
from .gitlog import FileStatus, GitLog, NumStat
from .reader import Reader
from .types import GROUP_TRAILER, USER_TRAILER, Change, Comparison, FileChange, PageComparison

_REGEX_SPECIAL = re.compile(r"([.\[\]\\*^$+?(){}|])")


def page_changes(files: tuple[FileStatus | NumStat, ...] | list[FileStatus]) -> tuple[FileChange, ...]:
    """Name-status entries as page changes; files that are not pages (attachments) are left out."""
    changes: list[FileChange] = []
    for file in files:
        if not isinstance(file, FileStatus):
            continue
        new_page = names.page_from_file(file.path)
        if file.status[0] in "RC":
            old_page = names.page_from_file(file.old_path)
            if file.status[0] == "R" and old_page and new_page:
                changes.append(FileChange("renamed", new_page, old_page))
            elif new_page:
                changes.append(FileChange("added", new_page))
        elif new_page is not None:
            changes.append(FileChange({"A": "added", "D": "removed"}.get(file.status[0], "changed"), new_page))
    return tuple(changes)


class Changes:
    """Recent changes (filtered, paged) and whole-document comparisons."""

    def __init__(self, reader: Reader, log: GitLog) -> None:
        self.reader = reader
        self.log = log
        self._comparisons: LRUCache[tuple[str, str, str], Comparison] = LRUCache(16)

    def changes(self, head: str | None, *, group: str | None = None, user: str | None = None,
                paths: tuple[str, ...] = (), since: int | None = None, until: int | None = None, skip: int = 0,
                limit: int = 50) -> tuple[list[Change], bool]:
        """Commits newest first with the pages each touched, filtered, one page of ``limit``.

        One ``git log`` with ``--skip``/``-n``: the group and user are matched by ``--grep`` over
        the message and the push note (and checked again against the attribution, since a summary
        could imitate a trailer), paths are literal pathspecs, and dates cut the walk short.
        Returns the changes and whether there are more.
        """
        if head is None:
            return [], False
        notes_tip = self.log.notes_tip()
        args = [f"--skip={skip}", f"-n{limit + 1}"]
        greps = []
        if group:
            greps.append(f"--grep=^{GROUP_TRAILER}: {_regex_escape(group)}$")
        if user:
            greps.append(f"--grep=^{USER_TRAILER}: {_regex_escape(user)}$")
        if greps:
            # With the notes shown, --grep also matches a push note's line.
            args += [f"--notes={self.log.attribution_notes.ref}", *greps, "--all-match"]
        if since is not None:
            args.append(f"--since=@{since}")
        if until is not None:
            args.append(f"--until=@{until}")
        # The agreed text's own history: adoptions of proposals, not their drafts (see history.py).
        entries = self.log.log("--first-parent", "--diff-merges=first-parent", *args, head, "--", *paths,
                               files="name-status")
        more = len(entries) > limit
        found = [Change(self.log.attribute(entry.commit, notes_tip), page_changes(entry.files))
                 for entry in entries[:limit]]
        return [change for change in found if (not group or change.commit.group == group)
                and (not user or change.commit.username == user)], more

    def compare(self, from_commit: str, to_commit: str) -> Comparison:
        """Every page added, removed, renamed or changed between two revisions of the document,
        with the groups whose commits made each change; cached by the ids involved."""
        notes_tip = self.log.notes_tip()
        return self._comparisons.get_or_compute((from_commit, to_commit, notes_tip),
                                                lambda: self._compare(from_commit, to_commit, notes_tip))

    def _compare(self, from_commit: str, to_commit: str, notes_tip: str) -> Comparison:
        entries = page_changes(self.log.diff_tree(from_commit, to_commit))
        by_page: dict[str, set[str]] = {}
        if entries:
            for entry in self.log.iter_log(f"{from_commit}...{to_commit}", "--", files="name-status"):
                group = self.log.attribute(entry.commit, notes_tip).group or "(none)"
                for file in page_changes(entry.files):
                    for page in (file.page, file.old_page):
                        if page:
                            by_page.setdefault(page, set()).add(group)
        pages = []
        for file in entries:
            groups = by_page.get(file.page, set()) | by_page.get(file.old_page, set())
            old_blob = (self.reader.blob_at(from_commit, names.page_file(file.old_page or file.page))
                        if file.status != "added" else None)
            new_blob = self.reader.blob_at(to_commit, names.page_file(file.page)) if file.status != "removed" else None
            pages.append(PageComparison(change=file, groups=tuple(sorted(groups)), old_blob=old_blob,
                                        new_blob=new_blob))
        return Comparison(from_commit=from_commit, to_commit=to_commit, pages=tuple(pages))


def _regex_escape(value: str) -> str:
    """Escape ``value`` for git's basic regular expressions (``--grep``)."""
    return _REGEX_SPECIAL.sub(r"\\\1", value)
