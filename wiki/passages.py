"""A rendered page as readers see it: its paragraphs (top-level blocks) and its plain text.

Comments quote what readers select in the rendered page, not the Markdown source, so anchors live
in this plain text: each paragraph's text with runs of white space made one space, paragraphs
joined by one space. The same sanitized HTML always gives the same text, so it is cached by the
page's blob id. :func:`mark_blocks` puts ``<mark>`` elements around passages, split at element
boundaries so the HTML stays well-formed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from html import escape, unescape

_TOKEN = re.compile(r"""<!--.*?-->|<(?:[^>"']|"[^"]*"|'[^']*')*>|[^<]+|<""", re.S)
_UNIT = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|.", re.S)
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "input", "col", "source"})
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Text as passages compare it: white space runs made one space, trimmed."""
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Block:
    html: str
    start: int  # the paragraph's first character in the plain text
    end: int


@dataclass(frozen=True)
class Passages:
    text: str
    blocks: tuple[Block, ...]

    def block_at(self, offset: int) -> int:
        """The index of the paragraph holding plain-text ``offset`` (the last one before a gap)."""
        low, high = 0, len(self.blocks) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.blocks[middle].start <= offset:
                low = middle
            else:
                high = middle - 1
        return low

    def blocks_between(self, start: int, end: int) -> range:
        if not self.blocks:
            return range(0)
        return range(self.block_at(start), self.block_at(max(start, end - 1)) + 1)


def split_blocks(html: str) -> list[str]:
    """The top-level elements of ``html`` (text between them that is only white space dropped)."""
    blocks: list[str] = []
    depth, begin = 0, None
    for match in _TOKEN.finditer(html):
        token = match.group(0)
        if token.startswith("<!--"):
            continue
        if token.startswith("<") and len(token) > 1:
            name_match = _TAG_NAME.match(token)
            name = name_match.group(1).lower() if name_match else ""
            if token.startswith("</"):
                depth = max(depth - 1, 0)
                if depth == 0 and begin is not None:
                    blocks.append(html[begin:match.end()])
                    begin = None
            elif name in VOID_TAGS or token.endswith("/>"):
                if depth == 0:
                    blocks.append(token)
            else:
                if depth == 0:
                    begin = match.start()
                depth += 1
        elif depth == 0:
            if token.strip():
                blocks.append(escape(unescape(token)))  # loose text at the top level is a block of its own
    if begin is not None:
        blocks.append(html[begin:])
    return blocks


def block_text(html: str) -> str:
    """The plain text of one block."""
    parts = [unescape(token) for token in _TOKEN.findall(html) if not token.startswith("<") or len(token) == 1]
    return normalize("".join(parts))


def passages_of(html: str) -> Passages:
    texts, blocks, offset = [], [], 0
    for block in split_blocks(html):
        text = block_text(block)
        if offset and text:
            offset += 1  # the space joining two paragraphs
        blocks.append(Block(block, offset, offset + len(text)))
        if text:
            texts.append(text)
        offset += len(text)
    return Passages(" ".join(texts), tuple(blocks))


def mark_block(block: Block, marks: list[tuple[int, int, str]]) -> str:
    """The block's HTML with ``<mark class=…>`` around the plain-text ranges ``marks``
    ((start, end, class), in the page's plain-text offsets; overlapping ranges join their classes)."""
    relevant = [(max(start, block.start), min(end, block.end), css) for start, end, css in marks
                if start < block.end and end > block.start]
    if not relevant:
        return block.html
    out: list[str] = []
    offset = block.start
    open_css: str | None = None
    pending_space = False
    seen_text = False

    # The classes between each two consecutive mark boundaries, swept once: a paragraph with
    # hundreds of marks costs a lookup per character, not a pass over every mark.
    bounds = sorted({offset for start, end, _css in relevant for offset in (start, end)})
    changes: dict[int, list[tuple[str, int]]] = {}
    for start, end, css in relevant:
        changes.setdefault(start, []).append((css, 1))
        changes.setdefault(end, []).append((css, -1))
    open_count: dict[str, int] = {}
    segment_css: list[str | None] = []
    for bound in bounds:
        for css, step in changes[bound]:
            open_count[css] = open_count.get(css, 0) + step
        segment_css.append(" ".join(sorted(css for css, count in open_count.items() if count > 0)) or None)

    def wanted(position: int) -> str | None:
        index = bisect_right(bounds, position) - 1
        return segment_css[index] if index >= 0 else None

    for match in _TOKEN.finditer(block.html):
        token = match.group(0)
        if token.startswith("<") and len(token) > 1:
            if open_css is not None:
                out.append("</mark>")
                open_css = None
            out.append(token)
            continue
        for unit_match in _UNIT.finditer(token):
            unit = unit_match.group(0)
            char = unescape(unit)
            if char.isspace():
                if seen_text:
                    pending_space = True
                out.append(unit)
                continue
            if pending_space:
                offset += 1
                pending_space = False
            css = wanted(offset)
            if css != open_css:
                if open_css is not None:
                    out.append("</mark>")
                if css is not None:
                    out.append(f'<mark class="{escape(css)}">')
                open_css = css
            out.append(unit)
            offset += len(char)
            seen_text = True
    if open_css is not None:
        out.append("</mark>")
    return "".join(out)
