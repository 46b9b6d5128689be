"""Markdown to sanitized HTML, with ``[[Page]]`` and ``[[Page|label]]`` wiki links.

The chain: Python-Markdown (tables, fenced code highlighted by Pygments, footnotes, table of
contents, wiki links) produces HTML, then bleach keeps only an allowlist of tags, attributes and
URL schemes. Output depends only on the page text and the URL builder, so it is cached by blob
id; whether a linked page exists is applied afterwards (``mark_missing``), since that changes
with every commit while the text does not. No Flask import: the URL builder is injected.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as etree
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

import bleach
import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from .errors import InvalidPageName
from .names import normalize_page_name

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "s",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "class", "id", "rel"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["align"],
    "th": ["align"],
    "code": ["class"],
    "pre": ["class"],
    "span": ["class"],
    "div": ["class", "id"],
    "li": ["id"],
    "sup": ["id"],
    "ol": ["start"],
    **{f"h{level}": ["id"] for level in range(1, 7)},
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
WIKILINK_CLASS = "wikilink"
MISSING_CLASS = "wikilink wikilink-missing"
WIKILINK_RE = r"\[\[([^\]\[|\n]+)(?:\|([^\]\[\n]+))?\]\]"

UrlBuilder = Callable[[str], str]


@dataclass(frozen=True)
class Rendered:
    """Sanitized HTML and the pages it links to with wiki links."""

    html: str
    links: frozenset[str]


class WikiLinkInlineProcessor(InlineProcessor):
    """Turns ``[[Page]]`` / ``[[Page|label]]`` into a link; invalid names stay visible as text."""

    def __init__(self, pattern: str, extension: WikiLinkExtension) -> None:
        super().__init__(pattern)
        self.extension = extension

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # noqa: N802
        raw_target = m.group(1).strip()
        label = (m.group(2) or raw_target).strip()
        target, _, fragment = raw_target.partition("#")
        try:
            page = normalize_page_name(target)
        except InvalidPageName:
            element = etree.Element("span")
            element.set("class", "wikilink-invalid")
            element.text = m.group(0)
            return element, m.start(0), m.end(0)
        self.extension.links.add(page)
        element = etree.Element("a")
        element.set("class", WIKILINK_CLASS)
        href = self.extension.getConfig("url_builder")(page)
        if fragment:
            href += "#" + re.sub(r"[^\w-]", "", fragment.strip().replace(" ", "-"))
        element.set("href", href)
        element.text = label
        return element, m.start(0), m.end(0)


class WikiLinkExtension(Extension):
    """Python-Markdown extension for wiki links; ``url_builder`` maps a page path to its URL."""

    def __init__(self, **kwargs: object) -> None:
        self.config = {"url_builder": [lambda page: "/" + page, "Callable: page path -> URL"]}
        self.links: set[str] = set()
        super().__init__(**kwargs)

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        md.registerExtension(self)
        md.inlinePatterns.register(WikiLinkInlineProcessor(WIKILINK_RE, self), "wikilink", 175)

    def reset(self) -> None:
        self.links = set()


class Renderer:
    """Renders page text; one per app, thread-safe, with a cache keyed by blob id."""

    def __init__(self, url_builder: UrlBuilder, *, cache_size: int = 1024) -> None:
        self.url_builder = url_builder
        self._local = threading.local()
        self._cache: OrderedDict[str, Rendered] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _markdown(self) -> tuple[markdown.Markdown, WikiLinkExtension]:
        """A Markdown instance per thread: instances keep state between conversions."""
        pair = getattr(self._local, "pair", None)
        if pair is None:
            wikilinks = WikiLinkExtension(url_builder=self.url_builder)
            md = markdown.Markdown(
                extensions=["tables", "fenced_code", "codehilite", "footnotes", "toc", "sane_lists",
                            wikilinks],
                extension_configs={
                    "codehilite": {"css_class": "highlight", "guess_lang": False},
                    "tables": {"use_align_attribute": True},
                    "toc": {"permalink": False},
                },
                output_format="html",
            )
            pair = self._local.pair = (md, wikilinks)
        return pair

    def render(self, text: str, cache_key: str | None = None) -> Rendered:
        """Sanitized HTML for ``text``; pass the blob id as ``cache_key`` to reuse earlier work."""
        if cache_key is not None:
            with self._lock:
                cached = self._cache.get(cache_key)
                if cached is not None:
                    self._cache.move_to_end(cache_key)
                    return cached
        md, wikilinks = self._markdown()
        md.reset()
        html = md.convert(text)
        rendered = Rendered(html=sanitize(html), links=frozenset(wikilinks.links))
        if cache_key is not None:
            with self._lock:
                self._cache[cache_key] = rendered
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return rendered

    def mark_missing(self, rendered: Rendered, missing: Iterable[str]) -> str:
        """The HTML with links to pages in ``missing`` styled as links to pages not yet written."""
        hrefs = {escape(self.url_builder(page), quote=True) for page in missing}
        if not hrefs:
            return rendered.html

        def restyle(match: re.Match[str]) -> str:
            href = match.group(1).split("#", 1)[0]
            if href in hrefs:
                return f'<a class="{MISSING_CLASS}" href="{match.group(1)}"'
            return match.group(0)

        return re.sub(rf'<a class="{WIKILINK_CLASS}" href="([^"]*)"', restyle, rendered.html)


def sanitize(html: str) -> str:
    """Keep only allowlisted tags, attributes and URL schemes: no script, handlers, style, data:."""
    return bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
