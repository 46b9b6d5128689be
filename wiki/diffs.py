"""Line diffs with the changed words marked, shaped for templates. No Flask, no Git.

A diff is a list of hunks; each hunk a list of :class:`DiffLine`. Changed lines that replace each
other are paired so the words that differ inside them can be highlighted, which is what a reader
of a negotiated text needs: "what exactly did they change in this sentence?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

CONTEXT_LINES = 3
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Segment:
    """A run of text inside a line; ``changed`` marks the words that differ."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: ``kind`` is ``context``, ``added`` or ``removed``."""

    kind: str
    old_number: int | None
    new_number: int | None
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class SplitRow:
    """One row of the side-by-side view: the old line on the left, the new on the right."""

    left: DiffLine | None
    right: DiffLine | None


@dataclass
class Diff:
    hunks: list[list[DiffLine]] = field(default_factory=list)
    added: int = 0
    removed: int = 0

    @property
    def unchanged(self) -> bool:
        return not self.hunks

    def split_hunks(self) -> list[list[SplitRow]]:
        """The hunks as rows of old|new pairs: removed lines beside the lines that replaced them."""
        return [_split(hunk) for hunk in self.hunks]


def _split(hunk: list[DiffLine]) -> list[SplitRow]:
    rows: list[SplitRow] = []
    removed: list[DiffLine] = []
    added: list[DiffLine] = []

    def flush() -> None:
        for index in range(max(len(removed), len(added))):
            rows.append(SplitRow(removed[index] if index < len(removed) else None,
                                 added[index] if index < len(added) else None))
        removed.clear()
        added.clear()

    for line in hunk:
        if line.kind == "removed":
            if added:
                flush()
            removed.append(line)
        elif line.kind == "added":
            added.append(line)
        else:
            flush()
            rows.append(SplitRow(line, line))
    flush()
    return rows


def word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Split two versions of a line into segments, marking the words that differ."""
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    old_segments: list[Segment] = []
    new_segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            old_segments.append(Segment("".join(old_tokens[i1:i2]), changed))
        if j2 > j1:
            new_segments.append(Segment("".join(new_tokens[j1:j2]), changed))
    return tuple(old_segments), tuple(new_segments)


def diff_texts(old: str, new: str, *, context: int = CONTEXT_LINES) -> Diff:
    """The line diff from ``old`` to ``new`` with word-level marks inside replaced lines."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    diff = Diff()
    for group in matcher.get_grouped_opcodes(context):
        hunk: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for offset in range(i2 - i1):
                    hunk.append(DiffLine("context", i1 + offset + 1, j1 + offset + 1,
                                         (Segment(old_lines[i1 + offset]),)))
                continue
            removed = old_lines[i1:i2]
            added = new_lines[j1:j2]
            paired = min(len(removed), len(added)) if tag == "replace" else 0
            removed_segments = []
            added_segments = []
            for index in range(paired):
                old_seg, new_seg = word_segments(removed[index], added[index])
                removed_segments.append(old_seg)
                added_segments.append(new_seg)
            removed_segments += [(Segment(line, True),) for line in removed[paired:]]
            added_segments += [(Segment(line, True),) for line in added[paired:]]
            for offset, segments in enumerate(removed_segments):
                hunk.append(DiffLine("removed", i1 + offset + 1, None, segments))
            for offset, segments in enumerate(added_segments):
                hunk.append(DiffLine("added", None, j1 + offset + 1, segments))
            diff.removed += len(removed)
            diff.added += len(added)
        diff.hunks.append(hunk)
    return diff
