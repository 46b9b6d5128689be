"""Snippets of a page around the words searched for, cut in time linear in the page.

FTS5 ranks (bm25, linear in the matches), but its ``snippet()`` takes time quadratic in a page's
matches (it scores every match against every other; ``highlight()`` copies its output at each):
a minute for 1 MB of ``[[a`` (issue 12). :func:`snippet` has the same shape and takes at most
linear time, usually a few milliseconds whatever the page. Pure: no Flask, no git, no SQLite.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .tokens import CJK_SEPARATOR, TOKEN, search_form

SNIPPET_TOKENS = 24
# Placing a snippet looks at no more than this many matches, and shows at most this many characters.
SNIPPET_MATCHES = 1_000
PHRASE_LEAD = 4  # the tokens of a phrase searched for; the rest are checked where those are found
SNIPPET_MAX_CHARS = 400
ELLIPSIS = "…"


@dataclass(frozen=True)
class Phrases:
    """The terms of a query as patterns that find their occurrences in :func:`search_form` text.

    ``finder`` finds where a phrase may start: the first :data:`PHRASE_LEAD` tokens of any of them,
    at the start of a token (its lookbehind follows the first character, so that the regex engine
    skips ahead to the characters that can start one). ``wholes[i]`` is phrase ``i``, tried where
    the finder stops, and has ``lengths[i]`` tokens; longer phrases come first, so where phrases
    overlap the longest is found. Tokens are literals and separator runs possessive: nothing
    backtracks, and the finder's time is linear in the text.
    """

    finder: re.Pattern[str] | None
    wholes: tuple[re.Pattern[str], ...]
    lengths: tuple[int, ...]

    @classmethod
    def of(cls, terms: Iterable[tuple[str, bool]]) -> Phrases:
        phrases = {}
        for text, prefix in terms:
            tokens = tuple(TOKEN.findall(search_form(text)))
            if tokens:
                phrases[tokens, prefix] = None
        ordered = sorted(phrases, key=lambda phrase: -len(phrase[0]))
        if not ordered:
            return cls(None, (), ())

        def pattern(tokens: tuple[str, ...], prefix: bool) -> str:
            return r"[\W_]++".join(map(re.escape, tokens)) + (r"[^\W_]*+" if prefix else "") + r"(?![^\W_])"

        leads = []
        for tokens, prefix in ordered:
            first = re.escape(tokens[0][0])
            lead = pattern(tokens[:PHRASE_LEAD], prefix and len(tokens) <= PHRASE_LEAD)
            leads.append(first + rf"(?<![^\W_]{first})" + lead[len(first):])
        return cls(re.compile("|".join(leads)), tuple(re.compile(pattern(*phrase)) for phrase in ordered),
                   tuple(len(tokens) for tokens, _ in ordered))

    def occurrences(self, text: str, low: int = 0, high: int | None = None) -> Iterator[tuple[int, int, int]]:
        """``(start, end, phrase)`` of each occurrence in ``text[low:high]``, in order, none overlapping.

        Stops after :data:`SNIPPET_MATCHES` places where one may start, so that a page with a
        million matches, or a million near misses of a long phrase, costs no more than a thousand.
        """
        if self.finder is None:
            return
        high = len(text) if high is None else high
        position = low
        for _ in range(SNIPPET_MATCHES):
            found = self.finder.search(text, position, high)
            if found is None:
                return
            start, position = found.start(), found.start() + 1
            for phrase, whole in enumerate(self.wholes):
                match = whole.match(text, start, high)
                if match:
                    yield start, match.end(), phrase
                    position = match.end()
                    break


def _token_start_before(text: str, position: int, count: int) -> int:
    """Where the ``count``-th token before ``position`` starts (the first token's start if fewer).

    Reads backwards in growing steps, so the time is linear in the distance gone back.
    """
    if count <= 0:
        return position
    width = 16 * count
    while True:
        low = max(0, position - width)
        starts = [match.start() for match in TOKEN.finditer(text, low, position)]
        if low > 0:
            starts = starts[1:]  # the first may be the end of a token that starts before ``low``
        if len(starts) >= count:
            return starts[-count]
        if low == 0:
            return starts[0] if starts else position
        width *= 4


def _best_window(text: str, phrases: Phrases) -> tuple[int, int]:
    """``(offset, tokens)``: where the best group of matches starts, and how many tokens it spans.

    The best group holds the most distinct phrases within :data:`SNIPPET_TOKENS` tokens, the first
    such; ``(0, 0)`` when ``text`` has none. Matches are read in order and the search stops at a
    group holding every phrase, or after :data:`SNIPPET_MATCHES` matches, so a page with a
    million matches costs no more than one with a thousand.
    """
    best = (0, 0, 0)  # (distinct phrases, offset, tokens)
    window: deque[tuple[int, int, int]] = deque()  # (first token, offset, phrase) of the matches in reach
    counts: Counter[int] = Counter()
    last, end = -1, 0  # the last token of the previous match and where it ends
    for start, stop, phrase in phrases.occurrences(text):
        # Token numbers are exact up to SNIPPET_TOKENS apart, which is all the window needs to know.
        gap = sum(1 for _ in itertools.islice(TOKEN.finditer(text, end, start), SNIPPET_TOKENS))
        first = last + 1 + gap
        last, end = first + phrases.lengths[phrase] - 1, stop
        window.append((first, start, phrase))
        counts[phrase] += 1
        while last - window[0][0] >= SNIPPET_TOKENS and len(window) > 1:
            counts[window[0][2]] -= 1
            if not counts[window[0][2]]:
                del counts[window[0][2]]
            window.popleft()
        if len(counts) > best[0]:
            best = (len(counts), window[0][1], last - window[0][0] + 1)
        if best[0] == len(phrases.lengths):
            break
    return best[1], best[2]


def snippet(body: str, phrases: Phrases) -> tuple[tuple[str, bool], ...]:
    """About :data:`SNIPPET_TOKENS` tokens of ``body`` around its best matches, as ``(text, marked)`` pieces.

    The shape of FTS5's ``snippet()``: the matches centred, an ellipsis where text is left out, a
    phrase marked as one piece; but in time linear in the page whatever it holds (usually far
    less: the first matches decide), and at most :data:`SNIPPET_MAX_CHARS` long.
    """
    text = search_form(body)
    anchor, span = _best_window(text, phrases)
    start = _token_start_before(text, anchor, (SNIPPET_TOKENS - span) // 2) if span else anchor
    tokens = list(itertools.islice(TOKEN.finditer(text, start), SNIPPET_TOKENS + 1))
    if len(tokens) < SNIPPET_TOKENS:  # near the end: show more of what comes before
        start = _token_start_before(text, start, SNIPPET_TOKENS - len(tokens))
        tokens = list(itertools.islice(TOKEN.finditer(text, start), SNIPPET_TOKENS + 1))
    if not tokens:
        return ()
    at_start = TOKEN.search(text, 0, tokens[0].start()) is None
    at_end = len(tokens) <= SNIPPET_TOKENS
    low = 0 if at_start else tokens[0].start()
    high = len(text) if at_end else tokens[SNIPPET_TOKENS - 1].end()
    if high - low > SNIPPET_MAX_CHARS:  # very long tokens or separators: keep the text about the match
        low = max(low, min(anchor - SNIPPET_MAX_CHARS // 4, high - SNIPPET_MAX_CHARS))
        high = low + SNIPPET_MAX_CHARS
        at_start, at_end = at_start and low == 0, at_end and high == len(text)
    pieces: list[tuple[str, bool]] = [(ELLIPSIS, False)] if not at_start else []
    for begin, stop, _phrase in phrases.occurrences(text, low, high):
        pieces += [(body[low:begin], False), (body[begin:stop], True)]
        low = stop
    pieces += [(body[low:high], False)] + ([(ELLIPSIS, False)] if not at_end else [])
    joined: list[tuple[str, bool]] = []
    for piece, marked in pieces:
        piece = piece.replace(CJK_SEPARATOR, "")
        if not piece:
            continue
        if joined and joined[-1][1] == marked:
            joined[-1] = (joined[-1][0] + piece, marked)
        else:
            joined.append((piece, marked))
    return tuple(joined)
