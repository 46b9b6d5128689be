"""Matching blocks of two sequences in bounded time, for :mod:`wiki.diffs`. No Flask, no Git.

Anyone can ask for a diff, so no comparison may run unbounded. Work is counted in units of about
one step of SequenceMatcher's inner loop (~0.1-0.2 µs) and charged to a :class:`Budget` before each
step, so no step runs past it. :func:`line_blocks` tries SequenceMatcher on all lines first; beyond
its budget, common leading and trailing lines are set aside and the rest is split at lines that
occur once in each version (patience diff), each part compared the same way; a part that still
cannot be compared within the budget is left unmatched, and the caller is told so.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from difflib import SequenceMatcher
from typing import Any

EXACT_LINE_BUDGET = 1_000_000  # SequenceMatcher over all lines, as for every ordinary page
FALLBACK_LINE_BUDGET = 2_000_000  # the patience split and the parts compared after it
SMALL_PART = 2_000  # lines in a part compared with SequenceMatcher before looking for unique lines
PART_BUDGET = 200_000  # such a part

Block = tuple[int, int, int]  # a[i:i+n] == b[j:j+n]
Opcode = tuple[str, int, int, int, int]  # as SequenceMatcher.get_opcodes gives them


Block = tuple[int, int, int]  # a[i:i+n] == b[j:j+n]


class OverBudget(Exception):
    """Raised before a step that would take more work than is left."""


class Budget:
    def __init__(self, units: int) -> None:
        self.left = units

    def spend(self, units: int) -> None:
        """Take ``units`` from what is left, or raise :class:`OverBudget` without taking any."""
        if units > self.left:
            raise OverBudget
        self.left -= units


class BoundedMatcher(SequenceMatcher):
    """SequenceMatcher without autojunk that charges each step's worst case to a budget first.

    ``find_longest_match(alo, ahi, ...)`` looks at every position in ``b`` of every item of
    ``a[alo:ahi]``; prefix sums of those counts give its cost before it runs.
    """

    def __init__(self, a: Sequence[Any], b: Sequence[Any], budget: Budget) -> None:
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


def exact_blocks(a: Sequence[Any], b: Sequence[Any], budget: Budget,
                  cap: int | None = None) -> list[Block] | None:
    """SequenceMatcher's matching blocks (without the final dummy), or ``None`` if over budget.

    With ``cap``, spends at most that much of ``budget``.
    """
    own = budget if cap is None else Budget(min(cap, budget.left))
    start = own.left
    try:
        return [tuple(block) for block in BoundedMatcher(a, b, own).get_matching_blocks()[:-1]]
    except OverBudget:
        return None
    finally:
        if own is not budget:
            budget.left -= start - own.left


def unique_anchors(a: Sequence[Any], alo: int, ahi: int, b: Sequence[Any], blo: int,
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


def patience_blocks(a: Sequence[Any], b: Sequence[Any], budget: Budget) -> tuple[list[Block], bool]:
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
            found = exact_blocks(a[alo:ahi], b[blo:bhi], budget, PART_BUDGET)
            if found is not None:
                blocks.extend((i + alo, j + blo, n) for i, j, n in found)
                continue
        try:
            budget.spend(3 * size)
        except OverBudget:
            coarse = True
            continue
        anchors = unique_anchors(a, alo, ahi, b, blo, bhi)
        if not anchors:
            found = exact_blocks(a[alo:ahi], b[blo:bhi], budget)
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
    return merged_blocks(blocks), coarse


def merged_blocks(blocks: list[Block]) -> list[Block]:
    """Blocks sorted, with adjacent ones joined (as SequenceMatcher returns them)."""
    merged: list[Block] = []
    for i, j, n in sorted(blocks):
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + n)
        else:
            merged.append((i, j, n))
    return merged


def opcodes(blocks: list[Block], len_a: int, len_b: int) -> list[Opcode]:
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


def grouped(codes: list[Opcode], context: int) -> Iterator[list[Opcode]]:
    """Like :meth:`SequenceMatcher.get_grouped_opcodes`: changes with ``context`` lines around."""
    if not codes:
        return
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append((tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def line_blocks(a: Sequence[str], b: Sequence[str]) -> tuple[list[Block], bool]:
    """Matching blocks of two lists of lines in bounded time, and whether some part is coarse."""
    found = exact_blocks(a, b, Budget(EXACT_LINE_BUDGET))
    if found is not None:
        return found, False
    return patience_blocks(a, b, Budget(FALLBACK_LINE_BUDGET))
