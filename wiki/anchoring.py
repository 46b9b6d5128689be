"""Finding a quoted passage again after the page changed.

In order: the exact quote (several occurrences are told apart by the text around them and by the
position the history maps them to); the passage's place mapped through the difference between
the text it was quoted from and the current one, if it still reads the same; the old position, if
the quote is still there; and a close fuzzy match in the mapped region. When none is found, the
thread is outdated. Pure functions on plain text (see :mod:`wiki.passages`).

Every comparison charges the caller's :class:`~wiki.budget.Budget` before it starts (``None``: no
limit), so a page with hundreds of long quotes cannot hold a request past its budget: the caller
gets :class:`~wiki.budget.OverBudget` and finds the rest later. A long passage is compared word
by word rather than character by character: as telling, and far cheaper (the character
comparison is quadratic: a 2,000-character quote against its region took a quarter of a second).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

from .budget import Budget

FUZZY_RATIO = 0.6  # how close a changed passage must stay to its quote to keep its thread
CHARACTER_COMPARISON_MAX = 250_000  # quote × region lengths compared character by character; beyond, by words
SEARCH_COST = 100  # characters searched (in C) per budget unit (about one comparison in Python)


@dataclass(frozen=True)
class Located:
    start: int
    end: int
    how: str  # exact, mapped, position or fuzzy


def occurrences(text: str, quote: str) -> list[int]:
    found, start = [], text.find(quote)
    while start != -1:
        found.append(start)
        start = text.find(quote, start + 1)
    return found


def context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> int:
    """How many characters of the remembered context still surround ``text[start:end]``."""
    before = text[max(0, start - len(prefix)):start]
    after = text[end:end + len(suffix)]
    score = 0
    for a, b in zip(reversed(before), reversed(prefix), strict=False):
        if a != b:
            break
        score += 1
    for a, b in zip(after, suffix, strict=False):
        if a != b:
            break
        score += 1
    return score


MAX_REGION_WORDS = 3_000  # words per side of one changed region compared word by word


class OffsetMap:
    """Maps offsets of an old text onto a new one through their difference: paragraph by paragraph
    (``old_spans``/``new_spans``, each paragraph's (start, end)), then word by word inside the
    paragraphs that changed, each region bounded so a 1 MB page costs linear time."""

    def __init__(self, old: str, new: str, old_spans: list[tuple[int, int]] | None = None,
                 new_spans: list[tuple[int, int]] | None = None, budget: Budget | None = None) -> None:
        self.old, self.new = old, new
        self.budget = budget
        old_spans = old_spans or [(0, len(old))]
        new_spans = new_spans or [(0, len(new))]
        if budget is not None:
            budget.charge(len(old_spans) * len(new_spans) // 10 + (len(old) + len(new)) // SEARCH_COST)
        self._pairs: list[tuple[int, int, int]] = []  # (old start, new start, length) of equal runs
        paragraphs = SequenceMatcher(None, [old[a:b] for a, b in old_spans], [new[a:b] for a, b in new_spans],
                                     autojunk=False)
        for tag, i1, i2, j1, j2 in paragraphs.get_opcodes():
            if tag == "equal":
                for (old_start, old_end), (new_start, _) in zip(old_spans[i1:i2], new_spans[j1:j2], strict=True):
                    self._pairs.append((old_start, new_start, old_end - old_start))
            elif tag == "replace":
                self._match_words(old_spans[i1][0], old_spans[i2 - 1][1], new_spans[j1][0], new_spans[j2 - 1][1])
        self._pair_starts = [pair[0] for pair in self._pairs]

    def _match_words(self, old_start: int, old_end: int, new_start: int, new_end: int) -> None:
        old_parts = _split_words(self.old[old_start:old_end])
        new_parts = _split_words(self.new[new_start:new_end])
        if not old_parts or not new_parts or max(len(old_parts), len(new_parts)) > MAX_REGION_WORDS:
            return  # too large to compare word by word: its passages are found by quote or fuzzily
        if self.budget is not None:
            self.budget.charge(len(old_parts) * len(new_parts))
        matcher = SequenceMatcher(None, [word for _, word in old_parts], [word for _, word in new_parts],
                                  autojunk=False)
        for a, b, size in matcher.get_matching_blocks():
            if size:
                first = old_parts[a][0]
                last = old_parts[a + size - 1][0] + len(old_parts[a + size - 1][1])
                self._pairs.append((old_start + first, new_start + new_parts[b][0], last - first))

    def map(self, offset: int) -> int | None:
        """Where ``offset`` is in the new text, or ``None`` when that text was changed."""
        index = bisect_right(self._pair_starts, offset) - 1
        if index < 0:
            return None
        old_start, new_start, length = self._pairs[index]
        if offset - old_start > length:
            return None
        return new_start + offset - old_start

    def map_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The new span of ``old[start:end]``: its ends mapped, or those of the nearest unchanged words."""
        if not self._pairs:
            return None
        new_start = self.map(start)
        new_end = self.map(end)
        if new_start is None:
            new_start = self._nearest(start, before=True)
        if new_end is None:
            new_end = self._nearest(end, before=False)
        if new_start is None or new_end is None or new_end < new_start:
            return None
        return new_start, new_end

    def _nearest(self, offset: int, *, before: bool) -> int | None:
        index = bisect_right(self._pair_starts, offset) - 1
        if before:
            if index < 0:
                return 0
            old_start, new_start, length = self._pairs[index]
            return new_start + min(length, offset - old_start)
        if index + 1 < len(self._pairs):
            return self._pairs[index + 1][1]
        return len(self.new)


def _split_words(text: str) -> list[tuple[int, str]]:
    words, start = [], 0
    for part in text.split(" "):
        if part:
            words.append((start, part))
        start += len(part) + 1
    return words


def locate(quote: str, prefix: str, suffix: str, position: int, new: str,
           offsets: Callable[[], OffsetMap | None], budget: Budget | None = None) -> Located | None:
    """Where the passage ``quote`` (at ``position`` of the old text) is in ``new``, or ``None``.

    ``offsets`` gives the map from the old text to ``new`` (``None`` when they are the same); it
    is called only when the quote is not found exactly once, as it costs a comparison.
    Raises :class:`~wiki.budget.OverBudget` when ``budget`` cannot pay for the next step.
    """
    if not quote:
        return None
    if budget is not None:
        budget.charge(len(new) // SEARCH_COST + 1)
    found = occurrences(new, quote)
    if len(found) == 1:
        return Located(found[0], found[0] + len(quote), "exact")
    offset_map = offsets()
    mapped = offset_map.map_span(position, position + len(quote)) if offset_map is not None else None
    if found:
        near = mapped[0] if mapped else position
        best = max(found, key=lambda start: (context_score(new, start, start + len(quote), prefix, suffix),
                                             -abs(start - near)))
        return Located(best, best + len(quote), "exact")
    if mapped is not None:
        start, end = mapped
        if new[start:end] == quote:
            return Located(start, end, "mapped")
    if new[position:position + len(quote)] == quote:
        return Located(position, position + len(quote), "position")
    return _fuzzy(quote, prefix, suffix, new, mapped, budget)


def _fuzzy(quote: str, prefix: str, suffix: str, new: str, mapped: tuple[int, int] | None,
           budget: Budget | None) -> Located | None:
    """The passage as edited: the mapped region, or the text between the remembered context, if it
    is still close to the quote."""
    candidates: list[tuple[int, int]] = []
    if mapped is not None:
        candidates.append(mapped)
    if prefix and suffix:
        before, after = new.find(prefix), -1
        if before != -1:
            after = new.find(suffix, before + len(prefix))
        if before != -1 and after != -1 and after - before < 3 * len(quote) + len(prefix) + 200:
            candidates.append((before + len(prefix), after))
    best: Located | None = None
    best_ratio = FUZZY_RATIO
    for start, end in candidates:
        start, end = _trim(new, start, end)
        if end <= start or end - start > 3 * len(quote) + 50:
            continue
        ratio = similarity(quote, new[start:end], best_ratio, budget)
        if ratio >= best_ratio:
            best, best_ratio = Located(start, end, "fuzzy"), ratio
    return best


def similarity(quote: str, text: str, at_least: float, budget: Budget | None = None) -> float:
    """How alike ``quote`` and ``text`` are (0 to 1; 0 when surely under ``at_least``): character
    by character for short passages, word by word for long ones."""
    if len(quote) * len(text) <= CHARACTER_COMPARISON_MAX:
        matcher = SequenceMatcher(None, quote, text, autojunk=False)
        units = len(quote) * len(text)
    else:
        quote_words, text_words = quote.split(" "), text.split(" ")
        matcher = SequenceMatcher(None, quote_words, text_words, autojunk=False)
        units = len(quote_words) * len(text_words)
    if matcher.real_quick_ratio() < at_least or matcher.quick_ratio() < at_least:
        return 0.0  # cheap upper bounds first: ratio() is quadratic in the worst case
    if budget is not None:
        budget.charge(units)
    return matcher.ratio()


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    return start, end
