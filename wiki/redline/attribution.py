"""Which commit inserted each word of the newer text, and which deleted each word of the older one.

The page's versions between X and Y (its lineage, parents first) are compared one commit at a
time with the commit's own parents: words a commit adds take its id; words of X that a commit
removes are marked deleted by it. A merge takes, for words absent from its first parent, the
origin they have in its second parent, so a proposal's words keep their drafter, not the merger.
Comparisons go by lines first and then by words inside the changed lines, so a long page with a
small change costs little. Pure Python: no Flask, no Git, no pandoc.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

TOKEN = re.compile(r"\w+|[^\w\s]|\s+", re.UNICODE)
WORD = re.compile(r"\w", re.UNICODE)
MAX_PAIR = 4_000_000  # tokens × tokens compared word by word in one changed region; beyond, all replaced


def tokens(text: str) -> list[str]:
    """Words, single punctuation marks and runs of white space, in order (their join is ``text``)."""
    return TOKEN.findall(text)


def _line_spans(items: Sequence[str]) -> list[tuple[int, int]]:
    """Token index ranges of the lines (a line ends after a token holding a newline)."""
    spans, start = [], 0
    for index, token in enumerate(items):
        if "\n" in token:
            spans.append((start, index + 1))
            start = index + 1
    if start < len(items):
        spans.append((start, len(items)))
    return spans


def match(old: Sequence[str], new: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of equal tokens, increasing in both: lines first, then words in changed lines."""
    old_lines, new_lines = _line_spans(old), _line_spans(new)
    old_keys = ["".join(old[a:b]) for a, b in old_lines]
    new_keys = ["".join(new[a:b]) for a, b in new_lines]
    pairs: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                (a, b), (c, _) = old_lines[i1 + offset], new_lines[j1 + offset]
                pairs.extend((a + k, c + k) for k in range(b - a))
        elif tag == "replace":
            a, b = old_lines[i1][0], old_lines[i2 - 1][1]
            c, d = new_lines[j1][0], new_lines[j2 - 1][1]
            if (b - a) * (d - c) <= MAX_PAIR:
                matcher = SequenceMatcher(None, old[a:b], new[c:d], autojunk=False)
                for block in matcher.get_matching_blocks():
                    pairs.extend((a + block.a + k, c + block.b + k) for k in range(block.size))
    return pairs


@dataclass
class Version:
    """One version's tokens; per token the commit that inserted it (``None``: it is X's) and the
    index of the token of X it is (``-1``: not one of X's)."""

    tokens: list[str]
    origin: list[str | None]
    source: list[int]


@dataclass(frozen=True)
class Attribution:
    """For the tokens of Y: who inserted each (``None``: it was in X); for the tokens of X: who
    deleted each (``None``: still in Y)."""

    new_tokens: list[str]
    inserted_by: list[str | None]
    old_tokens: list[str]
    deleted_by: list[str | None]


def attribute(old_text: str, steps: Sequence[tuple[str, tuple[str, ...], str]],
              parent_text: dict[str, str] | None = None, new_text: str | None = None) -> Attribution:
    """Attribute the change from ``old_text`` (X) through ``steps`` (commit id, parents, text after
    it; parents first) to the last step's text, or ``new_text`` (Y) when given.

    A parent that is not among the steps (the commit started before X, or is X) is read from
    ``parent_text`` when given, else taken to be X.
    """
    old = tokens(old_text)
    base = Version(old, [None] * len(old), list(range(len(old))))
    versions: dict[str, Version] = {}
    deleted_by: list[str | None] = [None] * len(old)
    current = base
    for commit, parents, text in steps:
        parent_versions = [versions.get(parent) or _outside(base, (parent_text or {}).get(parent)) for parent in
                           parents] or [base]
        current = _step(parent_versions, tokens(text), commit, deleted_by)
        versions[commit] = current
    if new_text is not None and "".join(current.tokens) != new_text:
        current = _step([current], tokens(new_text), None, deleted_by)
    for index in set(range(len(old))) - {source for source in current.source if source >= 0}:
        if deleted_by[index] is None:
            deleted_by[index] = steps[-1][0] if steps else None
    return Attribution(new_tokens=current.tokens, inserted_by=current.origin, old_tokens=old, deleted_by=deleted_by)


def _outside(base: Version, text: str | None) -> Version:
    """A parent outside the lineage: X itself, or a text matched against X (unknown words: no origin)."""
    if text is None or text == "".join(base.tokens):
        return base
    new = tokens(text)
    source = [-1] * len(new)
    for i, j in match(base.tokens, new):
        source[j] = i
    return Version(new, [None] * len(new), source)


def _step(parents: list[Version], new: list[str], commit: str | None, deleted_by: list[str | None]) -> Version:
    first = parents[0]
    origin: list[str | None] = [commit] * len(new)
    source = [-1] * len(new)
    kept = set()
    for i, j in match(first.tokens, new):
        origin[j], source[j] = first.origin[i], first.source[i]
        kept.add(i)
    for i, index in enumerate(first.source):  # X's words this commit removed from its first parent
        if index >= 0 and i not in kept and deleted_by[index] is None and commit is not None:
            deleted_by[index] = commit
    for other in parents[1:]:  # a merge: words new to the first parent come from the other side
        missing = [j for j in range(len(new)) if source[j] < 0 and origin[j] == commit]
        if not missing:
            break
        for i, j in match(other.tokens, new):
            if origin[j] == commit and source[j] < 0:
                origin[j], source[j] = other.origin[i], other.source[i]
    return Version(new, origin, source)
