"""Bounded rendering: Python-Markdown's steps charged to a work budget, and the ones that are not
linear in the text replaced or bounded.

Every step is linear in the text or charged to a budget (:class:`RenderBudget`) of about
``WORK_PER_CHAR`` units per character plus ``WORK_BASE``, with a wall-clock deadline as a
backstop; the checks run between Python-Markdown's steps (block processors, inline patterns),
each of which is itself bounded. Nesting deeper than ``MAX_NESTING`` is flattened before parsing
(:func:`flatten_nesting`), as the parser recurses once per level. :func:`install_guard` fits one
Markdown instance with a :class:`Guard`; the renderer sets the guard's budget per text.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as etree
from bisect import bisect_right
from collections.abc import Callable

import markdown
import markdown.htmlparser
from markdown.inlinepatterns import LinkInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor as InlineTreeprocessor

MAX_NESTING = 24
WORK_BASE = 2_000_000
WORK_PER_CHAR = 120
FENCED_BLOCK_COST = 10_000
TIME_BASE = 0.75
TIME_PER_MB = 2.0


class RenderTooComplex(Exception):
    """The text needs more work (or deeper nesting) than a page may cost to format."""

    def __init__(self, *, out_of_time: bool = False) -> None:
        super().__init__()
        self.out_of_time = out_of_time  # the deadline, not the work budget: it may be the machine's load


class RenderBudget:
    """Work units left for one rendering, and a deadline as a backstop; ``charge`` raises
    :class:`RenderTooComplex` once either runs out. Units are characters scanned, roughly."""

    def __init__(self, size: int) -> None:
        self.left = WORK_BASE + WORK_PER_CHAR * size
        self.deadline = time.monotonic() + TIME_BASE + TIME_PER_MB * size / 1_000_000

    def charge(self, units: int) -> None:
        self.left -= units + 16
        if self.left < 0:
            raise RenderTooComplex
        if time.monotonic() > self.deadline:
            raise RenderTooComplex(out_of_time=True)


class Guard:
    """Holds the budget of the rendering under way in this thread's Markdown instance."""

    def __init__(self) -> None:
        self.budget = RenderBudget(0)

    def charge(self, units: int) -> None:
        self.budget.charge(units)


class _GuardedInline(InlineTreeprocessor):
    """The inline treeprocessor, charging each pattern application for the text it searches:
    Python-Markdown restarts from the start of a text after every match."""

    def __init__(self, md: markdown.Markdown, guard: Guard) -> None:
        super().__init__(md)
        self.guard = guard

    def _InlineProcessor__applyPattern(self, pattern, data, patternIndex, startIndex=0):  # noqa: ANN001, ANN202, N802, N803
        self.guard.charge(len(data) - startIndex)
        return InlineTreeprocessor._InlineProcessor__applyPattern(self, pattern, data, patternIndex, startIndex)


def _bounded_get_text(self: LinkInlineProcessor, data: str, index: int) -> tuple[str, int, bool]:
    """``LinkInlineProcessor.getText`` without the per-character loop, giving up past 32 levels of
    brackets: otherwise a run of ``[`` costs the rest of the text for each one."""
    depth = 1
    for bracket in _BRACKET.finditer(data, index):
        depth += 1 if bracket.group() == "[" else -1
        if depth == 0:
            return data[index:bracket.start()], bracket.end(), True
        if depth > 32:
            break
    return data[index:], len(data), False


_BRACKET = re.compile(r"[\[\]]")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\[\n]*)\]", re.DOTALL)
_FOOTNOTE_DEF = re.compile(r"^[ ]{0,3}\[\^([^\]\[\n]*)\]:[ ]*(.*)$", re.MULTILINE)
_CLOSING_FENCE = re.compile(r"(~{3,}|`{3,})[ ]*")
_OPENING_FENCE = re.compile(r"~{3,}|`{3,}")


class _LinearFencedCode(Preprocessor):
    """Fenced code found in one pass over the lines; each block handed to the original
    preprocessor alone. Its regex alone scans to the end of the text for every opening fence
    that is never closed."""

    def __init__(self, md: markdown.Markdown, original: Preprocessor, guard: Guard) -> None:
        super().__init__(md)
        self.original = original
        self.guard = guard

    def run(self, lines: list[str]) -> list[str]:
        closing: dict[str, list[int]] = {}
        for number, line in enumerate(lines):
            if line[:3] in ("```", "~~~") and (match := _CLOSING_FENCE.fullmatch(line)):
                closing.setdefault(match.group(1), []).append(number)
        if not closing:
            return lines
        self.guard.charge(sum(map(len, lines)))
        out: list[str] = []
        number = 0
        while number < len(lines):
            line = lines[number]
            opening = _OPENING_FENCE.match(line)
            ends = closing.get(opening.group()) if opening else None
            if ends:
                after = bisect_right(ends, number)
                if after < len(ends):
                    end = ends[after]
                    if self.original.FENCED_BLOCK_RE.match(line + "\n" + lines[end]):
                        self.guard.charge(FENCED_BLOCK_COST)  # highlighting costs more than the text
                        out.extend(self.original.run(lines[number:end + 1]))
                        number = end + 1
                        continue
            out.append(line)
            number += 1
        return out


def install_guard(md: markdown.Markdown, guard: Guard) -> None:
    """Charge Python-Markdown's steps to ``guard`` and replace the ones that are not linear."""

    def charged_test(test: Callable, parent: etree.Element, block: str) -> bool:
        guard.charge(0)  # a test scans at most the block, and some processor's run takes it next
        return test(parent, block)

    def charged_run(run: Callable, parent: etree.Element, blocks: list[str]) -> object:
        guard.charge(len(blocks[0]) if blocks else 0)
        return run(parent, blocks)

    for processor in md.parser.blockprocessors:
        processor.test = _bind(charged_test, processor.test)
        processor.run = _bind(charged_run, processor.run)
    md.parser.blockprocessors["footnote"].RE = _FOOTNOTE_DEF

    def charged_match(handle: Callable, match: re.Match[str], *data: str) -> object:
        guard.charge(len(match.string) - match.start())
        return handle(match, *data)

    for pattern in md.inlinePatterns:
        pattern.handleMatch = _bind(charged_match, pattern.handleMatch)
        if isinstance(pattern, LinkInlineProcessor):
            pattern.getText = _bounded_get_text.__get__(pattern)
    md.inlinePatterns["footnote"].compiled_re = _FOOTNOTE_REF
    md.treeprocessors.register(_GuardedInline(md, guard), "inline", 20)
    md.preprocessors.register(_LinearFencedCode(md, md.preprocessors["fenced_code_block"], guard),
                              "fenced_code_block", 25)


def _bound_html_scanning() -> None:
    """Python-Markdown finds raw HTML with its own copy of ``html.parser``, whose tag regexes let
    a tag name or attribute run through later ``<``: each unfinished tag then scans to the end of
    the text. Stop them at ``<`` (possessively), in that copy only."""
    parser = markdown.htmlparser.htmlparser
    parser.locatestarttagend_tolerant = re.compile(r"""
      <[a-zA-Z][^`\t\n\r\f />\x00<]*+
      (?:[\s/]*+
        (?:(?<=['"\s/])[^`\s/><][^\s/=><]*+
          (?:\s*+=++\s*+(?:'[^']*+'|"[^"]*+"|(?!['"])[^`>\s<]*+)(?:\s*+,)*+)?+
          (?:\s|/(?!>))*+
        )*+
      )?+
      \s*+""", re.VERBOSE)
    parser.tagfind_tolerant = re.compile(r"([a-zA-Z][^\t\n\r\f />\x00<]*+)(?:\s|/(?!>))*+")
    parser.attrfind_tolerant = re.compile(
        r"""((?<=['"\s/])[^\s/><][^\s/=><]*+)(\s*+=+\s*+('[^']*+'|"[^"]*+"|(?!['"])[^>\s<]*+))?+(?:\s|/(?!>))*+""")


_bound_html_scanning()


def _bind(wrapper: Callable, original: Callable) -> Callable:
    return lambda *args: wrapper(original, *args)


_CONTAINERS = re.compile(r"(?:[ \t]*+(?:>|[-*+](?=[ \t])|\d{1,9}+[.)](?=[ \t])))++")
_CONTAINER = re.compile(r"[ \t]*+(?:>|[-*+]|\d{1,9}+[.)])")
_INDENT = re.compile(r"[ \t]*+")


def flatten_nesting(text: str) -> str:
    """``text`` with block nesting (quote markers, list markers, indentation) cut to
    ``MAX_NESTING`` levels per line: the parser recurses once per level."""
    limit = 4 * MAX_NESTING
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if len(line) <= limit or line[0] not in " \t>-*+0123456789":
            continue
        indent = _INDENT.match(line).end()
        if indent and len(line[:indent].expandtabs(4)) > limit:
            line = " " * limit + line[indent:]
        containers = _CONTAINERS.match(line)
        if containers and containers.end() > limit:
            prefix = containers.group()
            markers = list(_CONTAINER.finditer(prefix))
            if len(markers) > MAX_NESTING:
                line = prefix[:markers[MAX_NESTING - 1].end()] + " " + line[containers.end():].lstrip(" \t")
        lines[number] = line
    return "\n".join(lines)


