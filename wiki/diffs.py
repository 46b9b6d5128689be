"""Line diffs with the changed words marked, shaped for templates. No Flask, no Git.

A diff is a list of hunks; each hunk a list of :class:`DiffLine`. Changed lines that replace each
other are paired so the words that differ inside them can be highlighted, which is what a reader
of a negotiated text needs: "what exactly did they change in this sentence?".

Every diff takes bounded time whatever the texts, because anyone can ask for one. Lines are
matched by :mod:`wiki.matching` within a budget; a part it cannot compare within it is shown as
wholly replaced.
Words are marked only in the lines shown, under a budget per pair of lines and one per diff; a
line beyond them is marked as changed between its common start and end. A diff made coarser so
has :attr:`Diff.notices` saying so, and at most ``max_lines`` lines are shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import N_
from .matching import Block, Budget, exact_blocks, grouped, line_blocks, merged_blocks, opcodes

CONTEXT_LINES = 3
MAX_LINES = 10_000  # diff lines built for display; the counts still cover the whole diff
# Budgets in units of about one step of SequenceMatcher's inner loop (see wiki.matching).
WORD_PAIR_BUDGET = 100_000  # one pair of lines
WORD_BUDGET = 1_500_000  # all pairs of one diff
PAIR_OVERHEAD = 200  # the fixed cost of comparing a pair of lines, in the same units
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)

# English templates marked for extraction; the page translates them when it shows them (see Notice).
NOTICE_COARSE_LINES = N_("Parts of these versions are too long or too different to compare line by line "
                         "quickly; they are shown as wholly removed and added.")
NOTICE_COARSE_WORDS = N_("Some changed lines are too long or too many to mark each changed word; the changed "
                         "part of those lines is marked as a whole.")
NOTICE_TRUNCATED = N_("This diff is too long to show in full; only its first %(lines)s lines are shown.")


@dataclass(frozen=True)
class Notice:
    """A sentence telling the reader how a diff was made coarser: ``text`` is an English template
    (one of the ``NOTICE_*``), translated where it is shown, in the reader's language; ``lines``
    fills its ``%(lines)s``, formatted for the reader's locale there too. The count is always many
    (``max_lines``), so the template has one form and translations need not agree with it."""

    text: str
    lines: int = 0


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
    """Hunks of lines, counts of added and removed lines, and flags for a coarser diff.

    ``coarse_lines``: some replaced lines may include unchanged ones (too costly to compare);
    ``coarse_words``: some changed lines have their changed part marked as a whole;
    ``truncated``: only the first lines of the diff are in ``hunks`` (the counts are complete).
    """

    hunks: list[list[DiffLine]] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    coarse_lines: bool = False
    coarse_words: bool = False
    truncated: bool = False
    shown: int = 0

    @property
    def unchanged(self) -> bool:
        return not self.hunks

    @property
    def coarse(self) -> bool:
        """Whether the diff is less precise or less complete than an ordinary one."""
        return self.coarse_lines or self.coarse_words or self.truncated

    @property
    def notices(self) -> tuple[Notice, ...]:
        """What to tell the reader about how the diff was made coarser, if it was (untranslated)."""
        notices = []
        if self.coarse_lines:
            notices.append(Notice(NOTICE_COARSE_LINES))
        if self.coarse_words:
            notices.append(Notice(NOTICE_COARSE_WORDS))
        if self.truncated:
            notices.append(Notice(NOTICE_TRUNCATED, lines=self.shown))
        return tuple(notices)

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


# ---------------------------------------------------------------------- words

def _segments(old_tokens: list[str], new_tokens: list[str],
              blocks: list[Block]) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    old_segments: list[Segment] = []
    new_segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in opcodes(blocks, len(old_tokens), len(new_tokens)):
        changed = tag != "equal"
        if i2 > i1:
            old_segments.append(Segment("".join(old_tokens[i1:i2]), changed))
        if j2 > j1:
            new_segments.append(Segment("".join(new_tokens[j1:j2]), changed))
    return tuple(old_segments), tuple(new_segments)


def _word_segments(old: str, new: str,
                   budget: Budget) -> tuple[tuple[Segment, ...], tuple[Segment, ...], bool]:
    """Segments of two versions of a line, and whether the changed part was marked as a whole.

    Takes its work from ``budget``; with none left, only the common start and end are found.
    """
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    pair = Budget(max(0, min(WORD_PAIR_BUDGET, budget.left - PAIR_OVERHEAD)))
    start = pair.left
    blocks = exact_blocks(old_tokens, new_tokens, pair)
    coarse = False
    if blocks is None:  # set the common start and end aside, compare the rest or mark it whole
        end = min(len(old_tokens), len(new_tokens))
        head = 0
        while head < end and old_tokens[head] == new_tokens[head]:
            head += 1
        tail = 0
        while tail < end - head and old_tokens[-1 - tail] == new_tokens[-1 - tail]:
            tail += 1
        old_middle = old_tokens[head:len(old_tokens) - tail]
        new_middle = new_tokens[head:len(new_tokens) - tail]
        middle = exact_blocks(old_middle, new_middle, pair) if old_middle and new_middle else []
        if middle is None:
            coarse, middle = True, []
        blocks = [(0, 0, head)] if head else []
        blocks += [(i + head, j + head, n) for i, j, n in middle]
        if tail:
            blocks.append((len(old_tokens) - tail, len(new_tokens) - tail, tail))
        blocks = merged_blocks(blocks)
    budget.left = max(0, budget.left - PAIR_OVERHEAD - (start - pair.left))
    old_segments, new_segments = _segments(old_tokens, new_tokens, blocks)
    return old_segments, new_segments, coarse


def word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Split two versions of a line into segments, marking the words that differ (bounded time)."""
    old_segments, new_segments, _coarse = _word_segments(old, new, Budget(WORD_BUDGET))
    return old_segments, new_segments


# ---------------------------------------------------------------------- diffs

def diff_texts(old: str, new: str, *, context: int = CONTEXT_LINES, max_lines: int | None = MAX_LINES) -> Diff:
    """The line diff from ``old`` to ``new`` with word-level marks inside replaced lines.

    Takes bounded time for any texts (see the module's docstring); builds at most ``max_lines``
    lines (``None``: all of them) but counts every added and removed line.
    """
    old_lines, new_lines = old.splitlines(), new.splitlines()
    blocks, coarse_lines = line_blocks(old_lines, new_lines)
    diff = Diff(coarse_lines=coarse_lines)
    words = Budget(WORD_BUDGET)
    room = len(old_lines) + len(new_lines) if max_lines is None else max_lines
    for group in grouped(opcodes(blocks, len(old_lines), len(new_lines)), context):
        hunk: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag != "equal":
                diff.removed += i2 - i1
                diff.added += j2 - j1
            if diff.truncated:
                continue
            space = room - diff.shown - len(hunk)
            if tag == "equal":
                shown = min(i2 - i1, space)
                diff.truncated = shown < i2 - i1
                hunk.extend(DiffLine("context", i1 + offset + 1, j1 + offset + 1, (Segment(old_lines[i1 + offset]),))
                            for offset in range(shown))
                continue
            removed = old_lines[i1:i1 + min(i2 - i1, max(space // 2, space - (j2 - j1)))]  # both halves
            added = new_lines[j1:j1 + min(j2 - j1, space - len(removed))]
            diff.truncated = len(removed) < i2 - i1 or len(added) < j2 - j1
            paired = min(len(removed), len(added)) if tag == "replace" else 0
            removed_segments = []
            added_segments = []
            for index in range(paired):
                old_seg, new_seg, coarse = _word_segments(removed[index], added[index], words)
                diff.coarse_words |= coarse
                removed_segments.append(old_seg)
                added_segments.append(new_seg)
            removed_segments += [(Segment(line, True),) for line in removed[paired:]]
            added_segments += [(Segment(line, True),) for line in added[paired:]]
            for offset, segments in enumerate(removed_segments):
                hunk.append(DiffLine("removed", i1 + offset + 1, None, segments))
            for offset, segments in enumerate(added_segments):
                hunk.append(DiffLine("added", None, j1 + offset + 1, segments))
        if hunk:
            diff.shown += len(hunk)
            diff.hunks.append(hunk)
    return diff
