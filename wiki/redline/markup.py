"""The redline of two pandoc documents: X's and Y's blocks aligned, changed words marked as tracked changes.

Blocks are aligned by their content; a pair of paragraphs (or headings of one level) is compared
word by word, lists item by item, tables cell by cell when their shape allows; what cannot be
paired is deleted or inserted whole. Every word, space and inline element is a token carrying its
formatting (bold inside a link...), so a word whose formatting changed is deleted and inserted,
and the result rebuilds each run of tokens with one change, one author and one formatting as
pandoc inlines inside a ``Span`` of class ``insertion`` or ``deletion`` with ``author`` and
``date``, which pandoc's Word writer turns into ``w:ins`` and ``w:del``. Accepting every change
gives Y's content, rejecting every change X's. No Flask, no Git.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

WORDS = re.compile(r"\w+|[^\w\s]|\s+", re.UNICODE)
WORD = re.compile(r"\w", re.UNICODE)
_SCHEME = re.compile(r"([^/?#]*?):")
WRAPPERS = frozenset({"Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"})
TEXT_BLOCKS = frozenset({"Para", "Plain", "Header"})
Node = dict[str, Any]
# (status, token index) -> Span attributes: ("insertion"|"deletion", author, date, extra classes)
Marker = Callable[[str, "Token"], tuple[str, str, tuple[str, ...]]]


@dataclass
class Token:
    """One word, space, punctuation mark or atomic inline, with its formatting and document position."""

    kind: str  # "text", "space", "atom"
    value: Any  # the text, or the inline element
    formats: tuple[tuple[str, str], ...]
    index: int = -1  # position among its document's tokens (for attribution)
    key: str = ""  # what it is, formatting included: equal keys are equal tokens

    def __post_init__(self) -> None:
        value = self.value if isinstance(self.value, str) else json.dumps(self.value, sort_keys=True)
        self.key = f"{self.kind}\x00{value}\x00{_formats_key(self.formats)}"

    @property
    def word(self) -> str | None:
        """The token as it appears in the Markdown source, when it is a word (for attribution)."""
        return self.value if self.kind == "text" and WORD.match(self.value) else None


@dataclass
class Doc:
    """A pandoc document's blocks and its tokens in document order."""

    blocks: list[Node]
    tokens: list[Token] = field(default_factory=list)


@lru_cache(maxsize=4096)
def _formats_key(formats: tuple[tuple[str, str], ...]) -> str:
    return json.dumps(formats)


def inline_tokens(inlines: list[Node], formats: tuple[tuple[str, str], ...], out: list[Token]) -> list[Token]:
    found: list[Token] = []
    for inline in inlines:
        kind = inline["t"]
        if kind == "Str":
            found += [Token("text", piece, formats) for piece in WORDS.findall(inline["c"])]
        elif kind in ("Space", "SoftBreak"):
            found.append(Token("space", " ", formats))
        elif kind in WRAPPERS:
            found += inline_tokens(inline["c"], formats + ((kind, ""),), out)
        elif kind == "Link":
            attr, content, target = inline["c"]
            found += inline_tokens(content, formats + (("Link", json.dumps([attr, target])),), out)
        elif kind == "Quoted":
            found += inline_tokens(inline["c"][1], formats + (("Quoted", json.dumps(inline["c"][0])),), out)
        elif kind == "Span":
            found += inline_tokens(inline["c"][1], formats + (("Span", json.dumps(inline["c"][0])),), out)
        else:  # Code, Math, RawInline, Image, Note, Cite, LineBreak: one token each
            found.append(Token("atom", inline, formats))
    return found


def tokenize(blocks: list[Node]) -> Doc:
    """Replace the inlines of every text block by tokens, numbering them in document order."""
    doc = Doc(blocks)
    for token in _walk_tokens(blocks):
        token.index = len(doc.tokens)
        doc.tokens.append(token)
    return doc


def _walk_tokens(blocks: list[Node]) -> Iterator[Token]:
    for block in blocks:
        yield from _block_tokens(block)


def _block_tokens(block: Node) -> Iterator[Token]:
    kind, content = block["t"], block.get("c")
    if kind in TEXT_BLOCKS:
        if "_tokens" not in block:
            inlines = content[2] if kind == "Header" else content
            block["_tokens"] = inline_tokens(inlines, (), [])
        yield from block["_tokens"]
    elif kind == "BulletList":
        for item in content:
            yield from _walk_tokens(item)
    elif kind == "OrderedList":
        for item in content[1]:
            yield from _walk_tokens(item)
    elif kind == "BlockQuote":
        yield from _walk_tokens(content)
    elif kind == "Div":
        yield from _walk_tokens(content[1])
    elif kind == "Table":
        for cell in _table_cells(block):
            yield from _walk_tokens(cell[4])
    else:  # CodeBlock, RawBlock, HorizontalRule, anything else: one token for the whole block
        if "_tokens" not in block:
            block["_tokens"] = [Token("atom", {key: value for key, value in block.items() if key != "_tokens"}, ())]
        yield from block["_tokens"]


def _table_rows(table: Node) -> list[Node]:
    _attr, _caption, _specs, head, bodies, foot = table["c"]
    rows = list(head[1])
    for body in bodies:
        rows += body[2] + body[3]
    return rows + list(foot[1])


def _table_cells(table: Node) -> Iterator[Node]:
    for row in _table_rows(table):
        yield from row[1]


def fingerprint(block: Node) -> str:
    """What a block says, for aligning blocks (the tokens, not the pandoc objects)."""
    return block["t"] + "\x01" + "\x02".join(token.key for token in _block_tokens(block))


# --------------------------------------------------------------------------- the redline


@dataclass
class Redliner:
    """Builds the redline's blocks; ``mark`` gives each changed token its span's attributes."""

    mark: Marker
    changed_blocks: list[int] = field(default_factory=list)

    def blocks(self, old: list[Node], new: list[Node]) -> list[Node]:
        """The aligned blocks of ``old`` and ``new`` with their differences marked."""
        old_keys, new_keys = [fingerprint(block) for block in old], [fingerprint(block) for block in new]
        result: list[Node] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes():
            if tag == "equal":
                result += [_plain(block) for block in new[j1:j2]]
                continue
            olds, news = old[i1:i2], new[j1:j2]
            pairs = 0
            while pairs < min(len(olds), len(news)) and _pairable(olds[pairs], news[pairs]):
                pairs += 1
            for index in range(pairs):
                result.append(self.pair(olds[index], news[index]))
            result += [self.whole(block, "deletion") for block in olds[pairs:]]
            result += [self.whole(block, "insertion") for block in news[pairs:]]
        return result

    def pair(self, old: Node, new: Node) -> Node:
        kind = new["t"]
        if kind in TEXT_BLOCKS:
            inlines = self.inlines(old["_tokens"], new["_tokens"])
            return _changed({"t": kind, "c": [*new["c"][:2], inlines] if kind == "Header" else inlines})
        if kind == "BulletList":
            return _changed({"t": kind, "c": self.items(old["c"], new["c"])})
        if kind == "OrderedList":
            return _changed({"t": kind, "c": [new["c"][0], self.items(old["c"][1], new["c"][1])]})
        if kind == "BlockQuote":
            return _changed({"t": kind, "c": self.blocks(old["c"], new["c"])})
        if kind == "Div":
            return _changed({"t": kind, "c": [new["c"][0], self.blocks(old["c"][1], new["c"][1])]})
        if kind == "Table":
            return _changed(self.table(old, new))
        return _changed({"t": "Div", "c": [["", [], []], [self.whole(old, "deletion"), self.whole(new, "insertion")]]})

    def items(self, old: list[list[Node]], new: list[list[Node]]) -> list[list[Node]]:
        old_keys = ["\x03".join(fingerprint(block) for block in item) for item in old]
        new_keys = ["\x03".join(fingerprint(block) for block in item) for item in new]
        result: list[list[Node]] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes():
            if tag == "equal":
                result += [[_plain(block) for block in item] for item in new[j1:j2]]
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            result += [self.blocks(old[i1 + k], new[j1 + k]) for k in range(pairs)]
            result += [[self.whole(block, "deletion") for block in item] for item in old[i1 + pairs:i2]]
            result += [[self.whole(block, "insertion") for block in item] for item in new[j1 + pairs:j2]]
        return result

    def table(self, old: Node, new: Node) -> Node:
        """Cell by cell; rows aligned by content, deleted rows kept with their words deleted."""
        old_head, new_head = old["c"][3][1], new["c"][3][1]
        old_body, new_body = _table_rows(old)[len(old_head):], _table_rows(new)[len(new_head):]
        result = _copy(new)
        result["c"][3][1] = [self.row(a, b) for a, b in zip(old_head, new_head, strict=False)] + \
            [self.whole_row(row, "insertion") for row in new_head[len(old_head):]]
        rows: list[Node] = []
        old_keys = ["\x03".join(fingerprint(b) for cell in row[1] for b in cell[4]) for row in old_body]
        new_keys = ["\x03".join(fingerprint(b) for cell in row[1] for b in cell[4]) for row in new_body]
        for _tag, i1, i2, j1, j2 in SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes():
            pairs = min(i2 - i1, j2 - j1)
            rows += [self.row(old_body[i1 + k], new_body[j1 + k]) for k in range(pairs)]
            rows += [self.whole_row(row, "deletion") for row in old_body[i1 + pairs:i2]]
            rows += [self.whole_row(row, "insertion") for row in new_body[j1 + pairs:j2]]
        result["c"][4] = [[["", [], []], 0, [], rows]]
        result["c"][5] = [["", [], []], []]
        return result

    def row(self, old: Node, new: Node) -> Node:
        cells = []
        for index, cell in enumerate(new[1]):
            if index < len(old[1]):
                cells.append([*cell[:4], self.blocks(old[1][index][4], cell[4])])
            else:
                cells.append([*cell[:4], [self.whole(block, "insertion") for block in cell[4]]])
        for cell in old[1][len(new[1]):]:  # cells the new row lacks: their words deleted, in the last cell
            cells[-1][4] += [self.whole(block, "deletion") for block in cell[4]]
        return [new[0], cells]

    def whole_row(self, row: Node, status: str) -> Node:
        return [row[0], [[*cell[:4], [self.whole(block, status) for block in cell[4]]] for cell in row[1]]]

    def whole(self, block: Node, status: str) -> Node:
        """A block inserted or deleted whole: every token marked (atomic blocks become paragraphs)."""
        kind, content = block["t"], block.get("c")
        if kind in TEXT_BLOCKS:
            inlines = self.marked(block["_tokens"], status)
            return _changed({"t": kind, "c": [*content[:2], inlines] if kind == "Header" else inlines})
        if kind == "BulletList":
            return _changed({"t": kind, "c": [[self.whole(b, status) for b in item] for item in content]})
        if kind == "OrderedList":
            return _changed({"t": kind, "c": [content[0], [[self.whole(b, status) for b in item]
                                                           for item in content[1]]]})
        if kind == "BlockQuote":
            return _changed({"t": kind, "c": [self.whole(b, status) for b in content]})
        if kind == "Div":
            return _changed({"t": kind, "c": [content[0], [self.whole(b, status) for b in content[1]]]})
        if kind == "Table":
            result = _copy(block)
            result["c"][3][1] = [self.whole_row(row, status) for row in block["c"][3][1]]
            body_rows = _table_rows(block)[len(block["c"][3][1]):]
            result["c"][4] = [[["", [], []], 0, [], [self.whole_row(row, status) for row in body_rows]]]
            result["c"][5] = [["", [], []], []]
            return _changed(result)
        if kind == "HorizontalRule":
            return _changed({"t": "Div", "c": [["", [], []], []]})  # no words: nothing to accept or reject
        token = block["_tokens"][0]
        if kind == "CodeBlock":  # its lines, as code, in paragraphs that can carry the change
            return _changed({"t": "Div", "c": [["", [], []], [
                {"t": "Para", "c": [self.span(status, token, [{"t": "Code", "c": [["", [], []], line]}])]}
                for line in content[1].split("\n") if line]]})
        text = json.dumps(content, ensure_ascii=False)[:200]
        return _changed({"t": "Para", "c": [self.span(status, token, [{"t": "Str", "c": text}])]})

    def inlines(self, old: list[Token], new: list[Token]) -> list[Node]:
        """The word diff of two token lists as inlines with the changes in spans."""
        runs: list[tuple[str, Token]] = []
        matcher = SequenceMatcher(None, [t.key for t in old], [t.key for t in new], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                runs += [("", token) for token in new[j1:j2]]
            else:
                runs += [("deletion", token) for token in old[i1:i2]]
                runs += [("insertion", token) for token in new[j1:j2]]
        return self.build(runs)

    def marked(self, tokens: list[Token], status: str) -> list[Node]:
        return self.build([(status, token) for token in tokens])

    def build(self, runs: list[tuple[str, Token]]) -> list[Node]:
        """Group tokens with one status, attribution and formatting; wrap formats, then the change."""
        inlines: list[Node] = []
        group: list[Token] = []
        label: tuple[Any, ...] = ()
        for status, token in runs:
            mark = self.mark(status, token) if status else ("", "", ())
            this = (status, mark, token.formats)
            if group and this != label:
                inlines += self._group(label, group)
                group = []
            label = this
            group.append(token)
        if group:
            inlines += self._group(label, group)
        return inlines

    def _group(self, label: tuple[Any, ...], tokens: list[Token]) -> list[Node]:
        status, mark, formats = label
        inlines = _wrap(_plain_inlines(tokens), formats)
        if not status:
            return inlines
        return [self.span(status, tokens[0], inlines, mark)]

    def span(self, status: str, token: Token, inlines: list[Node], mark: tuple[str, str, tuple[str, ...]] | None = None,
             ) -> Node:
        author, date, classes = mark or self.mark(status, token)
        return {"t": "Span", "c": [["", [status, *classes], [["author", author], ["date", date]]], inlines]}


def _pairable(old: Node, new: Node) -> bool:
    if old["t"] != new["t"]:
        return False
    if old["t"] == "Header":
        return old["c"][0] == new["c"][0]
    if old["t"] == "Table":
        return len(old["c"][3][1]) == len(new["c"][3][1])
    return old["t"] in TEXT_BLOCKS | {"BulletList", "OrderedList", "BlockQuote", "Div"}


def _plain_inlines(tokens: list[Token]) -> list[Node]:
    inlines: list[Node] = []
    for token in tokens:
        if token.kind == "text":
            if inlines and inlines[-1]["t"] == "Str":
                inlines[-1] = {"t": "Str", "c": inlines[-1]["c"] + token.value}
            else:
                inlines.append({"t": "Str", "c": token.value})
        elif token.kind == "space":
            inlines.append({"t": "Space"})
        else:
            inlines.append(token.value)
    return inlines


def _wrap(inlines: list[Node], formats: tuple[tuple[str, str], ...]) -> list[Node]:
    for kind, detail in reversed(formats):
        if kind == "Link":
            attr, target = json.loads(detail)
            if safe_url(target[0]):  # a javascript: or data: link stays its words
                inlines = [{"t": "Link", "c": [attr, inlines, target]}]
        elif kind == "Quoted":
            inlines = [{"t": "Quoted", "c": [json.loads(detail), inlines]}]
        elif kind == "Span":
            inlines = [{"t": "Span", "c": [json.loads(detail), inlines]}]
        else:
            inlines = [{"t": kind, "c": inlines}]
    return inlines


def safe_url(url: str) -> bool:
    """Relative, or http, https or mailto (the wiki's own rule for links, ``wiki.render``)."""
    scheme = _SCHEME.match(re.sub(r"[\x00-\x20\x7f-\xa0\s]+", "", url))
    return scheme is None or scheme.group(1).lower() in ("http", "https", "mailto")


def _plain(block: Node) -> Node:
    """A block as pandoc wants it back (the tokens it carried dropped)."""
    if isinstance(block, dict):
        return {key: _plain(value) for key, value in block.items() if not key.startswith("_")}
    if isinstance(block, list):
        return [_plain(item) for item in block]
    return block


def _copy(block: Node) -> Node:
    return json.loads(json.dumps(_plain(block)))


def _changed(block: Node) -> Node:
    block["_changed"] = True
    return block


def finish(blocks: list[Node]) -> tuple[list[Node], list[Node]]:
    """The blocks for Word, and for the PDF with each changed top-level block in a ``Div.changed``
    (its change bar); the internal marks are dropped (both share the same inner nodes)."""
    changed = [bool(block.pop("_changed", False)) for block in blocks]
    _drop_marks(blocks)
    bars = [{"t": "Div", "c": [["", ["changed"], []], [block]]} if flag else block
            for block, flag in zip(blocks, changed, strict=True)]
    return blocks, bars


def _drop_marks(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("_changed", None)
        for value in node.values():
            if isinstance(value, list | dict):
                _drop_marks(value)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, list | dict):
                _drop_marks(value)
