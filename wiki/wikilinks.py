"""Wiki links, ``[[Page]]``, ``[[Page#Part]]`` and ``[[Page|label]]``: the one place that says
what a link is, which page it names, and which pages a text links to.

The renderer draws links with :class:`WikiLinkExtension` (shaped like Python-Markdown's own
wikilinks extension: an inline processor, the URL builder injected as a setting); the search
index finds the same links without rendering with :func:`wiki_links`. Both read a link's target
with :func:`link_target`, so a page links to what the index says it links to. Pure: no Flask, no git.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from .errors import InvalidPageName
from .names import normalize_page_name

WIKILINK_CLASS = "wikilink"
MISSING_CLASS = "wikilink wikilink-missing"
# Linear: its runs stop at "[", where the next match would start.
WIKILINK_RE = r"\[\[([^\]\[|\n]+)(?:\|([^\]\[\n]+))?\]\]"
WIKILINK = re.compile(WIKILINK_RE)

_FENCE_LINE = re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE)  # an opening or closing fence line
_INLINE_CODE = re.compile(r"`[^`\n]*`")

UrlBuilder = Callable[[str], str]


@dataclass(frozen=True)
class LinkTarget:
    """The page a link names (normalized) and the part of it after ``#``, as written."""

    page: str
    fragment: str


def link_target(match: re.Match[str]) -> LinkTarget | None:
    """The target of a :data:`WIKILINK` match, or ``None`` when it names no valid page."""
    target, _, fragment = match.group(1).strip().partition("#")
    try:
        return LinkTarget(normalize_page_name(target), fragment)
    except InvalidPageName:
        return None


def without_fences(text: str) -> str:
    """``text`` with each fenced code block (from its opening line to the end of its closing one) removed.

    A fence opens at a line starting with up to three spaces and ````` `` or ``~~~``, and closes at
    the next line starting so with the same characters; one that never closes is a plain line.
    Time linear in the text.
    """
    markers = [(match.start(), match.group(1)) for match in _FENCE_LINE.finditer(text)]
    if not markers:
        return text
    following: list[int | None] = [None] * len(markers)  # the next line with the same marker
    last: dict[str, int] = {}
    for index in range(len(markers) - 1, -1, -1):
        following[index] = last.get(markers[index][1])
        last[markers[index][1]] = index
    pieces, kept, index = [], 0, 0
    while index < len(markers):
        closing = following[index]
        if closing is None:
            index += 1
            continue
        start, end = markers[index][0], text.find("\n", markers[closing][0])
        pieces.append(text[kept:start])
        kept = len(text) if end < 0 else end
        index = closing + 1
    pieces.append(text[kept:])
    return "".join(pieces)


def wiki_links(text: str) -> set[str]:
    """The pages ``text`` links to with ``[[...]]``, as the renderer sees them (not inside code)."""
    text = _INLINE_CODE.sub("", without_fences(text))
    return {target.page for match in WIKILINK.finditer(text) if (target := link_target(match)) is not None}


class WikiLinkInlineProcessor(InlineProcessor):
    """Turns ``[[Page]]`` / ``[[Page|label]]`` into a link; invalid names stay visible as text."""

    def __init__(self, pattern: str, extension: WikiLinkExtension) -> None:
        super().__init__(pattern)
        self.extension = extension

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # noqa: N802
        target = link_target(m)
        if target is None:
            element = etree.Element("span")
            element.set("class", "wikilink-invalid")
            element.text = m.group(0)
            return element, m.start(0), m.end(0)
        self.extension.links.add(target.page)
        element = etree.Element("a")
        element.set("class", WIKILINK_CLASS)
        href = self.extension.getConfig("url_builder")(target.page)
        if target.fragment:
            href += "#" + re.sub(r"[^\w-]", "", target.fragment.strip().replace(" ", "-"))
        element.set("href", href)
        element.text = (m.group(2) or m.group(1).strip()).strip()
        return element, m.start(0), m.end(0)


class WikiLinkExtension(Extension):
    """Python-Markdown extension for wiki links; ``url_builder`` maps a page path to its URL, and
    ``links`` collects the pages linked to since the last ``reset()``."""

    def __init__(self, **kwargs: object) -> None:
        self.config = {"url_builder": [lambda page: "/" + page, "Callable: page path -> URL"]}
        self.links: set[str] = set()
        super().__init__(**kwargs)

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        md.registerExtension(self)
        md.inlinePatterns.register(WikiLinkInlineProcessor(WIKILINK_RE, self), "wikilink", 175)

    def reset(self) -> None:
        self.links = set()
