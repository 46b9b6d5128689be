"""Sanitizing rendered HTML: an allowlist of tags, attributes and URL schemes, applied twice.

One linear pass here balances tags and escapes everything else that looks like markup (shown as
text, never dropped with what follows it); then nh3 (ammonia, a real HTML5 parser) applies the
same allowlist again. Pure: no Flask, no Markdown.
"""

from __future__ import annotations

import re
from html import escape, unescape

import nh3

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
MAX_HTML_DEPTH = 64
VOID_TAGS = frozenset({"br", "hr", "img"})
_NH3_ATTRIBUTES = {tag: set(attributes) for tag, attributes in ALLOWED_ATTRIBUTES.items()}
URL_ATTRIBUTES = frozenset({"href", "src"})
_ATTRIBUTE = re.compile(r"""\s++([^\s"'>/=]++)(?:\s*+=\s*+("[^"]*+"|'[^']*+'|[^\s"'=<>`]++))?""")
_TOKEN = re.compile(
    r"""<(/?)([A-Za-z][A-Za-z0-9]*+)((?:\s++[^\s"'>/=]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>`]++))?)*+)"""
    r"""\s*+/?>|<""")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f-\xa0\s]+")
_SCHEME = re.compile(r"([^/?#]*?):")


def _safe_url(value: str) -> bool:
    """Whether ``value`` (entities decoded) is relative or uses an allowed scheme."""
    scheme = _SCHEME.match(_URL_NOISE.sub("", value))
    return scheme is None or scheme.group(1).lower() in ALLOWED_PROTOCOLS


def _start_tag(name: str, attributes: str) -> str:
    allowed = ALLOWED_ATTRIBUTES.get(name, ())
    kept: dict[str, str] = {}
    for attribute in _ATTRIBUTE.finditer(attributes):
        key = attribute.group(1).lower()
        if key not in allowed or key in kept:
            continue
        raw = attribute.group(2) or ""
        value = unescape(raw[1:-1] if raw[:1] in ("'", '"') else raw)
        if key in URL_ATTRIBUTES and not _safe_url(value):
            continue
        kept[key] = value
    return "<" + name + "".join(f' {key}="{escape(value)}"' for key, value in kept.items()) + ">"


def sanitize(html: str) -> str:
    """Keep only allowlisted tags, attributes and URL schemes: no script, handlers, style, data:.

    Everything else that looks like markup (other tags, comments, ``<!``, unfinished tags) is
    escaped and shown as text, never dropped with what follows it. One linear pass: tags are
    balanced against a stack no deeper than ``MAX_HTML_DEPTH``; unmatched end tags are dropped.
    """
    out: list[str] = []
    stack: list[str] = []
    position = 0
    html = html.replace("\x00", "\ufffd")
    for token in _TOKEN.finditer(html):
        out.append(html[position:token.start()])
        position = token.end()
        name = (token.group(2) or "").lower()
        if name not in ALLOWED_TAGS:
            out.append(escape(token.group(), quote=False))
        elif token.group(1):
            if name in stack:
                while True:
                    top = stack.pop()
                    out.append(f"</{top}>")
                    if top == name:
                        break
        elif name in VOID_TAGS:
            out.append(_start_tag(name, token.group(3)))
        elif len(stack) >= MAX_HTML_DEPTH:
            out.append(escape(token.group(), quote=False))
        else:
            stack.append(name)
            out.append(_start_tag(name, token.group(3)))
    out.append(html[position:])
    out.extend(f"</{name}>" for name in reversed(stack))
    # A second, independent allowlist pass by a real HTML5 parser (ammonia, through nh3; linear
    # time): it changes nothing in what the pass above made, and guards against any difference
    # between how that pass and a browser read the markup.
    return nh3.clean("".join(out), tags=set(ALLOWED_TAGS), attributes=_NH3_ATTRIBUTES,
                     url_schemes=set(ALLOWED_PROTOCOLS), link_rel=None, strip_comments=True)
