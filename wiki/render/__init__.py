"""Markdown to sanitized HTML, with ``[[Page]]`` and ``[[Page|label]]`` wiki links.

The chain: nesting deeper than ``MAX_NESTING`` is flattened, Python-Markdown (tables, fenced code
highlighted by Pygments, footnotes, table of contents, wiki links) produces HTML, then
``sanitize`` keeps only an allowlist of tags, attributes and URL schemes and shows everything
else as text. Output depends only on the page text and the URL builder, so it is cached by blob
id; whether a linked page exists is applied afterwards (``mark_missing``), since that changes
with every commit while the text does not. No Flask import: the URL builder is injected.

Bounded work (``bounds``): every step is linear in the text or charged to a budget. A page that
exceeds it, or nests too deep for the parser, is shown as its escaped text under a notice
(``fallback_html``), and that too is cached: its notice is said in the reader's language each time
the HTML is read (``Rendered.html``), since one cached rendering serves every language. Wiki links
are drawn by ``wiki.wikilinks``, the one place that reads them (the search index finds the same
links there); ``sanitize`` is the allowlist.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from html import escape

import markdown
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension

from .. import errors
from ..errors import N_
from ..wikilinks import MISSING_CLASS, WIKILINK_CLASS, UrlBuilder, WikiLinkExtension
from .bounds import Guard, RenderBudget, RenderTooComplex, flatten_nesting, install_guard
from .kept import KeptRenderings
from .sanitize import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, sanitize

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_PROTOCOLS", "ALLOWED_TAGS", "Rendered", "Renderer",
           "fallback_html", "namespace_ids", "sanitize"]

DEADLINE_STRIKES = 3  # renderings of one text out of time before its fallback is kept
RENDER_NOTICE = N_("This page is too complex to format; its text is shown as written.")


@dataclass(frozen=True)
class Rendered:
    """Sanitized HTML and the pages it links to with wiki links; ``complete`` is False for a
    fallback made because the machine ran out of time, which callers must not cache.

    ``body`` is the HTML as cached; for a ``fallback`` (the text as written) :attr:`html` puts the
    notice before it, translated when read: a cached fallback must not keep its first reader's language.
    """

    body: str
    links: frozenset[str]
    complete: bool = True
    fallback: bool = False

    @property
    def html(self) -> str:
        """The HTML to show: a fallback's notice in the current language."""
        return render_notice() + self.body if self.fallback else self.body

    @property
    def stable_html(self) -> str:
        """The same HTML in every language (a fallback's notice in English), for what is kept across
        readers: the passages whose plain-text offsets comment threads are placed by."""
        return render_notice(str) + self.body if self.fallback else self.body


def render_notice(translate: Callable[[str], str] | None = None) -> str:
    """The notice above a page shown as written, said by ``translate`` (default: the current
    language, English outside requests; see ``errors.translator``)."""
    return f'<p class="render-notice">{escape((translate or errors.translator)(RENDER_NOTICE))}</p>\n'


def fallback_html(text: str) -> str:
    """The page as written, escaped, under a notice that it could not be formatted."""
    return render_notice() + _fallback_body(text)


def _fallback_body(text: str) -> str:
    return f'<pre class="render-fallback">{escape(text)}</pre>'


class Renderer:
    """Renders page text; one per app, thread-safe, with a cache keyed by blob id (in this process,
    and in ``kept`` for every worker and the next start)."""

    def __init__(self, url_builder: UrlBuilder, *, cache_size: int = 1024, kept: KeptRenderings | None = None) -> None:
        self.url_builder = url_builder
        self.kept = kept  # renderings shared with the other workers and the next start
        self._local = threading.local()
        self._cache: OrderedDict[str, Rendered] = OrderedDict()
        self._cache_size = cache_size
        self._deadline_strikes: dict[str, int] = {}
        self._lock = threading.Lock()

    def _markdown(self) -> tuple[markdown.Markdown, WikiLinkExtension, Guard]:
        """A Markdown instance per thread: instances keep state between conversions."""
        triple = getattr(self._local, "triple", None)
        if triple is None:
            wikilinks = WikiLinkExtension(url_builder=self.url_builder)
            # Instances, not names: a name is first looked up among the installed packages' entry
            # points, which reads every package's metadata (~30 ms on each worker's first page).
            md = markdown.Markdown(
                extensions=[TableExtension(use_align_attribute=True), FencedCodeExtension(),
                            CodeHiliteExtension(css_class="highlight", guess_lang=False), FootnoteExtension(),
                            TocExtension(permalink=False), SaneListExtension(), wikilinks],
                output_format="html",
            )
            guard = Guard()
            install_guard(md, guard)
            triple = self._local.triple = (md, wikilinks, guard)
        return triple

    def render(self, text: str, cache_key: str | None = None) -> Rendered:
        """Sanitized HTML for ``text``; pass the blob id as ``cache_key`` to reuse earlier work.

        Bounded in time: a text too complex to format is rendered by :func:`fallback_html`.
        """
        kept_key = None
        if cache_key is not None:
            with self._lock:
                cached = self._cache.get(cache_key)
                if cached is not None:
                    self._cache.move_to_end(cache_key)
                    return cached
            kept_key = self._kept_key(cache_key)
            if kept_key is not None:
                if (found := self.kept.get(kept_key)) is not None:  # type: ignore[union-attr]
                    body, links, fallback = found
                    return self._remember(cache_key, Rendered(body=body, links=links, fallback=fallback))
        md, wikilinks, guard = self._markdown()
        guard.budget = RenderBudget(len(text))
        md.reset()
        timed_out = False
        try:
            html = md.convert(flatten_nesting(text))
            rendered = Rendered(body=sanitize(html), links=frozenset(wikilinks.links))
        except (RenderTooComplex, RecursionError) as error:
            md.reset()
            rendered = Rendered(body=_fallback_body(text), links=frozenset(), fallback=True)
            timed_out = isinstance(error, RenderTooComplex) and error.out_of_time
            if timed_out and cache_key is not None:
                # The deadline depends on the machine's load, not only on the text: try again on the
                # next views, and keep the fallback once the same text ran out of time repeatedly.
                with self._lock:
                    strikes = self._deadline_strikes[cache_key] = self._deadline_strikes.get(cache_key, 0) + 1
                    if len(self._deadline_strikes) > self._cache_size:
                        self._deadline_strikes.clear()
                if strikes < DEADLINE_STRIKES:
                    return replace(rendered, complete=False)
        if cache_key is None:
            return rendered
        if kept_key is not None and not timed_out:  # a fallback for want of time is this machine's, for now
            self.kept.put(kept_key, rendered.body, rendered.links, rendered.fallback)  # type: ignore[union-attr]
        return self._remember(cache_key, rendered)

    def _kept_key(self, cache_key: str) -> str | None:
        """The key of ``cache_key``'s rendering in :attr:`kept`: wiki links are part of the HTML, so
        where they point (the wiki's address, as this request sees it) is part of the key."""
        if self.kept is None:
            return None
        try:
            link_base = self.url_builder("Home")
        except RuntimeError:  # no request to build links for: render, and keep it in this process only
            return None
        return self.kept.key(cache_key, link_base)

    def _remember(self, cache_key: str, rendered: Rendered) -> Rendered:
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


_ID = re.compile(r'(\sid=")([^"]*)(")')
_FRAGMENT_LINK = re.compile(r'(\shref="#)([^"]*)(")')


def namespace_ids(html: str, prefix: str) -> str:
    """``html`` with its element ids prefixed by ``prefix`` and its in-page links to them rewritten,
    so several pages shown one after another (the whole document) never repeat an id."""
    ids = {match.group(2) for match in _ID.finditer(html)}
    if not ids:
        return html
    html = _ID.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}{m.group(3)}", html)
    return _FRAGMENT_LINK.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}{m.group(3)}" if m.group(2) in ids
                              else m.group(0), html)

