"""Line diffs with the changed words marked, shaped for templates. No Flask, no Git.

A diff is a list of hunks; each hunk a list of :class:`DiffLine`. Changed lines that replace each
other are paired so the words that differ inside them can be highlighted, which is what a reader
of a negotiated text needs: "what exactly did they change in this sentence?".

Every diff takes bounded time whatever the texts, because anyone can ask for one. Lines are
matched with :class:`difflib.SequenceMatcher` while its work stays within a budget (counted before
each step, so no step runs past it); beyond that, common leading and trailing lines are set aside
and the rest is split at lines that occur once in each version (patience diff), each part compared
the same way; a part that still cannot be compared within the budget is shown as wholly replaced.
Words are marked only in the lines shown, under a budget per pair of lines and one per diff; a
line beyond them is marked as changed between its common start and end. A diff made coarser so
has :attr:`Diff.notices` saying so, and at most ``max_lines`` lines are shown.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

CONTEXT_LINES = 3
MAX_LINES = 10_000  # diff lines built for display; the counts still cover the whole diff
# Budgets in units of about one step of SequenceMatcher's inner loop (~0.1-0.2 µs).
EXACT_LINE_BUDGET = 1_000_000  # SequenceMatcher over all lines, as for every ordinary page
FALLBACK_LINE_BUDGET = 2_000_000  # the patience split and the parts compared after it
WORD_PAIR_BUDGET = 100_000  # one pair of lines
WORD_BUDGET = 1_500_000  # all pairs of one diff
SMALL_PART = 2_000  # lines in a part compared with SequenceMatcher before looking for unique lines
PART_BUDGET = 200_000  # such a part
PAIR_OVERHEAD = 200  # the fixed cost of comparing a pair of lines, in the same units
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)

NOTICE_COARSE_LINES = ("Parts of these versions are too long or too different to compare line by line "
                       "quickly; they are shown as wholly removed and added.")
NOTICE_COARSE_WORDS = ("Some changed lines are too long or too many to mark each changed word; the changed "
                       "part of those lines is marked as a whole.")
NOTICE_TRUNCATED = "This diff is too long to show in full; only its first {shown:,} lines are shown."


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
    def notices(self) -> tuple[str, ...]:
        """Sentences for the reader saying how the diff was made coarser, if it was."""
        notices = []
        if self.coarse_lines:
            notices.append(NOTICE_COARSE_LINES)
        if self.coarse_words:
            notices.append(NOTICE_COARSE_WORDS)
        if self.truncated:
            notices.append(NOTICE_TRUNCATED.format(shown=self.shown))
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


# ---------------------------------------------------------------------- bounded matching

Block = tuple[int, int, int]  # a[i:i+n] == b[j:j+n]


class _OverBudget(Exception):
    """Raised before a step that would take more work than is left."""


class _Budget:
    def __init__(self, units: int) -> None:
        self.left = units

    def spend(self, units: int) -> None:
        """Take ``units`` from what is left, or raise :class:`_OverBudget` without taking any."""
        if units > self.left:
            raise _OverBudget
        self.left -= units


class _BoundedMatcher(SequenceMatcher):
    """SequenceMatcher without autojunk that charges each step's worst case to a budget first.

    ``find_longest_match(alo, ahi, ...)`` looks at every position in ``b`` of every item of
    ``a[alo:ahi]``; prefix sums of those counts give its cost before it runs.
    """

    def __init__(self, a: Sequence[Any], b: Sequence[Any], budget: _Budget) -> None:
        budget.spend(len(a) + len(b) + 1)
        super().__init__(None, a, b, autojunk=False)
        self._budget = budget
        b2j = self.b2j
        total, costs = 0, [0]
        for item in a:
            positions = b2j.get(item)
            if positions is not None:
                total += len(positions)
            costs.append(total)
        self._costs = costs

    def find_longest_match(self, alo: int = 0, ahi: int | None = None, blo: int = 0,
                           bhi: int | None = None) -> Any:
        ahi = len(self.a) if ahi is None else ahi
        self._budget.spend(self._costs[ahi] - self._costs[alo] + ahi - alo + 1)
        return super().find_longest_match(alo, ahi, blo, bhi)


def _exact_blocks(a: Sequence[Any], b: Sequence[Any], budget: _Budget,
                  cap: int | None = None) -> list[Block] | None:
    """SequenceMatcher's matching blocks (without the final dummy), or ``None`` if over budget.

    With ``cap``, spends at most that much of ``budget``.
    """
    own = budget if cap is None else _Budget(min(cap, budget.left))
    start = own.left
    try:
        return [tuple(block) for block in _BoundedMatcher(a, b, own).get_matching_blocks()[:-1]]
    except _OverBudget:
        return None
    finally:
        if own is not budget:
            budget.left -= start - own.left


def _unique_anchors(a: Sequence[Any], alo: int, ahi: int, b: Sequence[Any], blo: int,
                    bhi: int) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of lines that occur once in each range, longest run in order (patience)."""
    in_a: dict[Any, int] = {}
    for i in range(alo, ahi):
        in_a[a[i]] = -1 if a[i] in in_a else i
    in_b: dict[Any, int] = {}
    for j in range(blo, bhi):
        line = b[j]
        if in_a.get(line, -1) >= 0:
            in_b[line] = -1 if line in in_b else j
    pairs = [(in_a[line], j) for line, j in in_b.items() if j >= 0]
    pairs.sort(key=lambda pair: pair[1])
    tails: list[int] = []  # per length, the pair index ending the best run so far
    tail_i: list[int] = []
    previous = [-1] * len(pairs)
    for index, (i, _j) in enumerate(pairs):
        length = bisect_left(tail_i, i)
        if length:
            previous[index] = tails[length - 1]
        if length == len(tails):
            tails.append(index)
            tail_i.append(i)
        else:
            tails[length] = index
            tail_i[length] = i
    run = []
    index = tails[-1] if tails else -1
    while index >= 0:
        run.append(pairs[index])
        index = previous[index]
    run.reverse()
    return run


def _patience_blocks(a: Sequence[Any], b: Sequence[Any], budget: _Budget) -> tuple[list[Block], bool]:
    """Matching blocks found within ``budget``, and whether some part was left unmatched for lack of it."""
    blocks: list[Block] = []
    coarse = False
    regions = [(0, len(a), 0, len(b))]
    while regions:
        alo, ahi, blo, bhi = regions.pop()
        start = alo
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            alo += 1
            blo += 1
        if alo > start:
            blocks.append((start, blo - (alo - start), alo - start))
        end = ahi
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi -= 1
            bhi -= 1
        if ahi < end:
            blocks.append((ahi, bhi, end - ahi))
        if alo == ahi or blo == bhi:
            continue
        size = ahi - alo + bhi - blo
        if size <= SMALL_PART:
            found = _exact_blocks(a[alo:ahi], b[blo:bhi], budget, PART_BUDGET)
            if found is not None:
                blocks.extend((i + alo, j + blo, n) for i, j, n in found)
                continue
        try:
            budget.spend(3 * size)
        except _OverBudget:
            coarse = True
            continue
        anchors = _unique_anchors(a, alo, ahi, b, blo, bhi)
        if not anchors:
            found = _exact_blocks(a[alo:ahi], b[blo:bhi], budget)
            if found is None:
                coarse = True
            else:
                blocks.extend((i + alo, j + blo, n) for i, j, n in found)
            continue
        previous_i, previous_j = alo, blo
        for i, j in anchors:
            blocks.append((i, j, 1))
            regions.append((previous_i, i, previous_j, j))
            previous_i, previous_j = i + 1, j + 1
        regions.append((previous_i, ahi, previous_j, bhi))
    return _merged(blocks), coarse


def _merged(blocks: list[Block]) -> list[Block]:
    """Blocks sorted, with adjacent ones joined (as SequenceMatcher returns them)."""
    merged: list[Block] = []
    for i, j, n in sorted(blocks):
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + n)
        else:
            merged.append((i, j, n))
    return merged


def _opcodes(blocks: list[Block], len_a: int, len_b: int) -> list[tuple[str, int, int, int, int]]:
    """Like :meth:`SequenceMatcher.get_opcodes`, from matching blocks."""
    codes = []
    i = j = 0
    for ai, bj, size in [*blocks, (len_a, len_b, 0)]:
        tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert" if j < bj else ""
        if tag:
            codes.append((tag, i, ai, j, bj))
        i, j = ai + size, bj + size
        if size:
            codes.append(("equal", ai, i, bj, j))
    return codes


def _grouped(codes: list[tuple[str, int, int, int, int]],
             context: int) -> Iterator[list[tuple[str, int, int, int, int]]]:
    """Like :meth:`SequenceMatcher.get_grouped_opcodes`: changes with ``context`` lines around."""
    if not codes:
        return
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)
    group: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append((tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def _line_blocks(a: Sequence[str], b: Sequence[str]) -> tuple[list[Block], bool]:
    """Matching blocks of two lists of lines in bounded time, and whether some part is coarse."""
    found = _exact_blocks(a, b, _Budget(EXACT_LINE_BUDGET))
    if found is not None:
        return found, False
    return _patience_blocks(a, b, _Budget(FALLBACK_LINE_BUDGET))


# ---------------------------------------------------------------------- words

def _segments(old_tokens: list[str], new_tokens: list[str],
              blocks: list[Block]) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    old_segments: list[Segment] = []
    new_segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in _opcodes(blocks, len(old_tokens), len(new_tokens)):
        changed = tag != "equal"
        if i2 > i1:
            old_segments.append(Segment("".join(old_tokens[i1:i2]), changed))
        if j2 > j1:
            new_segments.append(Segment("".join(new_tokens[j1:j2]), changed))
    return tuple(old_segments), tuple(new_segments)


def _word_segments(old: str, new: str,
                   budget: _Budget) -> tuple[tuple[Segment, ...], tuple[Segment, ...], bool]:
    """Segments of two versions of a line, and whether the changed part was marked as a whole.

    Takes its work from ``budget``; with none left, only the common start and end are found.
    """
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    pair = _Budget(max(0, min(WORD_PAIR_BUDGET, budget.left - PAIR_OVERHEAD)))
    start = pair.left
    blocks = _exact_blocks(old_tokens, new_tokens, pair)
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
        middle = _exact_blocks(old_middle, new_middle, pair) if old_middle and new_middle else []
        if middle is None:
            coarse, middle = True, []
        blocks = [(0, 0, head)] if head else []
        blocks += [(i + head, j + head, n) for i, j, n in middle]
        if tail:
            blocks.append((len(old_tokens) - tail, len(new_tokens) - tail, tail))
        blocks = _merged(blocks)
    budget.left = max(0, budget.left - PAIR_OVERHEAD - (start - pair.left))
    old_segments, new_segments = _segments(old_tokens, new_tokens, blocks)
    return old_segments, new_segments, coarse


def word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Split two versions of a line into segments, marking the words that differ (bounded time)."""
    old_segments, new_segments, _coarse = _word_segments(old, new, _Budget(WORD_BUDGET))
    return old_segments, new_segments


# ---------------------------------------------------------------------- diffs

def diff_texts(old: str, new: str, *, context: int = CONTEXT_LINES, max_lines: int | None = MAX_LINES) -> Diff:
    """The line diff from ``old`` to ``new`` with word-level marks inside replaced lines.

    Takes bounded time for any texts (see the module's docstring); builds at most ``max_lines``
    lines (``None``: all of them) but counts every added and removed line.
    """
    old_lines, new_lines = old.splitlines(), new.splitlines()
    blocks, coarse_lines = _line_blocks(old_lines, new_lines)
    diff = Diff(coarse_lines=coarse_lines)
    words = _Budget(WORD_BUDGET)
    room = len(old_lines) + len(new_lines) if max_lines is None else max_lines
    for group in _grouped(_opcodes(blocks, len(old_lines), len(new_lines)), context):
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
