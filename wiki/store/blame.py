"""Blame by group: who wrote each line of a page, and each stakeholder group's share of its text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from .. import names
from .cache import LRUCache
from .gitlog import GitLog
from .history import History
from .pages import Pages
from .reader import HEX40, Reader
from .types import Blame, BlameBlock, GroupShare

WORDS = re.compile(r"\w")  # a line counts in the shares when it has a letter or a digit


class Blames:
    """``git blame -M -C`` per (commit, file), cached; attributed per notes tip."""

    def __init__(self, reader: Reader, log: GitLog, pages: Pages, history: History) -> None:
        self.reader = reader
        self.log = log
        self.pages = pages
        self.history = history
        self._lines: LRUCache[tuple[str, str], tuple[tuple[str, str], ...]] = LRUCache(256)
        self._blames: LRUCache[tuple[str, str, str], Blame] = LRUCache(256)

    def blame(self, page: str, commit: str) -> Blame:
        """Who wrote each line of ``page`` at ``commit``, and each group's share of the text (its
        lines with words: blank lines and table rules count for nobody).

        Lines moved or carried across a rename keep the commit that wrote them. The page is found
        under the name it had at ``commit``. Commits that did not touch the file cannot change its
        blame, so the work is keyed by the file's last change: a commit to another page costs
        no new ``git blame``.
        """
        revision = self.pages.read_page_as_of(page, commit)
        path = names.page_file(revision.page)
        last = self.history.last_change(revision.page, revision.commit)
        since = last.id if last is not None else revision.commit
        notes_tip = self.log.notes_tip()
        result = self._blames.get_or_compute((since, path, notes_tip),
                                             lambda: self._assemble(revision.page, since, path, notes_tip))
        return replace(result, commit=revision.commit)

    def _line_commits(self, commit: str, path: str) -> tuple[tuple[str, str], ...]:
        def load() -> tuple[tuple[str, str], ...]:
            output = self.reader.run("blame", "--porcelain", "-M", "-C", commit, "--", path).stdout
            found: list[tuple[str, str]] = []
            current = ""
            for raw in output.decode("utf-8", "replace").split("\n"):
                if raw.startswith("\t"):
                    found.append((current, raw[1:]))
                elif len(raw) > 41 and raw[40] == " " and HEX40.match(raw[:40]):
                    current = raw[:40]
            return tuple(found)

        return self._lines.get_or_compute((commit, path), load)

    def _assemble(self, page: str, commit: str, path: str, notes_tip: str) -> Blame:
        line_commits = self._line_commits(commit, path)
        infos = {commit_id: self.log.attribute(self.log.commit(commit_id), notes_tip)
                 for commit_id in {commit_id for commit_id, _ in line_commits}}
        blocks: list[BlameBlock] = []
        counts: Counter[str] = Counter()
        run: list[str] = []
        run_commit, run_start = "", 1
        for number, (commit_id, text) in enumerate(line_commits, start=1):
            if WORDS.search(text):  # blank lines and table rules are nobody's text
                counts[infos[commit_id].group] += 1
            if commit_id != run_commit and run:
                blocks.append(BlameBlock(infos[run_commit], run_start, tuple(run)))
                run = []
            if not run:
                run_commit, run_start = commit_id, number
            run.append(text)
        if run:
            blocks.append(BlameBlock(infos[run_commit], run_start, tuple(run)))
        total = sum(counts.values())
        shares = tuple(GroupShare(group, count, round(100 * count / total, 1) if total else 0.0)
                       for group, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        return Blame(page=page, commit=commit, blocks=tuple(blocks), shares=shares, total_lines=total)
