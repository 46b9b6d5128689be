"""Contributions: per stakeholder group and per user, commits, pages touched and lines changed,
by month; kept for a tip and brought forward with ``git log --numstat OLD..NEW``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .. import names
from .cache import LRUCache
from .gitlog import GitLog, NumStat
from .reader import Reader
from .types import Contributions, Tally


@dataclass
class _Tally:
    """Running totals for one group or user."""

    commits: int = 0
    added: int = 0
    removed: int = 0
    pages: set[str] = field(default_factory=set)
    months: dict[str, list[int]] = field(default_factory=dict)  # month -> [commits, added, removed]


@dataclass
class _State:
    head: str
    notes_tip: str
    groups: dict[str, _Tally] = field(default_factory=dict)
    users: dict[str, _Tally] = field(default_factory=dict)


class ContributionCounter:
    """The contributions summary, cached by the branch tip and the attribution notes' tip."""

    def __init__(self, reader: Reader, log: GitLog) -> None:
        self.reader = reader
        self.log = log
        self._summaries: LRUCache[tuple[str, str], Contributions] = LRUCache(4)
        self._state: _State | None = None
        self._lock = threading.Lock()

    def contributions(self, head: str | None) -> Contributions:
        """Only the first call walks the whole history; later ones add the new commits."""
        if head is None:
            return Contributions(head="", groups=(), users=(), months=())
        notes_tip = self.log.notes_tip()
        return self._summaries.get_or_compute((head, notes_tip), lambda: self._summarize(head, notes_tip))

    def _summarize(self, head: str, notes_tip: str) -> Contributions:
        with self._lock:
            state = self._state
            if state is not None and (state.notes_tip != notes_tip
                                      or (state.head != head and not self.reader.is_ancestor(state.head, head))):
                state = None
            if state is None:
                state = _State(head, notes_tip)
                self._add(state, [head])
            elif state.head != head:
                self._add(state, [f"{state.head}..{head}"])
                state.head = head
            self._state = state
            groups = tuple(_freeze(key, tally) for key, tally in sorted(state.groups.items()))
            users = tuple(_freeze(key, tally) for key, tally in sorted(state.users.items()))
        months = sorted({month for tally in (*groups, *users) for month, *_ in tally.months})
        return Contributions(head=head, groups=groups, users=users, months=tuple(months))

    def _add(self, state: _State, revs: list[str]) -> None:
        for entry in self.log.iter_log(*revs, "--", files="numstat"):
            commit = self.log.attribute(entry.commit, state.notes_tip)
            month = datetime.fromtimestamp(commit.timestamp, UTC).strftime("%Y-%m")
            added = removed = 0
            pages: set[str] = set()
            for file in entry.files:
                page = names.page_from_file(file.path) if isinstance(file, NumStat) else None
                if page is None or not isinstance(file, NumStat):
                    continue
                pages.add(page)
                added += max(file.added, 0)
                removed += max(file.removed, 0)
            for table, key in ((state.groups, commit.group or "(none)"), (state.users, commit.username or "(none)")):
                tally = table.setdefault(key, _Tally())
                tally.commits += 1
                tally.added += added
                tally.removed += removed
                tally.pages |= pages
                bucket = tally.months.setdefault(month, [0, 0, 0])
                bucket[0] += 1
                bucket[1] += added
                bucket[2] += removed


def _freeze(key: str, tally: _Tally) -> Tally:
    return Tally(key=key, commits=tally.commits, pages=len(tally.pages), added=tally.added, removed=tally.removed,
                 months=tuple((month, *values) for month, values in sorted(tally.months.items())))
