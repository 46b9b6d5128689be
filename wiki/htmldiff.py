"""Rendered diffs (issue 29): the new version of a page as formatted HTML, with the words inserted
marked ``<ins>`` and the words deleted shown in place as ``<del>``, for readers who do not read
Markdown. A pure leaf: two sanitized HTML strings in, one HTML string out.

Both versions are cut into tokens (tags, words, spaces). Top-level blocks (paragraphs, headings,
lists, tables) are matched first; inside blocks that changed, words are matched. Every tag of the
answer comes from the new version, in order (equal and inserted tokens are the new version's;
deleted tags are dropped), so the answer is as well formed as the new version. Deleted words go
where text may stand: inside a table row or a list they wait for the next cell or item. Word
matching is budgeted; a pair of blocks past the budget is shown as wholly deleted and inserted,
and the answer says so (:attr:`RenderedDiff.whole_blocks`), so the page can tell its reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

TOKEN_RE = re.compile(r"<[^>]*>|[^<\s]+|\s+")
TAG_NAME_RE = re.compile(r"</?([a-zA-Z0-9]+)")
VOID = frozenset({"br", "hr", "img", "input", "col", "wbr", "source", "meta", "link"})
NO_TEXT = frozenset({"table", "thead", "tbody", "tfoot", "tr", "ul", "ol", "colgroup"})  # text may not stand here
WORD_BUDGET = 2_000_000  # tokens compared word by word, as len(a) * len(b) summed over block pairs
BLOCK_PAIR_LIMIT = 250_000  # one pair of blocks compared word by word at most this big (len(a) * len(b))


@dataclass(frozen=True)
class RenderedDiff:
    html: str
    inserted: int  # words inserted
    deleted: int  # words deleted
    whole_blocks: bool = False  # some changed blocks were past the word budget: shown wholly deleted and inserted


def tokens(html: str) -> list[str]:
    return TOKEN_RE.findall(html)


def _is_tag(token: str) -> bool:
    return token.startswith("<")


def blocks(toks: list[str]) -> list[list[str]]:
    """The tokens cut into top-level blocks (an element at depth 0 with what it holds)."""
    out: list[list[str]] = []
    current: list[str] = []
    depth = 0
    for token in toks:
        current.append(token)
        if _is_tag(token):
            match = TAG_NAME_RE.match(token)
            name = match.group(1).lower() if match else ""
            if token.startswith("</"):
                depth -= 1
            elif name not in VOID and not token.endswith("/>") and not token.startswith("<!"):
                depth += 1
        if depth <= 0:
            depth = 0
            if not token.isspace():
                out.append(current)
                current = []
    if current:
        if out and all(token.isspace() for token in current):
            out[-1].extend(current)
        else:
            out.append(current)
    return out


class _Writer:
    """Writes the new version's tokens, wrapping runs of words in <ins> or <del> and keeping deleted
    words until a place where text may stand."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.stack: list[str] = []
        self.pending: list[str] = []  # deleted words waiting for a place where text may stand
        self.inserted = 0
        self.deleted = 0

    def _text_allowed(self) -> bool:
        return not self.stack or self.stack[-1] not in NO_TEXT

    def tag(self, token: str) -> None:
        match = TAG_NAME_RE.match(token)
        name = match.group(1).lower() if match else ""
        if token.startswith("</"):
            if self.pending and self._text_allowed():  # deleted words at the end of this element
                self._flush()
            if self.stack:
                self.stack.pop()
        self.out.append(token)
        if not token.startswith("</") and name and name not in VOID and not token.endswith("/>"):
            self.stack.append(name)
            if self.pending and self._text_allowed():
                self._flush()

    def text(self, words: list[str], mark: str = "") -> None:
        if not mark:
            self.out.extend(words)
            return
        if all(word.isspace() for word in words):
            if self._text_allowed():
                self.out.extend(words)
            return
        count = sum(1 for word in words if not word.isspace())
        if mark == "del":
            self.deleted += count
            if not self._text_allowed():
                self.pending.extend(words)
                return
        else:
            self.inserted += count
        self.out.append(f"<{mark}>{''.join(words)}</{mark}>")

    def _flush(self) -> None:
        words, self.pending = self.pending, []
        if any(not word.isspace() for word in words):
            self.out.append(f"<del>{''.join(words).strip()}</del> ")

    def run(self, toks: list[str], mark: str = "") -> None:
        """Write ``toks`` (of the new version, or deleted ones when ``mark`` is "del")."""
        words: list[str] = []
        for token in toks:
            if _is_tag(token):
                if words:
                    self.text(words, mark)
                    words = []
                if mark != "del":
                    self.tag(token)
            else:
                words.append(token)
        if words:
            self.text(words, mark)

    def html(self) -> str:
        if self.pending:
            self._flush()
        return "".join(self.out)


def _merged(opcodes: list[tuple[str, int, int, int, int]], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """The word opcodes with spaces alone between two changes folded into them, so a rewritten
    phrase reads as one deletion and one insertion rather than word against word."""
    out: list[tuple[str, int, int, int, int]] = []
    for index, (op, a1, a2, b1, b2) in enumerate(opcodes):
        between = 0 < index < len(opcodes) - 1 and out and out[-1][0] != "equal"
        if op == "equal" and between and all(token.isspace() for token in new[b1:b2]):
            op = "replace"
        if op != "equal" and out and out[-1][0] != "equal":
            _, c1, _, d1, _ = out.pop()
            out.append(("replace", c1, a2, d1, b2))
        else:
            out.append((op, a1, a2, b1, b2))
    return out


def diff_html(old: str, new: str) -> RenderedDiff:
    """``new`` with the differences from ``old`` marked (see the module's docstring)."""
    old_blocks, new_blocks = blocks(tokens(old)), blocks(tokens(new))
    writer = _Writer()
    budget = WORD_BUDGET
    whole_blocks = False
    matcher = SequenceMatcher(None, ["".join(b) for b in old_blocks], ["".join(b) for b in new_blocks],
                              autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        old_part = [t for block in old_blocks[a1:a2] for t in block]
        new_part = [t for block in new_blocks[b1:b2] for t in block]
        if op == "equal":
            writer.run(new_part)
        elif op == "insert":
            writer.run(new_part, "ins")
        elif op == "delete":
            writer.run(old_part, "del")
        else:
            cost = len(old_part) * len(new_part)
            if cost > BLOCK_PAIR_LIMIT or cost > budget:
                whole_blocks = True
                writer.run(old_part, "del")
                writer.run(new_part, "ins")
                continue
            budget -= cost
            words = SequenceMatcher(None, old_part, new_part, autojunk=False)
            for wop, c1, c2, d1, d2 in _merged(words.get_opcodes(), new_part):
                if wop == "equal":
                    writer.run(new_part[d1:d2])
                else:
                    if c2 > c1:
                        writer.run(old_part[c1:c2], "del")
                    if d2 > d1:
                        writer.run(new_part[d1:d2], "ins")
    return RenderedDiff(html=writer.html(), inserted=writer.inserted, deleted=writer.deleted,
                        whole_blocks=whole_blocks)
